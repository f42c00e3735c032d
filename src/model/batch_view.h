// BatchView: the tokens of one forward pass, from many sequences, and where each sequence's K/V
// live in a KvArena (kv_cache.h).
#pragma once

#include <cstdint>
#include <span>

namespace hearth::model {

// The K/V location of one sequence of a batch.
struct SeqKv {
  const int32_t* block_table = nullptr;  // (n_blocks) arena blocks; nullptr: slot = position
  int64_t n_blocks = 0;                  // entries in block_table (covers n_blocks*block_size)
};

// A batch of tokens from many sequences, in the layout engine::Batch uses.
struct BatchView {
  std::span<const int32_t> tokens;      // (n_tokens) token ids, sequences back to back
  std::span<const int32_t> positions;   // (n_tokens) position of each token in its sequence
  std::span<const int32_t> seq_index;   // (n_tokens) index into seqs
  std::span<const SeqKv> seqs;          // (n_seqs)
  int64_t block_size = 0;               // tokens per block of every block_table
  std::span<const int32_t> logit_rows;  // (n_logits) token rows whose logits are wanted
};

}  // namespace hearth::model
