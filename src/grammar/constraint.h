// Grammar-constrained decoding: which tokens of a vocabulary may come next.
//
// TokenTrie is built once per vocabulary (shared by all requests): a byte trie of every token's
// text, so the mask walks shared prefixes once and prunes a whole subtree at the first byte the
// grammar rejects. Constraint is one request's grammar state.
//
//   auto trie = TokenTrie::build(pieces, eog_ids);        // pieces: (n_vocab) token bytes
//   auto c = Constraint::create(grammar, trie);          // per request
//   c->compute_mask(allowed);                             // (n_vocab) 1 = may be sampled
//   c->accept_token(id);                                  // after sampling
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "grammar/grammar.h"
#include "grammar/matcher.h"

namespace hearth::grammar {

class TokenTrie {
 public:
  // pieces[i] is the text of token i as the engine appends it to the output ("" for control
  // tokens, which are never allowed); eog lists end-of-generation tokens, allowed exactly where
  // the grammar may end.
  static std::shared_ptr<const TokenTrie> build(const std::vector<std::string>& pieces,
                                                std::vector<int32_t> eog);

  struct Node {
    uint32_t first_child = 0;  // children are nodes[first_child, first_child + n_children)
    uint32_t n_children = 0;
    uint32_t tok_begin = 0;  // tokens whose text ends here: tokens[tok_begin, tok_end)
    uint32_t tok_end = 0;
    uint8_t byte = 0;  // label of the edge into this node
  };

  int32_t n_vocab() const { return static_cast<int32_t>(pieces_.size()); }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const std::vector<int32_t>& eog() const { return eog_; }
  bool is_eog(int32_t id) const;
  const std::string& piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }

 private:
  std::vector<Node> nodes_;          // (n_nodes) breadth-first; node 0 is the root
  std::vector<int32_t> tokens_;      // (n_vocab - empty pieces - eog) token ids grouped by node
  std::vector<int32_t> eog_;         // sorted
  std::vector<std::string> pieces_;  // (n_vocab)
};

class Constraint {
 public:
  static std::unique_ptr<Constraint> create(std::shared_ptr<const Grammar> grammar,
                                            std::shared_ptr<const TokenTrie> trie);

  // allowed: (n_vocab) 1 where the token may come next. Fails when no token is allowed (a dead
  // end) or the grammar is too ambiguous.
  Status compute_mask(std::vector<uint8_t>& allowed);
  // Advances over a sampled token; an end-of-generation token is accepted where the grammar may
  // end (and leaves the state alone).
  Status accept_token(int32_t token);
  Status accept_text(std::string_view text) { return matcher_.accept(text); }
  bool can_end() const { return matcher_.can_end(); }
  bool must_end() const { return matcher_.must_end(); }
  const TokenTrie& trie() const { return *trie_; }

  // Masks are cached per matcher state (the set of parse stacks plus a partial character): inside
  // a string or between array items the state repeats, and a repeated state costs a bitset
  // expansion instead of a trie walk. At most kMaxCachedMasks states are kept per request.
  static constexpr size_t kMaxCachedMasks = 256;
  size_t mask_cache_hits() const { return cache_hits_; }
  size_t mask_cache_misses() const { return cache_misses_; }

 private:
  Constraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenTrie> trie);
  void walk(uint32_t node, size_t begin, size_t end, const Partial& p, uint8_t* allowed);
  Status walk_mask(std::vector<uint8_t>& allowed);  // the uncached mask
  void state_key(std::string& key) const;           // the matcher state as bytes

  std::shared_ptr<const TokenTrie> trie_;
  Matcher matcher_;
  std::vector<int32_t> buf_;  // leaves of the walk, appended depth-first
  std::unordered_map<std::string, std::vector<uint64_t>> cache_;  // state -> (n_vocab / 64) bits
  std::string key_;                                               // scratch for state_key
  size_t cache_hits_ = 0, cache_misses_ = 0;
};

}  // namespace hearth::grammar
