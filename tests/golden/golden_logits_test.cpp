// Golden test: hearth's forward pass against llama.cpp's logits (../shared/testdata/reference):
// same top-5 ids with logits within 1e-3 relative (1e-3 absolute near zero), same 16-token greedy
// continuation. The token ids come from the reference file; golden_cli_test.cpp also checks
// the tokenization end to end through `hearth logits`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "model/model.h"
#include "sampling/sampler.h"
#include "test_util.h"

namespace hearth {
namespace {

using nlohmann::json;

// Relative tolerance (g_tolerance): 1e-3 (1e-3 absolute near zero) for every model, as the issue
// asks. The quantized models get far closer: their activations are rounded to int8 (Q8_K / Q8_0)
// before every matmul, so one ulp of difference anywhere upstream can move an activation across a
// rounding boundary and the logits by ~2e-3. The kernels therefore follow ggml's rounding order
// exactly (repacked Q4_K: scale and min parts summed apart, folded into f32 once per 64 values as
// ggml_gemm_q4_K_8x8_q8_K does, subtracted last; attention with ggml's f16 rounding points), and
// brown-6m-Q4_K_M matches llama.cpp to < 1e-6 at all 14 positions on every ISA.
double g_tolerance = 1e-3;
bool close(double got, double want) {
  return std::abs(got - want) <= g_tolerance * std::max(1.0, std::abs(want));
}

// Checks one position's logits (n_vocab) against the reference top list [[id, logit], ...].
void check_top(std::span<const float> logits, const json& top, const std::string& where) {
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = top.size();
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  for (size_t r = 0; r < k; ++r) {
    const int32_t id = top[r][0];
    const double want = top[r][1];
    EXPECT_TRUE(close(logits[id], want)) << where << " rank " << r << " id " << id << ": hearth "
                                         << logits[id] << " llama.cpp " << want;
    // The same id at each rank, unless two logits tie within the tolerance.
    if (order[r] != id) {
      EXPECT_TRUE(close(logits[order[r]], want))
          << where << " rank " << r << ": hearth has id " << order[r] << " (" << logits[order[r]]
          << "), llama.cpp id " << id << " (" << want << ")";
    }
  }
}

void check_model(const std::string& name) {
  const std::string model_path = testing::testdata_path("models/" + name + ".gguf");
  std::ifstream in(testing::testdata_path("reference/" + name + ".logits.json"));
  ASSERT_TRUE(in) << name;
  const json ref = json::parse(in);
  auto model = model::Model::load(model_path);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const int64_t nv = (*model)->config().n_vocab;
  ThreadPool pool(1);
  for (const json& prompt : ref) {
    const std::vector<int32_t> tokens = prompt["tokens"];
    const std::vector<int32_t> greedy_want = prompt["greedy"];
    model::Session session(**model, pool, 128);
    ASSERT_TRUE(session.eval(tokens, model::Logits::kAll).ok());
    const auto& positions = prompt["positions"];
    ASSERT_EQ(positions.size(), tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      check_top(
          session.logits().subspan(i * nv, nv), positions[i]["top"],
          name + " '" + prompt["prompt"].get<std::string>() + "' position " + std::to_string(i));
    }
    std::vector<int32_t> greedy;
    for (size_t i = 0; i < greedy_want.size(); ++i) {
      greedy.push_back(sampling::argmax(session.last_logits()));
      ASSERT_TRUE(session.eval(std::span(greedy).last(1)).ok());
    }
    EXPECT_EQ(greedy, greedy_want) << name << " '" << prompt["prompt"].get<std::string>() << "'";
  }
}

class GoldenLogits : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenLogits, MatchesLlamaCpp) {
  HEARTH_REQUIRE_TESTDATA();
  check_model(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Reference, GoldenLogits,
                         ::testing::Values("brown-6m-f32", "brown-6m-Q4_K_M",
                                           "rand-llama-llama-spm", "rand-qwen2-gpt-2",
                                           "rand-qwen3-llama-spm"),
                         [](const auto& info) {
                           std::string s = info.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

}  // namespace
}  // namespace hearth
