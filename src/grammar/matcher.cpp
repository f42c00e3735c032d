#include "grammar/matcher.h"

#include <algorithm>
#include <unordered_map>

namespace hearth::grammar {
namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kMaxExpandWork = 200'000;  // expansion calls per advance (exponential guard)

// Lead byte -> (payload bits, continuation bytes); remaining 0 means invalid lead byte.
Partial lead_byte(uint8_t b) {
  if ((b & 0xE0) == 0xC0) return {static_cast<uint32_t>(b & 0x1F), 1, 1};
  if ((b & 0xF0) == 0xE0) return {static_cast<uint32_t>(b & 0x0F), 2, 2};
  if ((b & 0xF8) == 0xF0) return {static_cast<uint32_t>(b & 0x07), 3, 3};
  return {0, 0, 0};
}

// Smallest code point a sequence of 1 + length bytes may encode (shorter forms are overlong).
constexpr uint32_t kMinForLength[4] = {0, 0x80, 0x800, 0x10000};

// Code points an incomplete sequence can still become: [lo, hi], empty when lo > hi.
void partial_range(const Partial& p, uint32_t& lo, uint32_t& hi) {
  lo = p.value << (6 * p.remaining);
  hi = std::min(kMaxCodePoint, lo | ((1u << (6 * p.remaining)) - 1));
  lo = std::max(lo, kMinForLength[p.length]);
}

}  // namespace

void StackArena::add_leaf(int32_t leaf, std::vector<int32_t>& out, size_t begin) {
  for (size_t i = begin; i < out.size(); ++i) {
    const int32_t o = out[i];
    if (o == leaf) return;
    if (o >= 0 && leaf >= 0 &&
        nodes_[static_cast<size_t>(o)].pos == nodes_[static_cast<size_t>(leaf)].pos &&
        nodes_[static_cast<size_t>(o)].parent == nodes_[static_cast<size_t>(leaf)].parent) {
      if (static_cast<size_t>(leaf) + 1 == nodes_.size()) nodes_.pop_back();
      return;
    }
  }
  if (out.size() - begin >= kMaxStacks) {
    overflow_ = true;
    return;
  }
  out.push_back(leaf);
}

void StackArena::expand(uint32_t pos, int32_t parent, std::vector<int32_t>& out, size_t begin) {
  const std::vector<Element>& elems = g_->elems();
  for (;;) {
    if (++work_ > kMaxExpandWork) {
      overflow_ = true;
      return;
    }
    const Element& e = elems[pos];
    if (e.kind == ElemKind::kEnd) {
      if (parent == kAccept) return add_leaf(kAccept, out, begin);
      const StackNode n = nodes_[static_cast<size_t>(parent)];
      pos = n.pos;
      parent = n.parent;
      continue;
    }
    if (e.kind == ElemKind::kChars) return add_leaf(push(pos, parent), out, begin);
    // A rule reference: continue after it (tail position: straight to the parent), then try
    // every alternative of the rule on top of that continuation.
    const int32_t cont = elems[pos + 1].kind == ElemKind::kEnd ? parent : push(pos + 1, parent);
    for (uint32_t alt : g_->alts(e.first)) {
      expand(alt, cont, out, begin);
      if (overflow_) return;
    }
    return;
  }
}

void StackArena::advance(std::vector<int32_t>& buf, size_t begin, size_t end, uint32_t cp) {
  const size_t out_begin = buf.size();
  work_ = 0;
  for (size_t i = begin; i < end && !overflow_; ++i) {
    const int32_t leaf = buf[i];
    if (leaf < 0) continue;
    const StackNode n = nodes_[static_cast<size_t>(leaf)];
    if (g_->match(g_->elems()[n.pos], cp)) expand(n.pos + 1, n.parent, buf, out_begin);
  }
}

bool StackArena::feasible(const std::vector<int32_t>& buf, size_t begin, size_t end, uint32_t lo,
                          uint32_t hi) const {
  for (size_t i = begin; i < end; ++i) {
    if (buf[i] < 0) continue;
    if (g_->match_any(g_->elems()[nodes_[static_cast<size_t>(buf[i])].pos], lo, hi)) return true;
  }
  return false;
}

