#include "server/chat_prompt.h"

namespace hearth::server {

using ojson = nlohmann::ordered_json;

Result<ChatPrompter> ChatPrompter::create(const std::string& source,
                                          std::optional<ChatFormat> forced, std::string bos_token,
                                          std::string eos_token) {
  ChatPrompter p;
  p.bos_ = std::move(bos_token);
  p.eos_ = std::move(eos_token);
  p.family_ = forced ? *forced : detect_chat_format(source);
  if (forced || source.empty()) return p;
  auto parsed = tmpl::Template::parse(source);
  if (!parsed.ok()) return invalid_argument("chat template: ", parsed.status().message());
  p.tmpl_ = std::make_shared<const tmpl::Template>(std::move(*parsed));
  return p;
}

std::string ChatPrompter::describe() const {
  return tmpl_ ? "jinja" : chat_format_name(family_);
}

Result<RenderedPrompt> ChatPrompter::render(const ojson& messages, const ojson& tools) const {
  RenderedPrompt out;
  if (!tmpl_) {
    std::vector<ChatMessage> plain;
    for (const ojson& m : messages) {
      const ojson& c = m["content"];
      plain.push_back({m["role"].get<std::string>(), c.is_string() ? c.get<std::string>() : ""});
    }
    out.text = apply_chat_format(family_, plain);
    out.stops = chat_format_stops(family_);
    return out;
  }
  ojson ctx = {{"messages", messages},
               {"add_generation_prompt", true},
               {"bos_token", bos_},
               {"eos_token", eos_}};
  if (tools.is_array() && !tools.empty()) ctx["tools"] = tools;
  auto text = tmpl_->render(ctx);
  if (!text.ok()) {
    const std::string& msg = text.status().message();
    // raise_exception() in the template: it refuses this conversation (a client error).
    if (msg.find("TemplateError: ") != std::string::npos)
      return invalid_argument("the chat template rejected the conversation: ", msg);
    return internal_error("the chat template failed: ", msg);
  }
  out.text = std::move(*text);
  out.add_bos = bos_.empty() || out.text.compare(0, bos_.size(), bos_) != 0;
  size_t end = out.text.find_last_not_of(" \n\r\t");
  out.reasoning_open =
      end != std::string::npos && end + 1 >= 7 && out.text.compare(end + 1 - 7, 7, "<think>") == 0;
  out.stops = chat_format_stops(family_);
  return out;
}

}  // namespace hearth::server

namespace hearth::server {
namespace {

bool normalize_tool_calls(const ojson& calls, size_t i, ojson* out, std::string* err) {
  if (!calls.is_array())
    return *err = str_cat("messages[", i, "].tool_calls must be an array"), false;
  *out = ojson::array();
  for (size_t k = 0; k < calls.size(); ++k) {
    const ojson& c = calls[k];
    std::string where = str_cat("messages[", i, "].tool_calls[", k, "]");
    if (!c.is_object() || !c.contains("function") || !c["function"].is_object() ||
        !c["function"].contains("name") || !c["function"]["name"].is_string())
      return *err = where + " needs function.name (a string)", false;
    ojson fn = c["function"];
    ojson args = fn.contains("arguments") ? fn["arguments"] : ojson::object();
    if (args.is_string()) {
      ojson parsed = ojson::parse(args.get<std::string>(), nullptr, false);
      if (parsed.is_discarded())
        return *err = where + ".function.arguments is not valid JSON", false;
      args = parsed;
    }
    ojson call = {{"id", c.contains("id") && c["id"].is_string() ? c["id"] : ojson("")},
                  {"type", "function"},
                  {"function", {{"name", fn["name"]}, {"arguments", args}}}};
    out->push_back(call);
  }
  return true;
}

}  // namespace

bool normalize_messages(const ojson& in, ojson* out, std::string* err) {
  if (!in.is_array() || in.empty())
    return *err = "'messages' must be a non-empty array of {role, content}", false;
  *out = ojson::array();
  for (size_t i = 0; i < in.size(); ++i) {
    const ojson& m = in[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return *err = str_cat("messages[", i, "] needs a string 'role'"), false;
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant" && role != "tool")
      return *err = str_cat("messages[", i, "].role '", role,
                            "' is not one of system, developer, user, assistant, tool"),
             false;
    std::string content;
    const ojson& c = m.contains("content") ? m["content"] : ojson(nullptr);
    if (c.is_string()) {
      content = c.get<std::string>();
    } else if (c.is_array()) {  // [{type: "text", text: "..."}]
      for (const ojson& part : c) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
            !part["text"].is_string())
          return *err =
                     str_cat("messages[", i, "].content: only parts of type 'text' are supported"),
                 false;
        content += part["text"].get<std::string>();
      }
    } else if (!c.is_null()) {
      return *err = str_cat("messages[", i, "].content must be a string or an array of text parts"),
             false;
    }
    ojson n = {{"role", role}, {"content", content}};
    if (m.contains("tool_calls") && !m["tool_calls"].is_null()) {
      if (role != "assistant")
        return *err = str_cat("messages[", i, "]: only assistant messages carry tool_calls"), false;
      ojson calls;
      if (!normalize_tool_calls(m["tool_calls"], i, &calls, err)) return false;
      if (!calls.empty()) n["tool_calls"] = calls;
    }
    for (const char* k : {"tool_call_id", "name"}) {
      if (!m.contains(k) || m[k].is_null()) continue;
      if (!m[k].is_string())
        return *err = str_cat("messages[", i, "].", k, " must be a string"), false;
      n[k] = m[k];
    }
    out->push_back(n);
  }
  return true;
}

bool check_tools(const ojson& tools, std::string* err) {
  if (tools.is_null()) return true;
  if (!tools.is_array()) return *err = "'tools' must be an array", false;
  for (size_t i = 0; i < tools.size(); ++i) {
    const ojson& t = tools[i];
    if (!t.is_object() || t.value("type", "function") != "function" || !t.contains("function") ||
        !t["function"].is_object() || !t["function"].contains("name") ||
        !t["function"]["name"].is_string())
      return *err = str_cat("tools[", i, "] must be {type: \"function\", function: {name, ...}}"),
             false;
    if (t["function"].contains("parameters") && !t["function"]["parameters"].is_object())
      return *err = str_cat("tools[", i, "].function.parameters must be a JSON schema object"),
             false;
  }
  return true;
}

}  // namespace hearth::server
