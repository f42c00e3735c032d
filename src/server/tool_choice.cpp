#include "server/tool_choice.h"

#include <cctype>

#include "core/status.h"
#include "grammar/json_schema.h"

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

ToolStyle detect_tool_style(const std::string& t) {
  if (t.find("<tool_call>") != std::string::npos) return ToolStyle::kHermes;
  if (t.find("[TOOL_CALLS]") != std::string::npos) return ToolStyle::kMistral;
  if (t.find("<|python_tag|>") != std::string::npos ||
      t.find("<|start_header_id|>") != std::string::npos)
    return ToolStyle::kLlama3;
  return ToolStyle::kGeneric;
}

namespace {

// Prefixes every rule name of a GBNF text, definitions and references (string literals, character
// classes, repetition counts and comments are copied as they are).
std::string prefix_rules(const std::string& g, const std::string& prefix) {
  std::string out;
  size_t i = 0;
  auto copy_until = [&](char close) {  // copies g[i] through the matching `close`
    out += g[i++];
    while (i < g.size() && g[i] != close) {
      if (g[i] == '\\' && i + 1 < g.size()) out += g[i++];
      out += g[i++];
    }
    if (i < g.size()) out += g[i++];
  };
  while (i < g.size()) {
    char c = g[i];
    if (c == '"') {
      copy_until('"');
    } else if (c == '[') {
      copy_until(']');
    } else if (c == '{') {
      copy_until('}');
    } else if (c == '#') {
      copy_until('\n');
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      out += prefix;
      while (i < g.size() &&
             (std::isalnum(static_cast<unsigned char>(g[i])) || g[i] == '-' || g[i] == '_'))
        out += g[i++];
    } else {
      out += g[i++];
    }
  }
  return out;
}

}  // namespace

Result<std::string> tool_call_gbnf(const ToolChoice& choice, const ojson& tools, ToolStyle style) {
  using json = nlohmann::json;
  const std::string args_key = style == ToolStyle::kLlama3 ? "parameters" : "arguments";
  // One alternative per allowed tool: {"name": "NAME", "arguments": ARGS}, name first; the
  // arguments' properties in the order the tool's schema declares them.
  std::string alts, rules;
  int k = 0;
  for (const ojson& t : tools) {
    const ojson& fn = t["function"];
    std::string name = fn["name"].get<std::string>();
    if (choice.mode == ToolChoice::kNamed && name != choice.name) continue;
    const ojson params = fn.contains("parameters") ? fn["parameters"] : ojson{{"type", "object"}};
    auto gbnf = grammar::json_schema_to_gbnf(params);
    if (!gbnf.ok())
      return invalid_argument("tools: function '", name, "': ", gbnf.status().message());
    const std::string prefix = str_cat("t", k++, "-");
    rules += prefix_rules(*gbnf, prefix);
    if (!rules.empty() && rules.back() != '\n') rules += '\n';
    std::string head = "{\"name\": " + json(name).dump() + ", \"" + args_key + "\": ";
    alts += (alts.empty() ? "" : " | ") + grammar::gbnf_literal(head) + " " + prefix + "root " +
            grammar::gbnf_literal("}");
  }
  if (alts.empty()) return invalid_argument("'tool_choice' allows no tool of 'tools'");
  const char* wrap = style == ToolStyle::kHermes ? R"("<tool_call>\n" tool-call "\n</tool_call>")"
                     : style == ToolStyle::kMistral ? R"("[TOOL_CALLS][" tool-call "]")"
                                                    : "tool-call";
  return str_cat("root ::= ", wrap, "\ntool-call ::= ", alts, "\n", rules);
}

Result<std::shared_ptr<const grammar::Grammar>> tool_choice_grammar(const ToolChoice& choice,
                                                                    const ojson& tools,
                                                                    ToolStyle style) {
  if (choice.mode == ToolChoice::kNone || choice.mode == ToolChoice::kAuto)
    return std::shared_ptr<const grammar::Grammar>();
  HEARTH_ASSIGN_OR_RETURN(std::string gbnf, tool_call_gbnf(choice, tools, style));
  auto g = grammar::Grammar::parse(gbnf);
  if (!g.ok()) return internal_error("the tool-call grammar: ", g.status().message());
  return *g;
}

}  // namespace hearth::server