bool StackArena::step(std::vector<int32_t>& buf, size_t begin, size_t end, const Partial& p,
                      uint8_t byte, Partial& np, size_t& nb, size_t& ne) {
  uint32_t cp;
  if (p.remaining > 0) {
    if ((byte & 0xC0) != 0x80) return false;
    np = {(p.value << 6) | (byte & 0x3Fu), p.remaining - 1, p.length};
    if (np.remaining > 0) {
      uint32_t lo, hi;
      partial_range(np, lo, hi);
      if (lo > hi || !feasible(buf, begin, end, lo, hi)) return false;
      nb = begin;
      ne = end;
      return true;
    }
    cp = np.value;
    if (cp < kMinForLength[np.length] || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;  // overlong, out of range or a surrogate
    np = {};
  } else if (byte < 0x80) {
    np = {};
    cp = byte;
  } else {
    np = lead_byte(byte);
    if (np.remaining == 0) return false;
    uint32_t lo, hi;
    partial_range(np, lo, hi);
    if (lo > hi || !feasible(buf, begin, end, lo, hi)) return false;
    nb = begin;
    ne = end;
    return true;
  }
  nb = buf.size();
  advance(buf, begin, end, cp);
  ne = buf.size();
  return ne > nb;
}

Matcher::Matcher(std::shared_ptr<const Grammar> g) : g_(std::move(g)), arena_(*g_) {
  const std::vector<uint32_t>& alts = g_->alts(g_->root());
  for (uint32_t alt : alts) arena_.expand(alt, kAccept, leaves_, 0);
}

Status Matcher::accept(std::string_view bytes) {
  if (arena_.overflow())
    return resource_exhausted("the grammar is too ambiguous: more than ", kMaxStacks,
                              " parse stacks at the start");
  // The arena is compact here (a few nodes per stack): a copy makes a failed accept undoable.
  const StackArena saved_arena = arena_;
  const std::vector<int32_t> saved_leaves = leaves_;
  const Partial saved_partial = partial_;
  std::vector<int32_t> buf;
  for (size_t i = 0; i < bytes.size(); ++i) {
    buf = leaves_;
    Partial np;
    size_t nb = 0, ne = 0;
    const bool ok =
        arena_.step(buf, 0, buf.size(), partial_, static_cast<uint8_t>(bytes[i]), np, nb, ne);
    if (!ok || arena_.overflow()) {
      const bool overflow = arena_.overflow();
      arena_ = saved_arena;
      leaves_ = saved_leaves;
      partial_ = saved_partial;
      if (overflow)
        return resource_exhausted("the grammar is too ambiguous: more than ", kMaxStacks,
                                  " parse stacks (or an exponential expansion) at byte ",
                                  n_accepted_ + i, " of the output");
      return invalid_argument("the output does not match the grammar at byte ", n_accepted_ + i,
                              " (byte 0x", std::hex,
                              static_cast<int>(static_cast<uint8_t>(bytes[i])), ")");
    }
    leaves_.assign(buf.begin() + static_cast<long>(nb), buf.begin() + static_cast<long>(ne));
    partial_ = np;
    if (leaves_.size() > 16 || arena_.size() > 4096) compact();  // merge equal stacks early
  }
  n_accepted_ += bytes.size();
  compact();
  return Status::Ok();
}

bool Matcher::can_end() const {
  return partial_.remaining == 0 &&
         std::find(leaves_.begin(), leaves_.end(), kAccept) != leaves_.end();
}

bool Matcher::must_end() const {
  return can_end() && leaves_.size() == 1;
}

void Matcher::compact() {
  StackArena fresh(*g_);
  std::unordered_map<int32_t, int32_t> remap;    // old node -> new node
  std::unordered_map<uint64_t, int32_t> intern;  // (pos, new parent) -> new node
  std::vector<int32_t> chain, out;
  for (int32_t leaf : leaves_) {
    int32_t np = kAccept;
    if (leaf != kAccept) {
      chain.clear();
      int32_t cur = leaf;
      while (cur != kAccept && !remap.count(cur)) {
        chain.push_back(cur);
        cur = arena_.node(cur).parent;
      }
      np = cur == kAccept ? kAccept : remap[cur];
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const StackNode& n = arena_.node(*it);
        const uint64_t key = (static_cast<uint64_t>(n.pos) << 32) | static_cast<uint32_t>(np);
        auto [slot, inserted] = intern.try_emplace(key, 0);
        if (inserted) slot->second = fresh.push(n.pos, np);
        np = slot->second;
        remap[*it] = np;
      }
    }
    if (std::find(out.begin(), out.end(), np) == out.end()) out.push_back(np);
  }
  arena_ = std::move(fresh);
  leaves_ = std::move(out);
}

}  // namespace hearth::grammar
