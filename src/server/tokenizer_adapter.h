// Adapts the GGUF tokenizer (src/tokenizer) to the server's Tokenizer interface.
#pragma once

#include "server/server.h"
#include "tokenizer/tokenizer.h"

namespace hearth::server {

class GgufTokenizer : public Tokenizer {
 public:
  explicit GgufTokenizer(const tokenizer::Tokenizer& tok) : tok_(tok) {}
  // Special tokens written in the text (chat-format markers such as "<|im_start|>") are parsed.
  std::vector<int32_t> encode(const std::string& text, bool add_special) const override {
    return tok_.encode(text, add_special, /*parse_special=*/true);
  }
  std::string token_piece(int32_t token) const override { return tok_.token_to_piece(token); }
  bool is_eog(int32_t token) const override { return tok_.is_eog(token); }
  std::string decode(const std::vector<int32_t>& tokens) const override {
    return tok_.decode(std::span<const int32_t>(tokens.data(), tokens.size()));
  }
  int n_vocab() const override { return tok_.n_vocab(); }
  std::string bos_text() const override {
    return tok_.bos() >= 0 ? tok_.token_to_piece(tok_.bos(), /*special=*/true) : "";
  }
  std::string eos_text() const override {
    return tok_.eos() >= 0 ? tok_.token_to_piece(tok_.eos(), /*special=*/true) : "";
  }

 private:
  const tokenizer::Tokenizer& tok_;
};

}  // namespace hearth::server
