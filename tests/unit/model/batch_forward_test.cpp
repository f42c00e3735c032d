// Model::forward_batch on real brown-6m files: a mixed batch of several sequences (prefill chunks
// and decode tokens together) over a paged arena with scattered block tables gives, row for row,
// bit for bit, the logits each sequence gets alone through Session (Q8_0 and Q4_K_M, default
// ISA): a row's numerics do not depend on the rows that share its batch, in every kernel
// (kernels/matmul.cpp: the one-token dots are the N = 1 instances of the N-token ones).
// Bad tables, positions and rows are errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "core/aligned_buffer.h"
#include "model/model.h"
#include "test_util.h"

namespace hearth::model {
namespace {

using hearth::testing::testdata_path;

constexpr int64_t kBlock = 16;  // tokens per block of the test arena

// A paged arena of n_blocks blocks for `c`, owned by the test.
struct TestArena {
  std::vector<AlignedBuffer<fp16_t>> k, v;  // (n_layer) each (n_blocks * kBlock, k_dim / v_dim)
  KvArena arena;
  TestArena(const ModelConfig& c, int64_t n_blocks) {
    arena.n_slots = n_blocks * kBlock;
    arena.k_stride = c.k_dim();
    arena.v_stride = c.v_dim();
    for (int64_t l = 0; l < c.n_layer; ++l) {
      k.emplace_back(static_cast<size_t>(arena.n_slots * c.k_dim()));
      v.emplace_back(static_cast<size_t>(arena.n_slots * c.v_dim()));
    }
    for (int64_t l = 0; l < c.n_layer; ++l) {
      arena.k.push_back(k[l].data());
      arena.v.push_back(v[l].data());
    }
  }
};

// One step's batch: for each sequence s, tokens [begin[s], end[s]) of seq_tokens[s].
struct Step {
  std::vector<int32_t> tokens, positions, seq_index, rows;
};

Step make_step(const std::vector<std::vector<int32_t>>& seq_tokens, const std::vector<int>& begin,
               const std::vector<int>& end) {
  Step st;
  for (size_t s = 0; s < seq_tokens.size(); ++s) {
    for (int p = begin[s]; p < end[s]; ++p) {
      st.tokens.push_back(seq_tokens[s][p]);
      st.positions.push_back(p);
      st.seq_index.push_back(static_cast<int32_t>(s));
    }
    if (end[s] > begin[s]) st.rows.push_back(static_cast<int32_t>(st.tokens.size()) - 1);
  }
  return st;
}

BatchView view_of(const Step& st, const std::vector<SeqKv>& seqs) {
  BatchView b;
  b.tokens = st.tokens;
  b.positions = st.positions;
  b.seq_index = st.seq_index;
  b.seqs = seqs;
  b.block_size = kBlock;
  b.logit_rows = st.rows;
  return b;
}

void expect_batch_matches_sessions(const std::string& file, bool bitwise) {
  HEARTH_REQUIRE_TESTDATA();
  auto model = Model::load(testdata_path("models/" + file));
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const Model& m = **model;
  const int64_t nv = m.config().n_vocab;
  ThreadPool pool(2);
  std::mt19937 rng(7);
  // Three sequences of 40, 23 and 6 tokens.
  std::vector<std::vector<int32_t>> toks(3);
  const int lens[3] = {40, 23, 6};
  for (int s = 0; s < 3; ++s)
    for (int i = 0; i < lens[s]; ++i) toks[s].push_back(static_cast<int32_t>(rng() % nv));
  // Scattered block tables: the 9 blocks the sequences need, shuffled over an arena of 12.
  std::vector<int32_t> blocks(12);
  for (int i = 0; i < 12; ++i) blocks[i] = i;
  std::shuffle(blocks.begin(), blocks.end(), rng);
  std::vector<std::vector<int32_t>> tables = {
      {blocks[0], blocks[1], blocks[2]}, {blocks[3], blocks[4]}, {blocks[5]}};
  std::vector<SeqKv> seqs;
  for (const auto& t : tables) seqs.push_back({t.data(), static_cast<int64_t>(t.size())});
  TestArena arena(m.config(), 12);

  // Step 1: prefill 39 of A, 10 of B, 5 of C. Step 2: A's last token (a decode), the rest of B,
  // C's last token.
  const std::vector<std::vector<int>> begins = {{0, 0, 0}, {39, 10, 5}};
  const std::vector<std::vector<int>> ends = {{39, 10, 5}, {40, 23, 6}};
  std::vector<Session> alone;
  alone.reserve(3);
  for (int s = 0; s < 3; ++s) alone.emplace_back(m, pool, 64);
  for (size_t step = 0; step < 2; ++step) {
    Step st = make_step(toks, begins[step], ends[step]);
    std::vector<float> logits(st.rows.size() * nv);  // (n_logits, n_vocab)
    ASSERT_TRUE(m.forward_batch(pool, arena.arena, view_of(st, seqs), logits.data()).ok());
    for (int s = 0; s < 3; ++s) {
      const int b = begins[step][s], e = ends[step][s];
      std::span<const int32_t> part(toks[s].data() + b, static_cast<size_t>(e - b));
      ASSERT_TRUE(alone[s].eval(part).ok());
      const float* want = alone[s].last_logits().data();
      const float* got = logits.data() + s * nv;
      if (bitwise) {
        EXPECT_EQ(std::memcmp(want, got, nv * sizeof(float)), 0)
            << file << " step " << step << " sequence " << s << ": first logit " << want[0]
            << " alone, " << got[0] << " in the batch";
        continue;
      }
      for (int64_t v = 0; v < nv; ++v)
        ASSERT_NEAR(got[v], want[v], 1e-4 * (1 + std::abs(want[v])))
            << file << " step " << step << " sequence " << s << " vocab " << v;
      EXPECT_EQ(std::max_element(got, got + nv) - got, std::max_element(want, want + nv) - want);
    }
  }
}

TEST(BatchForward, MixedBatchMatchesEachSequenceAloneQ8_0) {
  expect_batch_matches_sessions("brown-6m-Q8_0.gguf", true);
}

TEST(BatchForward, MixedBatchMatchesEachSequenceAloneQ4_K_M) {
  expect_batch_matches_sessions("brown-6m-Q4_K_M.gguf", true);
}

TEST(BatchForward, BadBatchesAreErrors) {
  HEARTH_REQUIRE_TESTDATA();
  auto model = Model::load(testdata_path("models/brown-6m-Q8_0.gguf"));
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const Model& m = **model;
  ThreadPool pool(1);
  TestArena arena(m.config(), 4);
  std::vector<int32_t> table = {2};
  std::vector<SeqKv> seqs = {{table.data(), 1}};
  std::vector<float> logits(m.config().n_vocab);
  Step st;
  st.tokens = {5, 6};
  st.positions = {0, 1};
  st.seq_index = {0, 0};
  st.rows = {1};
  EXPECT_TRUE(m.forward_batch(pool, arena.arena, view_of(st, seqs), logits.data()).ok());

  Step far = st;
  far.positions = {15, 16};  // the table covers positions [0, 16)
  Status s = m.forward_batch(pool, arena.arena, view_of(far, seqs), logits.data());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("position 16"), std::string::npos) << s.message();

  std::vector<int32_t> bad_table = {4};  // the arena has blocks 0..3
  std::vector<SeqKv> bad = {{bad_table.data(), 1}};
  s = m.forward_batch(pool, arena.arena, view_of(st, bad), logits.data());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("block 4"), std::string::npos) << s.message();

  Step bad_row = st;
  bad_row.rows = {2};
  EXPECT_FALSE(m.forward_batch(pool, arena.arena, view_of(bad_row, seqs), logits.data()).ok());
  Step bad_seq = st;
  bad_seq.seq_index = {0, 1};
  EXPECT_FALSE(m.forward_batch(pool, arena.arena, view_of(bad_seq, seqs), logits.data()).ok());
}

}  // namespace
}  // namespace hearth::model
