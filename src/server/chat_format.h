// Chat formatting for the common template families, detected from the GGUF chat template text
// (until the Jinja interpreter in src/template/ takes over). The rendered prompt carries no BOS:
// the tokenizer adds it when the vocabulary asks for one.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hearth::server {

enum class ChatFormat { kChatML, kLlama2, kLlama3, kMistral, kGemma, kPhi3 };

struct ChatMessage {
  std::string role;  // system | user | assistant | tool
  std::string content;
};

const char* chat_format_name(ChatFormat f);
std::optional<ChatFormat> parse_chat_format(const std::string& name);  // "chatml", "llama-3", ...
// Picks the family from a template's marker tokens; chatml when nothing matches.
ChatFormat detect_chat_format(const std::string& template_text);
// Renders the conversation and the opening of the assistant's turn.
std::string apply_chat_format(ChatFormat f, const std::vector<ChatMessage>& messages);
// End-of-turn markers to stop on, in case the vocabulary does not mark them end-of-generation.
std::vector<std::string> chat_format_stops(ChatFormat f);

}  // namespace hearth::server
