#include "server/chat_format.h"

namespace hearth::server {
namespace {

bool has(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

// Families without a system role fold it into the first user message.
std::vector<ChatMessage> fold_system(const std::vector<ChatMessage>& in) {
  std::vector<ChatMessage> out;
  std::string system;
  for (const ChatMessage& m : in) {
    if (m.role == "system") {
      system += (system.empty() ? "" : "\n\n") + m.content;
    } else if (m.role == "user" && !system.empty()) {
      out.push_back({m.role, system + "\n\n" + m.content});
      system.clear();
    } else {
      out.push_back(m);
    }
  }
  if (!system.empty()) out.push_back({"user", system});
  return out;
}

std::string render_llama2(const std::vector<ChatMessage>& messages, bool with_sys_block) {
  std::string out, system;
  bool first_user = true;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      system = m.content;
    } else if (m.role == "assistant") {
      out += (with_sys_block ? " " : "") + m.content + "</s>";
    } else {
      std::string content = m.content;
      if (first_user && !system.empty()) {
        content = with_sys_block ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content
                                 : system + "\n\n" + content;
      }
      if (!first_user && with_sys_block) out += "<s>";
      out += "[INST] " + content + " [/INST]";
      first_user = false;
    }
  }
  return out;
}

}  // namespace

const char* chat_format_name(ChatFormat f) {
  switch (f) {
    case ChatFormat::kChatML:
      return "chatml";
    case ChatFormat::kLlama2:
      return "llama-2";
    case ChatFormat::kLlama3:
      return "llama-3";
    case ChatFormat::kMistral:
      return "mistral";
    case ChatFormat::kGemma:
      return "gemma";
    case ChatFormat::kPhi3:
      return "phi-3";
  }
  return "chatml";
}

std::optional<ChatFormat> parse_chat_format(const std::string& name) {
  for (ChatFormat f : {ChatFormat::kChatML, ChatFormat::kLlama2, ChatFormat::kLlama3,
                       ChatFormat::kMistral, ChatFormat::kGemma, ChatFormat::kPhi3}) {
    if (name == chat_format_name(f)) return f;
  }
  return std::nullopt;
}

ChatFormat detect_chat_format(const std::string& t) {
  if (has(t, "<|im_start|>")) return ChatFormat::kChatML;
  if (has(t, "<|start_header_id|>")) return ChatFormat::kLlama3;
  if (has(t, "<start_of_turn>")) return ChatFormat::kGemma;
  if (has(t, "<|assistant|>") && has(t, "<|end|>")) return ChatFormat::kPhi3;
  if (has(t, "[INST]") && has(t, "<<SYS>>")) return ChatFormat::kLlama2;
  if (has(t, "[INST]")) return ChatFormat::kMistral;
  return ChatFormat::kChatML;
}

std::string apply_chat_format(ChatFormat f, const std::vector<ChatMessage>& messages) {
  std::string out;
  switch (f) {
    case ChatFormat::kChatML:
      for (const ChatMessage& m : messages)
        out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      return out + "<|im_start|>assistant\n";
    case ChatFormat::kLlama3:
      for (const ChatMessage& m : messages)
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
      return out + "<|start_header_id|>assistant<|end_header_id|>\n\n";
    case ChatFormat::kGemma:
      for (const ChatMessage& m : fold_system(messages)) {
        out += "<start_of_turn>" + std::string(m.role == "assistant" ? "model" : "user") + "\n" +
               m.content + "<end_of_turn>\n";
      }
      return out + "<start_of_turn>model\n";
    case ChatFormat::kPhi3:
      for (const ChatMessage& m : messages) out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
      return out + "<|assistant|>\n";
    case ChatFormat::kLlama2:
      return render_llama2(messages, true);
    case ChatFormat::kMistral:
      return render_llama2(messages, false);
  }
  return out;
}

std::vector<std::string> chat_format_stops(ChatFormat f) {
  switch (f) {
    case ChatFormat::kChatML:
      return {"<|im_end|>"};
    case ChatFormat::kLlama3:
      return {"<|eot_id|>"};
    case ChatFormat::kGemma:
      return {"<end_of_turn>"};
    case ChatFormat::kPhi3:
      return {"<|end|>"};
    case ChatFormat::kLlama2:
    case ChatFormat::kMistral:
      return {};
  }
  return {};
}

}  // namespace hearth::server
