// OpenAI `tool_choice`: "none" | "auto" | "required" | {type: "function", function: {name}}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/request.h"

namespace hearth::server {

struct ToolChoice {
  enum Mode { kNone, kAuto, kRequired, kNamed } mode = kAuto;
  std::string name;  // kNamed
};

// Absent / null: auto when tools are given, else none. A named function must be in `tools`;
// required / named need tools.
bool read_tool_choice(const nlohmann::ordered_json& v, const nlohmann::ordered_json& tools,
                      ToolChoice* out, std::string* err);

// required / named: the output must be a tool call; constrains sampling so it is one.
bool constrain_tool_choice(const ToolChoice& choice, const nlohmann::ordered_json& tools,
                           engine::SamplingParams* params, std::string* err);

}  // namespace hearth::server
