// Turning a conversation into the prompt text: the model's Jinja chat template
// (tokenizer.chat_template) or a --chat-template-file, rendered with messages, tools,
// add_generation_prompt, bos_token / eos_token and strftime_now; the hard-coded family formats
// (chat_format.h) when the model has no template or --chat-format forces one.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "server/chat_format.h"
#include "template/template.h"

namespace hearth::server {

struct RenderedPrompt {
  std::string text;
  bool add_bos = true;             // false when the template printed BOS itself (llama.cpp's rule)
  std::vector<std::string> stops;  // end-of-turn markers (family formats)
  bool reasoning_open = false;     // the prompt ends inside <think>
};

class ChatPrompter {
 public:
  // `source` empty or `forced` set: the family format (forced, else chatml). A Jinja template
  // also gets the end-of-turn stops of the family its text resembles. A template that does not
  // parse is an error naming its line and column.
  static Result<ChatPrompter> create(const std::string& source, std::optional<ChatFormat> forced,
                                     std::string bos_token, std::string eos_token);
  // `messages`: [{role, content, tool_calls?, tool_call_id?, name?}] (already checked);
  // `tools`: the OpenAI tools array or null. A template error is kInvalidArgument when the
  // template raised it (raise_exception: the conversation is not one it accepts), else kInternal.
  Result<RenderedPrompt> render(const nlohmann::ordered_json& messages,
                                const nlohmann::ordered_json& tools) const;
  bool uses_jinja() const { return tmpl_ != nullptr; }
  // "jinja" or the family name, for the start-up line.
  std::string describe() const;

 private:
  std::shared_ptr<const tmpl::Template> tmpl_;  // null: family format
  ChatFormat family_ = ChatFormat::kChatML;
  std::string bos_, eos_;
};

}  // namespace hearth::server

namespace hearth::server {

// Checks and normalizes OpenAI / Ollama chat messages for the template: content parts joined to
// a string (null -> ""), "developer" -> "system", assistant tool_calls kept with their
// function.arguments as a JSON object (what templates iterate over; OpenAI sends a JSON string),
// tool messages with tool_call_id / name. False with a message naming the bad field.
bool normalize_messages(const nlohmann::ordered_json& in, nlohmann::ordered_json* out,
                        std::string* err);
// Checks the OpenAI `tools` array: [{type: "function", function: {name, description?,
// parameters?}}]. Null / absent -> null.
bool check_tools(const nlohmann::ordered_json& tools, std::string* err);

}  // namespace hearth::server
