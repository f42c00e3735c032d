// The model tokenizers proper (internal to src/tokenizer): each turns one piece of raw text
// (no special tokens in it) into ids, appending to `out`.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tokenizer/pretokenize.h"
#include "tokenizer/vocab.h"

namespace hearth::tokenizer {

// SentencePiece BPE: `text` already has its spaces replaced by U+2581. Merges the adjacent pair
// whose concatenation is the highest-scoring token (ties: leftmost) until none is left; pieces
// that are not tokens fall back to byte tokens <0xXX>.
void spm_tokenize(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

// spm_tokenize for long texts. Every merged symbol is a vocabulary token, so no symbol can ever
// span two adjacent characters that appear next to each other in no token; the text is cut at
// such boundaries (in English: mostly before each U+2581) and the pieces, which then evolve
// independently in the same relative order, are tokenized one by one -- with the same result as
// one pass over the whole text, but with small heaps and a cache for repeated pieces.
class SpmTokenizer {
 public:
  explicit SpmTokenizer(const Vocab& vocab);
  void tokenize(std::string_view text, std::vector<int32_t>& out) const;

 private:
  const Vocab* vocab_;
  std::unordered_set<uint64_t> inner_pairs_;  // pair_key of adjacent characters inside tokens
};

// Byte-level BPE: pre-tokenizes, maps each word's bytes to the byte alphabet and applies merges
// by rank (lowest first, ties: leftmost).
void bpe_tokenize(const Vocab& vocab, const PreTokenizer& pre, std::string_view text,
                  std::vector<int32_t>& out);

// WordPiece (BERT): normalizes (lowercase, strip accents), splits on whitespace and punctuation,
// then takes the longest vocabulary match at each position of "\u2581" + word.
void wpm_tokenize(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

// A piece of the input: raw text [begin, end), or one special token matched in it.
struct Fragment {
  size_t begin = 0;
  size_t end = 0;
  int32_t token = kNoToken;  // kNoToken: raw text
};

// Finds which special tokens occur in a text with one pass over it (a byte trie), so that the
// per-token splitting below only runs for tokens that are actually there.
class SpecialTokenMatcher {
 public:
  explicit SpecialTokenMatcher(const Vocab& vocab);
  // Cuts the special tokens out of `text` exactly as llama.cpp does: longest token text first,
  // each token's non-overlapping occurrences left to right, honoring lstrip/rstrip. Control and
  // unknown tokens are only matched when `parse_special`; user-defined tokens always are.
  std::vector<Fragment> split(std::string_view text, bool parse_special) const;

 private:
  struct Node {
    int32_t first_child = -1;  // children are a linked list (few per node)
    int32_t next_sibling = -1;
    int32_t order = -1;  // position in vocab.special_tokens() of the token ending here
    uint8_t byte = 0;
  };
  int32_t child(int32_t node, uint8_t byte) const;
  void insert(std::string_view text, int32_t order);

  const Vocab* vocab_;
  std::vector<Node> nodes_;     // nodes_[0] is the root
  int32_t root_children_[256];  // direct index for the first byte (-1: no token starts so)
};

}  // namespace hearth::tokenizer
