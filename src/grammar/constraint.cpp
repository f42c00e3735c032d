#include "grammar/constraint.h"

#include <algorithm>
#include <cstring>
#include <deque>

namespace hearth::grammar {

std::shared_ptr<const TokenTrie> TokenTrie::build(const std::vector<std::string>& pieces,
                                                  std::vector<int32_t> eog) {
  auto trie = std::make_shared<TokenTrie>();
  trie->pieces_ = pieces;
  std::sort(eog.begin(), eog.end());
  trie->eog_ = std::move(eog);
  std::vector<int32_t> ids;  // (n_tokens with text) sorted by text
  for (int32_t i = 0; i < static_cast<int32_t>(pieces.size()); ++i)
    if (!pieces[static_cast<size_t>(i)].empty() && !trie->is_eog(i)) ids.push_back(i);
  auto text = [&](int32_t id) -> const std::string& { return pieces[static_cast<size_t>(id)]; };
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return text(a) < text(b); });

  // Breadth-first: a node covers ids[lo, hi), all sharing its first `depth` bytes; the ones of
  // exactly that length end here (they sort first), the rest are grouped by their next byte.
  struct Pending {
    uint32_t node;
    size_t lo, hi, depth;
  };
  trie->nodes_.push_back(Node{});
  std::deque<Pending> queue{{0, 0, ids.size(), 0}};
  while (!queue.empty()) {
    const Pending q = queue.front();
    queue.pop_front();
    size_t i = q.lo;
    while (i < q.hi && text(ids[i]).size() == q.depth) ++i;
    Node& node = trie->nodes_[q.node];
    node.tok_begin = static_cast<uint32_t>(trie->tokens_.size());
    trie->tokens_.insert(trie->tokens_.end(), ids.begin() + static_cast<long>(q.lo),
                         ids.begin() + static_cast<long>(i));
    node.tok_end = static_cast<uint32_t>(trie->tokens_.size());
    node.first_child = static_cast<uint32_t>(trie->nodes_.size());
    uint32_t n_children = 0;
    while (i < q.hi) {
      const char b = text(ids[i])[q.depth];
      size_t j = i;
      while (j < q.hi && text(ids[j])[q.depth] == b) ++j;
      Node child;
      child.byte = static_cast<uint8_t>(b);
      queue.push_back({static_cast<uint32_t>(trie->nodes_.size()), i, j, q.depth + 1});
      trie->nodes_.push_back(child);  // invalidates `node`
      ++n_children;
      i = j;
    }
    trie->nodes_[q.node].n_children = n_children;
  }
  return trie;
}

bool TokenTrie::is_eog(int32_t id) const {
  return std::binary_search(eog_.begin(), eog_.end(), id);
}

Constraint::Constraint(std::shared_ptr<const Grammar> grammar,
                       std::shared_ptr<const TokenTrie> trie)
    : trie_(std::move(trie)), matcher_(std::move(grammar)) {}

std::unique_ptr<Constraint> Constraint::create(std::shared_ptr<const Grammar> grammar,
                                               std::shared_ptr<const TokenTrie> trie) {
  return std::unique_ptr<Constraint>(new Constraint(std::move(grammar), std::move(trie)));
}

void Constraint::walk(uint32_t node, size_t begin, size_t end, const Partial& p, uint8_t* allowed) {
  const std::vector<TokenTrie::Node>& nodes = trie_->nodes();
  const std::vector<int32_t>& tokens = trie_->tokens();
  StackArena& arena = matcher_.arena();
  const TokenTrie::Node& n = nodes[node];
  for (uint32_t c = n.first_child; c < n.first_child + n.n_children; ++c) {
    const TokenTrie::Node& child = nodes[c];
    const size_t arena_mark = arena.size(), buf_mark = buf_.size();
    Partial np;
    size_t nb = 0, ne = 0;
    if (arena.step(buf_, begin, end, p, child.byte, np, nb, ne) && !arena.overflow()) {
      for (uint32_t t = child.tok_begin; t < child.tok_end; ++t) allowed[tokens[t]] = 1;
      if (child.n_children > 0) walk(c, nb, ne, np, allowed);
    }
    if (arena.overflow()) return;
    arena.truncate(arena_mark);
    buf_.resize(buf_mark);
  }
}

