// hearth quantize against llama.cpp's llama-quantize: brown-6m-TYPE.gguf in ../shared/testdata
// were written by llama-quantize (no imatrix) from brown-6m-f32.gguf. hearth's per-tensor types
// must equal llama.cpp's (plan and `hearth info --json` of the written file), the written files
// must be byte-identical, and every quantized tensor must decode within its type's bound.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "fit/quant_scheme.h"
#include "quantize/quantize.h"
#include "quantize_test_util.h"

namespace hearth::quantize {
namespace {

using namespace hearth::quantize::testing;

const char* const kReferenceTypes[] = {"Q8_0", "Q6_K",   "Q5_K_M", "Q4_K_M",
                                       "Q4_0", "Q3_K_S", "Q2_K"};

// Relative RMS error bound of a whole tensor against the f32 weights, per type (llama.cpp's
// files measure Q8_0 0.0049, Q6_K 0.0165, Q5_K 0.0360, Q4_K 0.0712, Q4_0 0.0857, Q3_K 0.1505,
// Q2_K 0.2960 over all their tensors).
double error_bound(uint32_t type) {
  switch (static_cast<quant::GgmlType>(type)) {
    case quant::GgmlType::kQ8_0:
      return 0.010;
    case quant::GgmlType::kQ6_K:
      return 0.025;
    case quant::GgmlType::kQ5_K:
      return 0.050;
    case quant::GgmlType::kQ4_K:
      return 0.095;
    case quant::GgmlType::kQ4_0:
      return 0.110;
    case quant::GgmlType::kQ3_K:
      return 0.200;
    case quant::GgmlType::kQ2_K:
      return 0.380;
    default:
      return 0.0;
  }
}

double relative_rms(const std::vector<float>& ref, const std::vector<float>& got) {
  double err = 0, sig = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err += (static_cast<double>(ref[i]) - got[i]) * (static_cast<double>(ref[i]) - got[i]);
    sig += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(err / sig);
}

std::map<std::string, std::string> types_from_info_json(const std::string& path) {
  auto r = hearth::testing::run_hearth("info --json '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> types;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("tensors")) return types;
  for (const auto& t : j["tensors"]) types[t["name"]] = t["type"];
  return types;
}

TEST(QuantizeReference, PlannedTypesEqualLlamaCpp) {
  HEARTH_REQUIRE_TESTDATA();
  gguf::File f32 = open_or_die(model_path("f32"));
  for (const char* type : kReferenceTypes) {
    gguf::File ref = open_or_die(model_path(type));
    auto scheme = fit::find_scheme(type);
    ASSERT_TRUE(scheme.ok());
    auto plans = plan_quantization(f32, **scheme, /*has_imatrix=*/false);
    ASSERT_TRUE(plans.ok()) << plans.status().to_string();
    ASSERT_EQ(plans->size(), ref.tensors().size()) << type;
    for (size_t i = 0; i < plans->size(); ++i) {
      const TensorPlan& p = (*plans)[i];
      const gguf::TensorInfo& r = ref.tensors()[i];  // same order as llama.cpp writes them
      EXPECT_EQ(p.src->name, r.name) << type << " tensor " << i;
      EXPECT_EQ(p.out_type, r.ggml_type)
          << type << " " << r.name << ": hearth " << quant::type_name(p.out_type) << ", llama.cpp "
          << quant::type_name(r.ggml_type);
    }
  }
}

// Writes every reference type (under the sanitizers: three of them) and compares with llama.cpp's
// file byte for byte, and each quantized tensor with the f32 original.
TEST(QuantizeReference, FilesAreByteIdenticalAndWithinBounds) {
  HEARTH_REQUIRE_TESTDATA();
  TempDir tmp;
  gguf::File f32 = open_or_die(model_path("f32"));
  for (const char* type : kReferenceTypes) {
    const std::string t = type;
    if (sanitized() && t != "Q8_0" && t != "Q4_K_M" && t != "Q3_K_S") continue;
    QuantizeOptions o;
    o.scheme = *fit::find_scheme(type);
    o.threads = 2;
    const std::string out = tmp.path(t + ".gguf");
    auto st = quantize_file(f32, out, o);
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    EXPECT_EQ(slurp(out), slurp(model_path(type))) << type << ": not byte-identical";
    gguf::File ours = open_or_die(out);
    for (const gguf::TensorInfo& q : ours.tensors()) {
      const double bound = error_bound(q.ggml_type);
      if (bound == 0.0) continue;  // F32 norms, copied
      const double err = relative_rms(decode(*f32.find_tensor(q.name)), decode(q));
      EXPECT_LT(err, bound) << type << " " << q.name << " (" << quant::type_name(q.ggml_type)
                            << ")";
    }
    EXPECT_EQ(ours.get_int_or("general.file_type", -1), o.scheme->file_type);
  }
}

// The command line path: `hearth quantize` then `hearth info --json` of both files.
TEST(QuantizeReference, CliTypesEqualLlamaCppInfo) {
  HEARTH_REQUIRE_TESTDATA();
  TempDir tmp;
  for (const char* type : {"Q4_K_M", "Q5_K_M", "Q3_K_S"}) {
    const std::string out = tmp.path(std::string(type) + ".gguf");
    auto r = hearth::testing::run_hearth("quantize '" + model_path("f16") + "' '" + out + "' " +
                                         type + " -t 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("blk.5.ffn_down.weight"), std::string::npos) << "no progress lines";
    auto ours = types_from_info_json(out), theirs = types_from_info_json(model_path(type));
    EXPECT_EQ(ours.size(), 57u);
    EXPECT_EQ(ours, theirs) << type;
  }
}

}  // namespace
}  // namespace hearth::quantize
