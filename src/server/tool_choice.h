// OpenAI `tool_choice`: "none" | "auto" | "required" | {type: "function", function: {name}}.
// required / named are enforced the way llama.cpp does it: a grammar built from the tools' JSON
// schemas, in the call format of the chat template, masks the vocabulary at every step.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "grammar/grammar.h"

namespace hearth::server {

struct ToolChoice {
  enum Mode { kNone, kAuto, kRequired, kNamed } mode = kAuto;
  std::string name;  // kNamed
};

// Absent / null: auto when tools are given, else none. A named function must be in `tools`;
// required / named need tools.
bool read_tool_choice(const nlohmann::ordered_json& v, const nlohmann::ordered_json& tools,
                      ToolChoice* out, std::string* err);

// The call format a chat template teaches its model (tool_calls.h parses all of them).
enum class ToolStyle {
  kHermes,   // <tool_call>\n{"name", "arguments"}\n</tool_call>
  kLlama3,   // {"name", "parameters"}
  kMistral,  // [TOOL_CALLS][{"name", "arguments"}]
  kGeneric,  // {"name", "arguments"}
};
ToolStyle detect_tool_style(const std::string& template_text);

// GBNF for exactly one call of an allowed tool (all of `tools` for required, the named one
// otherwise) in `style`; the arguments follow the tool's `parameters` schema. A schema feature
// the compiler does not support is kInvalidArgument naming it (never unconstrained output).
Result<std::string> tool_call_gbnf(const ToolChoice& choice, const nlohmann::ordered_json& tools,
                                   ToolStyle style);
// The compiled grammar for required / named; null for none / auto.
Result<std::shared_ptr<const grammar::Grammar>> tool_choice_grammar(
    const ToolChoice& choice, const nlohmann::ordered_json& tools, ToolStyle style);

}  // namespace hearth::server
