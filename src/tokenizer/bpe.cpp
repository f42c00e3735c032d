// Byte-level BPE (tokenizer.ggml.model = "gpt2"): pre-tokenize with the regex chain, map each
// word's bytes to the byte alphabet, then merge adjacent symbols by merge rank.
#include <queue>
#include <string>
#include <unordered_map>

#include "tokenizer/sessions.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

struct Symbol {
  int64_t prev;
  int64_t next;
  size_t begin;  // byte offset in the encoded word
  size_t size;   // 0 once merged into its left neighbour
};

struct Bigram {
  int64_t left;
  int64_t right;
  int32_t rank;
  size_t size;

  // Heap order: lowest rank first, then the leftmost pair.
  bool operator<(const Bigram& other) const {
    return rank > other.rank || (rank == other.rank && left > other.left);
  }
};

// Reusable state for the words of one encode call.
class WordEncoder {
 public:
  explicit WordEncoder(const Vocab& vocab) : vocab_(vocab) {}

  void encode(std::string_view word, std::vector<int32_t>& out) {
    if (word.empty()) return;
    if (vocab_.ignore_merges()) {
      const int32_t id = vocab_.find(word);
      if (id != kNoToken) {
        out.push_back(id);
        return;
      }
    }
    symbols_.clear();
    for (size_t pos = 0; pos < word.size();) {
      const size_t size =
          std::min(utf8_sequence_length(static_cast<uint8_t>(word[pos])), word.size() - pos);
      const auto index = static_cast<int64_t>(symbols_.size());
      symbols_.push_back({index - 1, pos + size == word.size() ? -1 : index + 1, pos, size});
      pos += size;
    }
    for (int64_t i = 1; i < static_cast<int64_t>(symbols_.size()); ++i) try_pair(word, i - 1, i);
    while (!queue_.empty()) {
      const Bigram best = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[best.left];
      Symbol& right = symbols_[best.right];
      if (left.size == 0 || right.size == 0 || left.size + right.size != best.size) continue;
      left.size += right.size;
      right.size = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = best.left;
      try_pair(word, left.prev, best.left);
      try_pair(word, best.left, left.next);
    }
    for (int64_t i = 0; i >= 0; i = symbols_[i].next)
      emit(word.substr(symbols_[i].begin, symbols_[i].size), out);
  }

 private:
  void try_pair(std::string_view word, int64_t left, int64_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols_[left];
    const Symbol& r = symbols_[right];
    const int32_t rank =
        vocab_.merge_rank(word.substr(l.begin, l.size), word.substr(r.begin, r.size));
    if (rank < 0) return;
    queue_.push({left, right, rank, l.size + r.size});
  }

  // A finished symbol: its token, or (llama.cpp's fallback) the tokens of its single bytes.
  void emit(std::string_view piece, std::vector<int32_t>& out) const {
    const int32_t id = vocab_.find(piece);
    if (id != kNoToken) {
      out.push_back(id);
      return;
    }
    for (char byte : piece) {
      const int32_t byte_id = vocab_.find(std::string_view(&byte, 1));
      if (byte_id != kNoToken) out.push_back(byte_id);
    }
  }

  const Vocab& vocab_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram> queue_;
};

}  // namespace

void bpe_tokenize(const Vocab& vocab, const PreTokenizer& pre, std::string_view text,
                  std::vector<int32_t>& out) {
  std::string canonical;
  const std::string_view source = canonicalize_utf8(text, canonical) ? text : canonical;
  std::vector<Span> words;
  pre.split(source, words);

  WordEncoder encoder(vocab);
  std::string encoded;
  // Tokens already produced for a word: [first, first + count) of `out`.
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> cache;
  for (const Span& word : words) {
    const std::string_view raw = source.substr(word.first, word.second - word.first);
    if (auto it = cache.find(raw); it != cache.end()) {
      for (size_t i = 0; i < it->second.second; ++i) out.push_back(out[it->second.first + i]);
      continue;
    }
    const size_t first = out.size();
    encoded.clear();
    for (size_t i = word.first; i < word.second; ++i) {
      encoded.append(byte_to_unicode(static_cast<uint8_t>(source[i])));
    }
    encoder.encode(encoded, out);
    cache.emplace(raw, std::make_pair(first, out.size() - first));
  }
}

}  // namespace hearth::tokenizer
