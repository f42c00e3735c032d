// SentencePiece-style BPE over a vocabulary with scores (tokenizer.ggml.model = "llama").
//
// The text is split into UTF-8 characters held in a doubly linked list; every adjacent pair whose
// concatenation is a token goes into a max-heap keyed by that token's score (ties: leftmost).
// Popping the best pair merges it and queues the two new neighbour pairs; pairs that went stale
// (a side already merged elsewhere) are recognised by their length and skipped. O(n log n).
#include <queue>
#include <unordered_map>

#include "tokenizer/sessions.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

struct Symbol {
  int64_t prev;
  int64_t next;
  size_t begin;  // byte offset in the text
  size_t size;   // 0 once merged into its left neighbour
};

struct Bigram {
  int64_t left;
  int64_t right;
  float score;
  size_t size;  // byte length of the pair when it was queued

  // Heap order: higher score first, then the leftmost pair.
  bool operator<(const Bigram& other) const {
    return score < other.score || (score == other.score && left > other.left);
  }
};

}  // namespace

void spm_tokenize(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  if (text.empty()) return;
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t size =
        std::min(utf8_sequence_length(static_cast<uint8_t>(text[pos])), text.size() - pos);
    const auto index = static_cast<int64_t>(symbols.size());
    symbols.push_back({index - 1, pos + size == text.size() ? -1 : index + 1, pos, size});
    pos += size;
  }

  std::priority_queue<Bigram> queue;
  auto try_pair = [&](int64_t left, int64_t right) {
    if (left < 0 || right < 0) return;
    const std::string_view pair =
        text.substr(symbols[left].begin, symbols[left].size + symbols[right].size);
    const int32_t id = vocab.find(pair);
    if (id == kNoToken) return;
    queue.push({left, right, vocab.score(id), pair.size()});
  };
  for (int64_t i = 1; i < static_cast<int64_t>(symbols.size()); ++i) try_pair(i - 1, i);

  while (!queue.empty()) {
    const Bigram best = queue.top();
    queue.pop();
    Symbol& left = symbols[best.left];
    Symbol& right = symbols[best.right];
    if (left.size == 0 || right.size == 0 || left.size + right.size != best.size) continue;
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = best.left;
    try_pair(left.prev, best.left);
    try_pair(best.left, left.next);
  }

  // Every merged symbol is a token; single characters that are not become byte tokens.
  for (int64_t i = 0; i >= 0; i = symbols[i].next) {
    const std::string_view piece = text.substr(symbols[i].begin, symbols[i].size);
    const int32_t id = vocab.find(piece);
    if (id != kNoToken) {
      out.push_back(id);
      continue;
    }
    for (char byte : piece) {
      const int32_t byte_id = vocab.byte_token(static_cast<uint8_t>(byte));
      if (byte_id != kNoToken) {
        out.push_back(byte_id);
      } else if (vocab.unk() != kNoToken) {
        out.push_back(vocab.unk());
      }
    }
  }
}

namespace {

// The next character (SPM's notion: by lead byte, clamped to the text) at `pos`.
size_t char_size_at(std::string_view text, size_t pos) {
  return std::min(utf8_sequence_length(static_cast<uint8_t>(text[pos])), text.size() - pos);
}

// Key of two adjacent characters (each at most 4 bytes). Distinct pairs can only collide when a
// character is cut short by the end of its text, which merely loses a cut (still exact).
uint64_t pair_key(std::string_view a, std::string_view b) {
  uint64_t key = 0;
  for (size_t i = 0; i < a.size(); ++i) key |= uint64_t{static_cast<uint8_t>(a[i])} << (8 * i);
  for (size_t i = 0; i < b.size(); ++i) {
    key |= uint64_t{static_cast<uint8_t>(b[i])} << (32 + 8 * i);
  }
  return key;
}

}  // namespace

SpmTokenizer::SpmTokenizer(const Vocab& vocab) : vocab_(&vocab) {
  for (int32_t id = 0; id < vocab.n_tokens(); ++id) {
    const std::string_view text = vocab.text(id);
    size_t pos = 0;
    size_t size = text.empty() ? 0 : char_size_at(text, 0);
    while (pos + size < text.size()) {
      const size_t next_size = char_size_at(text, pos + size);
      inner_pairs_.insert(pair_key(text.substr(pos, size), text.substr(pos + size, next_size)));
      pos += size;
      size = next_size;
    }
  }
}

void SpmTokenizer::tokenize(std::string_view text, std::vector<int32_t>& out) const {
  // Tokens already produced for a piece: [first, first + count) of `out`.
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> cache;
  auto flush = [&](size_t begin, size_t end) {
    const std::string_view piece = text.substr(begin, end - begin);
    if (auto it = cache.find(piece); it != cache.end()) {
      for (size_t i = 0; i < it->second.second; ++i) out.push_back(out[it->second.first + i]);
      return;
    }
    const size_t first = out.size();
    spm_tokenize(*vocab_, piece, out);
    cache.emplace(piece, std::make_pair(first, out.size() - first));
  };
  size_t piece_begin = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t size = char_size_at(text, pos);
    const size_t next = pos + size;
    if (next < text.size()) {
      const size_t next_size = char_size_at(text, next);
      if (!inner_pairs_.count(pair_key(text.substr(pos, size), text.substr(next, next_size)))) {
        flush(piece_begin, next);
        piece_begin = next;
      }
    }
    pos = next;
  }
  if (piece_begin < text.size()) flush(piece_begin, text.size());
}

}  // namespace hearth::tokenizer