void Constraint::state_key(std::string& key) const {
  key.clear();
  auto put = [&key](uint32_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  const Partial& p = matcher_.partial();
  put(p.value);
  put(p.remaining);
  put(p.length);
  const StackArena& arena = matcher_.arena();
  for (int32_t leaf : matcher_.leaves()) {  // each stack top to bottom, then a separator
    for (int32_t n = leaf; n != kAccept; n = arena.node(n).parent) put(arena.node(n).pos);
    put(0xFFFFFFFFu);
  }
}

Status Constraint::compute_mask(std::vector<uint8_t>& allowed) {
  const size_t n_vocab = static_cast<size_t>(trie_->n_vocab());
  state_key(key_);
  if (auto it = cache_.find(key_); it != cache_.end()) {
    ++cache_hits_;
    allowed.resize(n_vocab);
    const std::vector<uint64_t>& bits = it->second;  // (ceil(n_vocab / 64))
    for (size_t w = 0; w < bits.size(); ++w) {
      const size_t lo = w * 64, n = std::min<size_t>(64, n_vocab - lo);
      if (bits[w] == 0 || bits[w] == ~0ull) {
        std::memset(allowed.data() + lo, bits[w] ? 1 : 0, n);
        continue;
      }
      for (size_t b = 0; b < n; ++b) allowed[lo + b] = static_cast<uint8_t>((bits[w] >> b) & 1);
    }
    return Status::Ok();
  }
  ++cache_misses_;
  HEARTH_RETURN_IF_ERROR(walk_mask(allowed));
  if (cache_.size() >= kMaxCachedMasks) cache_.clear();
  std::vector<uint64_t> bits((n_vocab + 63) / 64, 0);  // (ceil(n_vocab / 64))
  for (size_t i = 0; i < n_vocab; ++i)
    if (allowed[i]) bits[i / 64] |= 1ull << (i % 64);
  cache_.emplace(key_, std::move(bits));
  return Status::Ok();
}

Status Constraint::walk_mask(std::vector<uint8_t>& allowed) {
  allowed.assign(static_cast<size_t>(trie_->n_vocab()), 0);
  StackArena& arena = matcher_.arena();
  const size_t mark = arena.size();
  buf_.assign(matcher_.leaves().begin(), matcher_.leaves().end());
  if (!arena.overflow()) walk(0, 0, buf_.size(), matcher_.partial(), allowed.data());
  arena.truncate(mark);
  buf_.clear();
  if (arena.overflow()) {
    arena.reset_overflow();
    return resource_exhausted("the grammar is too ambiguous: more than ", kMaxStacks,
                              " parse stacks (or an exponential expansion); simplify it");
  }
  if (matcher_.can_end())
    for (int32_t t : trie_->eog()) allowed[static_cast<size_t>(t)] = 1;
  if (std::find(allowed.begin(), allowed.end(), 1) == allowed.end())
    return invalid_argument(
        "the grammar reached a dead end: no token of the vocabulary can "
        "continue the output (and it may not end here)");
  return Status::Ok();
}

Status Constraint::accept_token(int32_t token) {
  if (token < 0 || token >= trie_->n_vocab())
    return invalid_argument("token ", token, " is outside the vocabulary");
  if (trie_->is_eog(token)) {
    if (can_end()) return Status::Ok();
    return invalid_argument("end of generation (token ", token, ") before the grammar is complete");
  }
  const std::string& piece = trie_->piece(token);
  if (piece.empty())
    return invalid_argument("token ", token, " has no text; the grammar rejects it");
  return matcher_.accept(piece);
}

}  // namespace hearth::grammar
