// WordPiece (tokenizer.ggml.model = "bert"), as llama.cpp runs it on converted BERT vocabularies
// (word-initial pieces carry a leading U+2581, continuation pieces have lost their "##").
#include <string>

#include "tokenizer/sessions.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

constexpr std::string_view kWordPrefix = "\xE2\x96\x81";  // U+2581

// CJK ideographs are words of their own (the ranges BERT's tokenizer uses).
bool is_cjk_ideograph(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// BERT's basic tokenizer: drops control characters, lowercases and strips accents (per the vocab's
// normalizer flags), splits on whitespace, and makes every punctuation mark, ASCII symbol and CJK
// ideograph a word of its own.
std::vector<std::string> split_words(const Vocab& vocab, std::string_view text) {
  std::vector<std::string> words(1);
  for (size_t pos = 0; pos < text.size();) {
    const DecodedChar decoded = decode_utf8(text, pos);
    pos += decoded.size;
    uint32_t cpt = decoded.cpt;
    if (vocab.strip_accents()) cpt = nfd_first(cpt);
    if (is_white_space(cpt)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    const CharClass cls = char_class(cpt);
    if (cpt == 0 || cpt == kReplacementChar || cls == CharClass::kControl) continue;
    if (vocab.strip_accents() && cls == CharClass::kMark) continue;
    std::string utf8;
    append_utf8(utf8, vocab.lowercase() ? to_lower(cpt) : cpt);
    if (cls == CharClass::kPunctuation || (cpt < 0x7F && cls == CharClass::kSymbol) ||
        is_cjk_ideograph(cpt)) {
      if (!words.back().empty()) words.emplace_back();
      words.back() = std::move(utf8);
      words.emplace_back();
    } else {
      words.back() += utf8;
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

}  // namespace

void wpm_tokenize(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  const size_t max_len = static_cast<size_t>(vocab.max_token_len());
  std::string word;
  for (const std::string& bare : split_words(vocab, text)) {
    word.assign(kWordPrefix);
    word += bare;
    const size_t first_token = out.size();
    // Longest match at each position; a word with an unmatched position becomes [UNK] whole.
    for (size_t i = 0; i < word.size();) {
      size_t matched = 0;
      for (size_t j = std::min(word.size(), i + max_len + 1); j > i; --j) {
        const int32_t id = vocab.find(std::string_view(word).substr(i, j - i));
        if (id != kNoToken) {
          out.push_back(id);
          matched = j - i;
          break;
        }
      }
      if (matched == 0) {
        out.resize(first_token);
        break;
      }
      i += matched;
    }
    if (out.size() == first_token && vocab.unk() != kNoToken) out.push_back(vocab.unk());
  }
}

}  // namespace hearth::tokenizer
