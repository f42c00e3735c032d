// The sampler chain, in llama.cpp's order: logit bias -> repetition / presence / frequency
// penalties -> top-k -> top-p -> min-p -> temperature -> draw with a seeded RNG.
// temperature <= 0 means greedy (argmax after bias and penalties).
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace hearth::sampling {

struct SamplerParams {
  float temperature = 0.8f;     // <= 0: greedy
  int top_k = 40;               // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off; divides positive logits, multiplies negative ones
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int penalty_last_n = 64;  // how many recent tokens the penalties look at (0: none, -1: all)
  std::vector<std::pair<int32_t, float>> logit_bias;  // added to the logit (-inf bans a token)
  uint64_t seed = 0;                                  // same seed + same logits -> same tokens
};

// Checks the ranges of the params (a usage error names the field).
Status validate(const SamplerParams& params);

// One candidate during sampling.
struct Candidate {
  int32_t id;
  float logit;
  float p;  // probability, filled by the stages that need it
};

class Sampler {
 public:
  explicit Sampler(SamplerParams params);

  // Picks the next token from logits (n_vocab). Does not record it: call accept().
  int32_t sample(std::span<const float> logits);
  // Records a token (prompt or generated) for the penalties.
  void accept(int32_t token);
  void reset();  // forgets the history; the RNG continues
  const SamplerParams& params() const { return params_; }

  // The individual stages, exposed for tests. Candidates sorted or not as noted.
  void apply_bias(std::vector<Candidate>& c) const;
  void apply_penalties(std::vector<Candidate>& c) const;
  static void top_k(std::vector<Candidate>& c, int k);    // leaves c sorted by logit desc
  static void top_p(std::vector<Candidate>& c, float p);  // sorts, keeps the smallest set >= p
  static void min_p(std::vector<Candidate>& c, float p);  // keeps p_i >= p * p_max
  static void softmax(std::vector<Candidate>& c);         // fills p (c unchanged in order)

 private:
  SamplerParams params_;
  std::mt19937_64 rng_;
  std::deque<int32_t> history_;  // most recent last, at most penalty_last_n (all if -1)
};

// Index of the largest logit (the first one on ties).
int32_t argmax(std::span<const float> logits);

}  // namespace hearth::sampling
