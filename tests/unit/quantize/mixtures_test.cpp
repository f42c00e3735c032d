// The _S/_M/_L mixtures without a llama.cpp reference file in ../shared/testdata, on brown-6m
// (6 layers, 8 heads / 4 KV heads, an output.weight): the types llama.cpp's
// llama_tensor_get_type gives, worked out by hand from its rules (use_more_bits picks layers 2
// and 5 of 6; n_layer / 8 = 0 layers count as "the first eighth").
#include <gtest/gtest.h>

#include <map>

#include "fit/quant_scheme.h"
#include "quantize/quantize.h"
#include "quantize_test_util.h"

namespace hearth::quantize {
namespace {

using namespace hearth::quantize::testing;

// "role@layer" -> type name for the tensors that differ from the base type, plus the base.
struct Expected {
  const char* scheme;
  const char* base;
  std::map<std::string, std::string> exceptions;  // tensor name -> type
};

std::map<std::string, std::string> planned(const gguf::File& f, const char* scheme,
                                           bool imatrix = false) {
  auto plans = plan_quantization(f, **fit::find_scheme(scheme), imatrix);
  EXPECT_TRUE(plans.ok()) << plans.status().to_string();
  std::map<std::string, std::string> out;
  for (const TensorPlan& p : *plans) out[p.src->name] = quant::type_name(p.out_type);
  return out;
}

TEST(Mixtures, BrownTypesFollowLlamaCppRules) {
  HEARTH_REQUIRE_TESTDATA();
  gguf::File f32 = open_or_die(model_path("f32"));
  auto blk = [](int l, const char* t) { return "blk." + std::to_string(l) + "." + t + ".weight"; };
  std::vector<Expected> cases = {
      {"Q5_K_S", "Q5_K", {{"output.weight", "Q6_K"}}},
      {"Q4_K_S",
       "Q4_K",
       {{"output.weight", "Q6_K"},
        {blk(0, "attn_v"), "Q5_K"},
        {blk(1, "attn_v"), "Q5_K"},
        {blk(2, "attn_v"), "Q5_K"},
        {blk(3, "attn_v"), "Q5_K"}}},
      {"Q3_K_M", "Q3_K", {{"output.weight", "Q6_K"}}},
      {"Q3_K_L", "Q3_K", {{"output.weight", "Q6_K"}}},
      {"IQ4_XS", "IQ4_XS", {{"output.weight", "Q6_K"}}},
      {"IQ4_NL", "IQ4_NL", {{"output.weight", "Q6_K"}}},
      {"Q5_0", "Q5_0", {{"output.weight", "Q6_K"}}},
      {"BF16", "BF16", {}},
  };
  for (int l = 0; l < 6; ++l) {
    cases[2].exceptions[blk(l, "attn_v")] = l < 2 ? "Q5_K" : "Q4_K";
    cases[2].exceptions[blk(l, "ffn_down")] = "Q4_K";
    cases[2].exceptions[blk(l, "attn_output")] = "Q4_K";
    cases[3].exceptions[blk(l, "attn_v")] = "Q5_K";
    cases[3].exceptions[blk(l, "ffn_down")] = "Q5_K";
    cases[3].exceptions[blk(l, "attn_output")] = "Q5_K";
  }
  for (const Expected& e : cases) {
    for (const auto& [name, type] : planned(f32, e.scheme)) {
      std::string want = name.find("norm") != std::string::npos ? "F32" : e.base;
      if (auto it = e.exceptions.find(name); it != e.exceptions.end()) want = it->second;
      EXPECT_EQ(type, want) << e.scheme << " " << name;
    }
  }
}

// Rules that depend on the importance matrix or on more layers, through the shared scheme table.
TEST(Mixtures, ImatrixAndLayerRules) {
  fit::ModelShape s;
  s.n_layer = 16;
  s.n_head = 32;
  s.n_kv_head = 8;  // n_gqa 4
  fit::TensorDesc down;
  down.name = "blk.1.ffn_down.weight";
  down.n_dims = 2;
  down.ne[0] = 4096;
  down.ne[1] = 1024;
  auto type = [&](const char* scheme, const fit::TensorDesc& t, bool im) {
    return std::string(
        quant::type_name(fit::scheme_tensor_type(**fit::find_scheme(scheme), s, t, im)));
  };
  EXPECT_EQ(type("Q4_0", down, false), "Q4_0");
  EXPECT_EQ(type("Q4_0", down, true), "Q4_1");  // first eighth guarded with an imatrix
  EXPECT_EQ(type("Q5_0", down, true), "Q5_1");
  EXPECT_EQ(type("IQ4_XS", down, false), "Q5_K");  // first eighth without an imatrix
  EXPECT_EQ(type("IQ4_XS", down, true), "IQ4_XS");
  fit::TensorDesc v = down;
  v.name = "blk.7.attn_v.weight";
  EXPECT_EQ(type("IQ4_NL", v, false), "Q5_K");  // n_gqa >= 4
  fit::TensorDesc odd = down;
  odd.ne[0] = 4096 + 32;  // not a multiple of 256: K-quant and IQ4_XS rows fall back
  odd.name = "blk.9.ffn_up.weight";
  EXPECT_EQ(type("IQ4_XS", odd, false), "IQ4_NL");
  EXPECT_EQ(type("Q4_K_M", odd, false), "Q5_0");
  EXPECT_EQ(type("Q5_K_S", odd, false), "Q5_1");
  EXPECT_EQ(type("Q6_K", odd, false), "Q8_0");
  EXPECT_EQ(type("Q2_K", odd, false), "IQ4_NL");
}

}  // namespace
}  // namespace hearth::quantize
