// Pushdown matcher over bytes: the set of parse stacks a grammar can be in after some text.
//
// A stack is a persistent linked list of positions in Grammar::elems() (top first), stored as
// nodes in an arena so that advancing one character only adds the new top nodes. Every live
// stack ("leaf") has a character element on top, or is kAccept (the grammar has matched fully).
// Bytes are decoded as UTF-8: while a character is incomplete the stacks stay put and only the
// feasibility of the partial character is checked.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "grammar/grammar.h"

namespace hearth::grammar {

inline constexpr int32_t kAccept = -1;     // the empty stack: the grammar matched completely
inline constexpr size_t kMaxStacks = 512;  // ambiguity bound: more live stacks is an error

struct StackNode {
  uint32_t pos;    // index into Grammar::elems()
  int32_t parent;  // node below this one, or kAccept
};

// An incomplete UTF-8 character: bits so far and continuation bytes still expected.
struct Partial {
  uint32_t value = 0;
  uint32_t remaining = 0;
  uint32_t length = 0;  // continuation bytes of the whole sequence (overlong forms are rejected)
};

// Node storage plus the expansion / advance operations. Appending-only with truncate(), so a
// depth-first walk can undo its allocations.
class StackArena {
 public:
  explicit StackArena(const Grammar& g) : g_(&g) {}

  // Leaves reached from "position `pos` on top of `parent`", appended to out (deduplicated
  // against out[begin:]). Sets overflow() when more than kMaxStacks leaves result.
  void expand(uint32_t pos, int32_t parent, std::vector<int32_t>& out, size_t begin);
  // Leaves buf[begin:end) advanced by code point cp, appended to buf.
  void advance(std::vector<int32_t>& buf, size_t begin, size_t end, uint32_t cp);
  // Does any leaf of buf[begin:end) accept some code point in [lo, hi]?
  bool feasible(const std::vector<int32_t>& buf, size_t begin, size_t end, uint32_t lo,
                uint32_t hi) const;
  // One byte: advances buf[begin:end) (appending the new leaves to buf) or only updates the
  // partial character. Returns false when the byte is rejected. On success the new leaves are
  // buf[*nb:*ne).
  bool step(std::vector<int32_t>& buf, size_t begin, size_t end, const Partial& p, uint8_t byte,
            Partial& np, size_t& nb, size_t& ne);

  const StackNode& node(int32_t i) const { return nodes_[static_cast<size_t>(i)]; }
  size_t size() const { return nodes_.size(); }
  void truncate(size_t n) { nodes_.resize(n); }
  void clear() { nodes_.clear(); }
  int32_t push(uint32_t pos, int32_t parent) {
    nodes_.push_back({pos, parent});
    return static_cast<int32_t>(nodes_.size() - 1);
  }
  bool overflow() const { return overflow_; }
  void reset_overflow() { overflow_ = false; }
  const Grammar& grammar() const { return *g_; }

 private:
  void add_leaf(int32_t leaf, std::vector<int32_t>& out, size_t begin);

  const Grammar* g_;
  std::vector<StackNode> nodes_;
  bool overflow_ = false;
  uint32_t work_ = 0;  // expand() calls since the last advance()
};

// The state of one text under one grammar.
class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Grammar> g);
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Consumes bytes; on a mismatch the state is unchanged and the error says where.
  Status accept(std::string_view bytes);
  bool can_end() const;   // the text so far is a complete sentence of the grammar
  bool must_end() const;  // ... and nothing may follow
  bool dead() const { return leaves_.empty(); }
  size_t n_stacks() const { return leaves_.size(); }

  const Grammar& grammar() const { return *g_; }
  StackArena& arena() { return arena_; }
  const StackArena& arena() const { return arena_; }
  const std::vector<int32_t>& leaves() const { return leaves_; }
  const Partial& partial() const { return partial_; }

 private:
  void compact();  // rebuilds the arena with only live nodes, merging identical stacks

  std::shared_ptr<const Grammar> g_;
  StackArena arena_;
  std::vector<int32_t> leaves_;
  Partial partial_;
  size_t n_accepted_ = 0;  // bytes accepted so far (for error messages)
};

}  // namespace hearth::grammar
