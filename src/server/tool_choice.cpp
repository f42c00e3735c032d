#include "server/tool_choice.h"

#include "core/status.h"

namespace hearth::server {

using ojson = nlohmann::ordered_json;

bool read_tool_choice(const ojson& v, const ojson& tools, ToolChoice* out, std::string* err) {
  const bool have_tools = tools.is_array() && !tools.empty();
  out->mode = have_tools ? ToolChoice::kAuto : ToolChoice::kNone;
  if (v.is_null()) return true;
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s == "none")
      out->mode = ToolChoice::kNone;
    else if (s == "auto")
      out->mode = have_tools ? ToolChoice::kAuto : ToolChoice::kNone;
    else if (s == "required")
      out->mode = ToolChoice::kRequired;
    else
      return *err = str_cat(
                 "'tool_choice' must be none, auto, required or {type: \"function\", "
                 "function: {name}}, not '",
                 s, "'"),
             false;
  } else if (v.is_object() && v.contains("function") && v["function"].is_object() &&
             v["function"].contains("name") && v["function"]["name"].is_string()) {
    out->mode = ToolChoice::kNamed;
    out->name = v["function"]["name"].get<std::string>();
  } else {
    *err = "'tool_choice' must be none, auto, required or {type: \"function\", function: {name}}";
    return false;
  }
  if (out->mode == ToolChoice::kNone || out->mode == ToolChoice::kAuto) return true;
  if (!have_tools) return *err = "'tool_choice' asks for a tool call but 'tools' is empty", false;
  if (out->mode == ToolChoice::kNamed) {
    for (const ojson& t : tools)
      if (t["function"]["name"] == out->name) return true;
    return *err = str_cat("'tool_choice' names the function '", out->name,
                          "' which is not in 'tools'"),
           false;
  }
  return true;
}

bool constrain_tool_choice(const ToolChoice& choice, const ojson&, engine::SamplingParams*,
                           std::string* err) {
  if (choice.mode == ToolChoice::kNone || choice.mode == ToolChoice::kAuto) return true;
  *err =
      "tool_choice 'required' / a named function needs constrained decoding (a grammar), "
      "which this server does not have yet; use 'auto'";
  return false;
}

}  // namespace hearth::server
