// BPE pre-tokenization: the regex chain chosen by tokenizer.ggml.pre, run with PCRE2 (UTF mode,
// Unicode properties from PCRE2's tables, JIT-compiled) with llama.cpp's splitting semantics:
//   - the regexes apply one after the other, each to every piece the previous ones produced;
//   - a regex keeps both its matches and the unmatched text between them as pieces;
//   - non-ASCII White_Space characters are seen as "\v" by the regexes (llama.cpp collapses them
//     before matching), so they match \s but never a literal in a character class.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace hearth::tokenizer {

// [begin, end) byte offsets of one pre-tokenized word.
using Span = std::pair<size_t, size_t>;

class PreTokenizer {
 public:
  // Compiles the regex chain of `type`.
  static Result<PreTokenizer> create(PreType type);
  // Compiles an explicit chain (tests).
  static Result<PreTokenizer> from_patterns(const std::vector<std::string_view>& patterns);

  // Splits `text` into words. `text` must be canonical UTF-8 (see canonicalize_utf8); surrogate
  // code points are matched as U+FFFD. Appends the words to `words` in order; they cover `text`.
  void split(std::string_view text, std::vector<Span>& words) const;

  size_t n_patterns() const { return patterns_.size(); }

 private:
  struct Pattern;
  std::vector<std::shared_ptr<const Pattern>> patterns_;
};

}  // namespace hearth::tokenizer
