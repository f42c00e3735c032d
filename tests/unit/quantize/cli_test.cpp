// `hearth quantize` / `hearth imatrix` / `hearth quality` on the command line: user errors are
// clear messages (never a crash), no partial output file is left behind, and `hearth quality`
// prints one row per type.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "quantize/imatrix.h"
#include "quantize_test_util.h"

namespace hearth::quantize {
namespace {

std::string str_fmt(const char* fmt) {
  return std::string("out-") + fmt + ".gguf";
}

using namespace hearth::quantize::testing;
using hearth::testing::run_hearth;

std::string q(const std::string& s) {
  return "'" + s + "'";
}

TEST(QuantizeCli, UnknownTypeListsTheValidOnes) {
  HEARTH_REQUIRE_TESTDATA();
  TempDir tmp;
  auto r = run_hearth("quantize " + q(model_path("f16")) + " " + q(tmp.path("o.gguf")) + " Q4_K_X");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown quantization 'Q4_K_X'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("IQ4_XS"), std::string::npos) << r.err;
  EXPECT_EQ(tmp.n_files(), 0u);
}

TEST(QuantizeCli, BadPathsAndInputs) {
  HEARTH_REQUIRE_TESTDATA();
  TempDir tmp;
  auto no_dir = run_hearth("quantize " + q(model_path("f16")) + " " +
                           q(tmp.path("missing/o.gguf")) + " Q8_0");
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_NE(no_dir.err.find("does not exist"), std::string::npos) << no_dir.err;
  auto same = run_hearth("quantize " + q(model_path("f16")) + " " + q(model_path("f16")) + " Q8_0");
  EXPECT_EQ(same.exit_code, 1);
  EXPECT_NE(same.err.find("is the input file"), std::string::npos) << same.err;
  { std::ofstream(tmp.path("text.gguf")) << "not a model at all"; }
  auto text =
      run_hearth("quantize " + q(tmp.path("text.gguf")) + " " + q(tmp.path("o.gguf")) + " Q8_0");
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.err.find("GGUF"), std::string::npos) << text.err;
  auto vocab =
      run_hearth("quantize " + q(hearth::testing::testdata_path("vocab/ggml-vocab-gpt-2.gguf")) +
                 " " + q(tmp.path("o.gguf")) + " Q8_0");
  EXPECT_EQ(vocab.exit_code, 1);
  EXPECT_NE(vocab.err.find("is not a model"), std::string::npos) << vocab.err;
  auto missing =
      run_hearth("quantize " + q(tmp.path("none.gguf")) + " " + q(tmp.path("o.gguf")) + " Q8_0");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_FALSE(missing.err.empty());
  EXPECT_EQ(tmp.n_files(), 1u);  // only text.gguf
}

// An imatrix whose rows do not match the model fails before anything is written.
TEST(QuantizeCli, MismatchedImatrixLeavesNoFile) {
  HEARTH_REQUIRE_TESTDATA();
  TempDir tmp;
  Imatrix m;
  m.entries["blk.0.attn_q.weight"] = {std::vector<double>(100, 1.0), 1, 1};
  ASSERT_TRUE(write_imatrix_dat(m, tmp.path("bad.dat")).ok());
  auto r = run_hearth("quantize " + q(model_path("f16")) + " " + q(tmp.path("o.gguf")) +
                      " Q4_K_M --imatrix " + q(tmp.path("bad.dat")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("blk.0.attn_q.weight has 100 values"), std::string::npos) << r.err;
  EXPECT_EQ(tmp.n_files(), 1u);  // bad.dat only: no output, no temporary file
}

// The same statistics as a .dat and as a GGUF imatrix give the same quantized tensors.
TEST(QuantizeCli, GgufAndDatImatrixQuantizeTheSame) {
  HEARTH_REQUIRE_TESTDATA();
  TempDir tmp;
  gguf::File model = open_or_die(model_path("f16"));
  Imatrix m;  // values exact in float and counts 1: both formats decode to the same weights
  for (const gguf::TensorInfo& t : model.tensors()) {
    if (t.name.rfind("blk.", 0) != 0 || t.n_dims != 2) continue;
    std::vector<double> v(static_cast<size_t>(t.ne[0]));
    for (size_t j = 0; j < v.size(); ++j) v[j] = 0.25 + 0.5 * static_cast<double>((j * 7) % 13);
    m.entries[t.name] = {std::move(v), 1, 1};
  }
  ASSERT_TRUE(write_imatrix(m, tmp.path("m.dat")).ok());
  ASSERT_TRUE(write_imatrix(m, tmp.path("m.gguf")).ok());
  for (const char* fmt : {"dat", "gguf"}) {
    auto r = run_hearth("quantize " + q(model_path("f16")) + " " + q(tmp.path(str_fmt(fmt))) +
                        " Q4_K_M -t 2 --imatrix " + q(tmp.path(std::string("m.") + fmt)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("42 weighted by the imatrix"), std::string::npos) << r.err;
  }
  gguf::File a = open_or_die(tmp.path(str_fmt("dat"))), b = open_or_die(tmp.path(str_fmt("gguf")));
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const gguf::TensorInfo &ta = a.tensors()[i], &tb = b.tensors()[i];
    ASSERT_EQ(ta.name, tb.name);
    ASSERT_EQ(ta.n_bytes, tb.n_bytes);
    EXPECT_EQ(0, std::memcmp(ta.data, tb.data, ta.n_bytes)) << ta.name;
  }
}

TEST(QuantizeCli, RequantizingWarnsAndWorks) {
  HEARTH_REQUIRE_TESTDATA();
  TempDir tmp;
  auto r =
      run_hearth("quantize " + q(model_path("Q8_0")) + " " + q(tmp.path("o.gguf")) + " Q4_0 -t 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("already quantized"), std::string::npos) << r.err;
  gguf::File out = open_or_die(tmp.path("o.gguf"));
  EXPECT_EQ(out.get_int_or("general.file_type", -1), 2);
  EXPECT_EQ(out.find_tensor("blk.0.attn_q.weight")->ggml_type, 2u);  // Q4_0
  EXPECT_EQ(out.find_tensor("output.weight")->ggml_type, 14u);       // Q6_K
}

TEST(QualityCli, OneRowPerTypeAsJson) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("quality -m " + q(model_path("f32")) + " -f " +
                      q(hearth::testing::testdata_path("brown-val.txt")) +
                      " --types q8_0,q3_k_s -c 64 --chunks 1 -t 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 3u);
  const auto& base = j["results"][0];
  const auto& q8 = j["results"][1];
  const auto& q3 = j["results"][2];
  EXPECT_TRUE(base["original"].get<bool>());
  EXPECT_EQ(q8["type"], "Q8_0");
  EXPECT_NEAR(q8["bits_per_weight"].get<double>(), 8.5, 0.1);
  EXPECT_LT(q3["bits_per_weight"].get<double>(), 4.5);
  EXPECT_LT(q8["mean_kld"].get<double>(), q3["mean_kld"].get<double>());
  EXPECT_GT(q8["top1_agreement"].get<double>(), 0.9);
  EXPECT_LT(std::abs(q8["ppl_change_pct"].get<double>()), 1.0);
  auto table = run_hearth("quality -m " + q(model_path("f32")) + " -f " +
                          q(hearth::testing::testdata_path("brown-val.txt")) +
                          " --types nope -c 64 --chunks 1");
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.err.find("unknown quantization 'nope'"), std::string::npos) << table.err;
}

}  // namespace
}  // namespace hearth::quantize
