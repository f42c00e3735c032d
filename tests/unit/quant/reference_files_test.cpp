// Checks against llama.cpp's own files: brown-6m-TYPE.gguf were quantized by llama-quantize (no
// imatrix) from brown-6m-f32.gguf. Each quantized tensor must decode close to the f32 original,
// hearth's re-quantization of the f32 tensor must be at least as accurate (in fact it writes the
// same bytes), and real weight rows of every type must round-trip within their bound.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "quant_test_util.h"
#include "test_util.h"

namespace hearth::quant {
namespace {

using namespace hearth::quant::testing;

// Relative RMS error of llama.cpp's files against the f32 weights (measured: Q8_0 0.0049,
// Q6_K 0.0165, Q5_K 0.0360, Q4_K 0.0712, Q4_0 0.0857, Q3_K 0.1505, Q2_K 0.2960).
double file_error_bound(GgmlType type) {
  switch (type) {
    case GgmlType::kQ8_0:
      return 0.010;  // issue 2: within 1%
    case GgmlType::kQ6_K:
      return 0.020;
    case GgmlType::kQ5_K:
      return 0.045;
    case GgmlType::kQ4_K:
      return 0.085;
    case GgmlType::kQ4_0:
      return 0.100;
    case GgmlType::kQ3_K:
      return 0.180;
    case GgmlType::kQ2_K:
      return 0.350;
    default:
      return 0.0;
  }
}

struct ErrorSums {
  double file_err2 = 0, ours_err2 = 0, signal2 = 0;
  int64_t blocks = 0, identical_blocks = 0;
};

gguf::File open_model(const std::string& name) {
  auto file = gguf::File::open(hearth::testing::testdata_path("models/" + name));
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  return std::move(file).value();
}

// For every quantized tensor of `file`: llama.cpp's decode vs f32, and hearth's own quantization of
// the f32 tensor (row by row, no importance, like llama-quantize without imatrix) vs f32.
std::map<GgmlType, ErrorSums> compare_with_f32(const gguf::File& file, const gguf::File& f32) {
  std::map<GgmlType, ErrorSums> sums;
  for (const gguf::TensorInfo& t : file.tensors()) {
    const TypeTraits* traits = find_type_traits(t.ggml_type);
    if (traits == nullptr || !traits->is_quantized) continue;
    const gguf::TensorInfo* ref = f32.find_tensor(t.name);
    EXPECT_NE(ref, nullptr) << t.name;
    if (ref == nullptr) continue;
    const auto* x = reinterpret_cast<const float*>(ref->data);
    const int64_t n = t.n_elements(), row = t.ne[0];
    const size_t row_bytes = static_cast<size_t>(row / traits->block_size) * traits->type_size;
    std::vector<float> decoded(static_cast<size_t>(n)), ours_decoded(static_cast<size_t>(n));
    std::vector<uint8_t> ours(row_bytes * static_cast<size_t>(t.n_rows()));
    traits->to_float(t.data, decoded.data(), n);
    for (int64_t r = 0; r < t.n_rows(); ++r) {
      traits->from_float(x + r * row, ours.data() + r * row_bytes, row, nullptr);
    }
    traits->to_float(ours.data(), ours_decoded.data(), n);
    ErrorSums& s = sums[traits->type];
    for (int64_t i = 0; i < n; ++i) {
      s.file_err2 += (static_cast<double>(x[i]) - decoded[i]) * (x[i] - decoded[i]);
      s.ours_err2 += (static_cast<double>(x[i]) - ours_decoded[i]) * (x[i] - ours_decoded[i]);
      s.signal2 += static_cast<double>(x[i]) * x[i];
    }
    const int64_t n_blocks = n / traits->block_size;
    for (int64_t b = 0; b < n_blocks; ++b) {
      s.identical_blocks +=
          std::memcmp(t.data + b * traits->type_size, ours.data() + b * traits->type_size,
                      traits->type_size) == 0;
    }
    s.blocks += n_blocks;
  }
  return sums;
}

class ReferenceFile : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceFile, DecodesCloseToF32AndHearthQuantizesAsWell) {
  HEARTH_REQUIRE_TESTDATA();
  const std::string tag = GetParam();
  const gguf::File f32 = open_model("brown-6m-f32.gguf");
  const gguf::File file = open_model("brown-6m-" + tag + ".gguf");
  const auto sums = compare_with_f32(file, f32);
  ASSERT_FALSE(sums.empty()) << "no quantized tensors in brown-6m-" << tag;
  for (const auto& [type, s] : sums) {
    const char* name = type_name(static_cast<uint32_t>(type));
    const double file_err = std::sqrt(s.file_err2 / s.signal2);
    const double ours_err = std::sqrt(s.ours_err2 / s.signal2);
    const double identical = static_cast<double>(s.identical_blocks) / s.blocks;
    std::printf(
        "  %-7s %-5s llama.cpp rel rms %.6f  hearth %.6f  ratio %.5f  identical blocks %.2f%%\n",
        tag.c_str(), name, file_err, ours_err, ours_err / file_err, 100 * identical);
    ASSERT_GT(file_error_bound(type), 0.0) << "no bound for " << name;
    EXPECT_LT(file_err, file_error_bound(type)) << name << " in " << tag;
    EXPECT_GT(file_err, 0.0) << name;
    EXPECT_LE(ours_err, 1.01 * file_err)
        << name << ": hearth's quantization is worse than llama.cpp's";
    // Round-to-nearest types must match exactly; the searched K-quant fits keep llama.cpp's float
    // operation order, so they match too (allowing a hair for a different compiler's rounding).
    const bool plain_rounding = type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0;
    EXPECT_GE(identical, plain_rounding ? 1.0 : 0.999) << name << " bytes differ from llama.cpp's";
  }
}

INSTANTIATE_TEST_SUITE_P(Brown6m, ReferenceFile,
                         ::testing::Values("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_S",
                                           "Q2_K"));

// Real weight rows through every type: within the same bounds as gaussian data.
TEST(RealRows, EveryTypeRoundTripsWithinBound) {
  HEARTH_REQUIRE_TESTDATA();
  const gguf::File f32 = open_model("brown-6m-f32.gguf");
  const struct {
    GgmlType type;
    double bound;
  } cases[] = {{GgmlType::kF16, 0.0005},   {GgmlType::kBF16, 0.004},   {GgmlType::kQ8_0, 0.0065},
               {GgmlType::kQ8_1, 0.0065},  {GgmlType::kQ8_K, 0.0085},  {GgmlType::kQ6_K, 0.022},
               {GgmlType::kQ5_0, 0.050},   {GgmlType::kQ5_1, 0.045},   {GgmlType::kQ5_K, 0.042},
               {GgmlType::kQ4_0, 0.100},   {GgmlType::kQ4_1, 0.095},   {GgmlType::kQ4_K, 0.085},
               {GgmlType::kIQ4_NL, 0.095}, {GgmlType::kIQ4_XS, 0.095}, {GgmlType::kQ3_K, 0.180},
               {GgmlType::kQ2_K, 0.350}};
  for (const char* name : {"blk.0.attn_q.weight", "blk.3.ffn_down.weight", "token_embd.weight"}) {
    const gguf::TensorInfo* t = f32.find_tensor(name);
    ASSERT_NE(t, nullptr) << name;
    const auto* x = reinterpret_cast<const float*>(t->data);
    const std::vector<float> rows(x, x + std::min<int64_t>(t->n_elements(), 256 * 256));
    for (const auto& c : cases) {
      const auto q = quantize_row(c.type, rows);
      const auto y = dequantize_row(c.type, q.data(), static_cast<int64_t>(rows.size()));
      const double err = relative_rms_error(rows, y);
      EXPECT_LT(err, c.bound) << type_name(static_cast<uint32_t>(c.type)) << " on " << name;
    }
  }
}

}  // namespace
}  // namespace hearth::quant
