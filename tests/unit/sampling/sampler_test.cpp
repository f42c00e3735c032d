#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace hearth::sampling {
namespace {

std::vector<Candidate> make(std::vector<float> logits) {
  std::vector<Candidate> c;
  for (size_t i = 0; i < logits.size(); ++i) c.push_back({static_cast<int32_t>(i), logits[i], 0});
  return c;
}

std::vector<int32_t> ids(const std::vector<Candidate>& c) {
  std::vector<int32_t> out;
  for (const auto& x : c) out.push_back(x.id);
  return out;
}

TEST(Sampler, GreedyPicksArgmaxFirstOnTies) {
  SamplerParams p;
  p.temperature = 0;
  Sampler s(p);
  EXPECT_EQ(s.sample(std::vector<float>{0.5f, 3.0f, -1.0f, 3.0f}), 1);
  EXPECT_EQ(argmax(std::vector<float>{1, 2, 9, 2}), 2);
}

TEST(Sampler, TopKKeepsTheKLargestSorted) {
  auto c = make({0.1f, 5.0f, 2.0f, 4.0f, -3.0f});
  Sampler::top_k(c, 3);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1, 3, 2}));
}

TEST(Sampler, TopPKeepsSmallestSetReachingP) {
  // probabilities 0.5, 0.25, 0.125, 0.125 (logits are log probs)
  auto c = make({std::log(0.125f), std::log(0.5f), std::log(0.25f), std::log(0.125f)});
  auto d = c;
  Sampler::top_p(c, 0.7f);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1, 2}));
  Sampler::top_p(d, 0.5f);
  EXPECT_EQ(ids(d), (std::vector<int32_t>{1}));
}

TEST(Sampler, MinPDropsTokensBelowFractionOfTheBest) {
  auto c = make({std::log(0.6f), std::log(0.3f), std::log(0.05f), std::log(0.05f)});
  Sampler::min_p(c, 0.1f);  // threshold 0.06
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1}));
}

TEST(Sampler, PenaltiesFollowLlamaCpp) {
  SamplerParams p;
  p.repeat_penalty = 2.0f;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  Sampler s(p);
  s.accept(0);
  s.accept(0);
  s.accept(1);
  auto c = make({4.0f, -1.0f, 3.0f});
  s.apply_penalties(c);
  EXPECT_FLOAT_EQ(c[0].logit, 4.0f / 2 - 2 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(c[1].logit, -1.0f * 2 - 1 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(c[2].logit, 3.0f);
}

TEST(Sampler, PenaltyWindowForgetsOldTokens) {
  SamplerParams p;
  p.repeat_penalty = 2.0f;
  p.penalty_last_n = 1;
  Sampler s(p);
  s.accept(0);
  s.accept(1);
  auto c = make({4.0f, 4.0f});
  s.apply_penalties(c);
  EXPECT_FLOAT_EQ(c[0].logit, 4.0f);
  EXPECT_FLOAT_EQ(c[1].logit, 2.0f);
}

TEST(Sampler, LogitBiasCanBanTheBestToken) {
  SamplerParams p;
  p.temperature = 0;
  p.logit_bias = {{1, -INFINITY}};
  Sampler s(p);
  EXPECT_EQ(s.sample(std::vector<float>{0.5f, 3.0f, 1.0f}), 2);
}

TEST(Sampler, SameSeedSameTokensAndDistributionMatchesSoftmax) {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 42;
  std::vector<float> logits = {std::log(0.7f), std::log(0.2f), std::log(0.1f)};
  Sampler a(p), b(p);
  std::map<int32_t, int> counts;
  for (int i = 0; i < 4000; ++i) {
    int32_t t = a.sample(logits);
    EXPECT_EQ(t, b.sample(logits));
    ++counts[t];
  }
  EXPECT_NEAR(counts[0] / 4000.0, 0.7, 0.03);
  EXPECT_NEAR(counts[1] / 4000.0, 0.2, 0.03);
  EXPECT_NEAR(counts[2] / 4000.0, 0.1, 0.03);
  p.seed = 43;
  Sampler c(p), d(p);
  int differ = 0;
  for (int i = 0; i < 50; ++i) differ += c.sample(logits) != a.sample(logits);
  EXPECT_GT(differ, 0);
  (void)d;
}

TEST(Sampler, LowTemperatureConcentratesOnTheBest) {
  SamplerParams p;
  p.temperature = 0.05f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  Sampler s(p);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s.sample(std::vector<float>{1.0f, 2.0f, 1.5f}), 1);
}

TEST(Sampler, TopKOneIsGreedyEvenWithHighTemperature) {
  SamplerParams p;
  p.temperature = 5.0f;
  p.top_k = 1;
  Sampler s(p);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(std::vector<float>{1.0f, 2.0f, 1.9f}), 1);
}

TEST(Sampler, ValidateRejectsBadParams) {
  SamplerParams p;
  p.top_p = 0;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.repeat_penalty = -1;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.min_p = 2;
  EXPECT_FALSE(validate(p).ok());
  EXPECT_TRUE(validate(SamplerParams{}).ok());
}

}  // namespace
}  // namespace hearth::sampling
