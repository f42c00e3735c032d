// GGUF input: the real tensor types from a header, without reading tensor data.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fit/gguf_source.h"
#include "fit/plan.h"
#include "fit/report.h"
#include "test_util.h"

namespace hearth::fit {
namespace {

using hearth::testing::run_hearth;
using hearth::testing::testdata_path;

uint64_t weights_of(const ModelSpec& spec) {
  uint64_t total = 0;
  for (const auto& t : spec.tensors) total += t.n_bytes;
  return total;
}

ModelSpec open_model(const std::string& file) {
  auto spec = spec_from_gguf_file(testdata_path("models/" + file));
  EXPECT_TRUE(spec.ok()) << spec.status().to_string();
  return spec.ok() ? *spec : ModelSpec{};
}

// Sums of each file's tensor directory (checked independently of hearth's GGUF reader).
TEST(GgufInput, WeightsAreTheSumOfTensorBytes) {
  HEARTH_REQUIRE_TESTDATA();
  const struct {
    const char* file;
    uint64_t bytes;
    const char* quant;
  } files[] = {
      {"brown-6m-f32.gguf", 27276288, "F32"},      {"brown-6m-f16.gguf", 13644800, "F16"},
      {"brown-6m-Q8_0.gguf", 7255040, "Q8_0"},     {"brown-6m-Q6_K.gguf", 5604352, "Q6_K"},
      {"brown-6m-Q5_K_M.gguf", 4899328, "Q5_K_M"}, {"brown-6m-Q4_K_M.gguf", 4235776, "Q4_K_M"},
      {"brown-6m-Q4_0.gguf", 4117504, "Q4_0"},     {"brown-6m-Q3_K_S.gguf", 3351552, "Q3_K_S"},
      {"brown-6m-Q2_K.gguf", 2945536, "Q2_K"}};
  for (const auto& f : files) {
    ModelSpec spec = open_model(f.file);
    EXPECT_EQ(weights_of(spec), f.bytes) << f.file;
    EXPECT_EQ(spec.quant, f.quant) << f.file;
    EXPECT_EQ(estimate_memory(spec, FitOptions{}).weights_file_bytes, f.bytes);
  }
}

TEST(GgufInput, ShapeFromMetadata) {
  HEARTH_REQUIRE_TESTDATA();
  ModelSpec brown = open_model("brown-6m-Q4_K_M.gguf");
  EXPECT_EQ(brown.shape.n_layer, 6);
  EXPECT_EQ(brown.shape.n_embd, 256);
  EXPECT_EQ(brown.shape.n_head, 8);
  EXPECT_EQ(brown.shape.n_kv_head, 4);
  EXPECT_EQ(brown.shape.head_dim, 32);
  EXPECT_EQ(brown.shape.n_ff, 768);
  EXPECT_EQ(brown.shape.n_vocab, 4096);
  EXPECT_EQ(brown.shape.n_ctx_train, 256);
  EXPECT_FALSE(brown.shape.tied_embeddings);
  EXPECT_TRUE(open_model("rand-llama-llama-spm.gguf").shape.tied_embeddings);
  EXPECT_TRUE(open_model("rand-qwen2-gpt-2.gguf").shape.qkv_bias);
  EXPECT_TRUE(open_model("rand-qwen3-llama-spm.gguf").shape.qk_norm);
}

// Re-typing the f32 file by a scheme's rules gives exactly the file llama-quantize wrote.
TEST(GgufInput, SchemeRulesReproduceEveryTensorOfTheQuantizedFiles) {
  HEARTH_REQUIRE_TESTDATA();
  ModelSpec f32 = open_model("brown-6m-f32.gguf");
  for (const char* quant : {"Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_S", "Q2_K"}) {
    ModelSpec real = open_model(std::string("brown-6m-") + quant + ".gguf");
    auto planned = apply_scheme(**find_scheme(quant), f32.shape, f32.tensors);
    ASSERT_TRUE(planned.ok());
    ASSERT_EQ(planned->size(), real.tensors.size());
    for (const auto& t : real.tensors) {
      auto it = std::find_if(planned->begin(), planned->end(),
                             [&](const TensorDesc& p) { return p.name == t.name; });
      ASSERT_NE(it, planned->end()) << t.name;
      EXPECT_EQ(it->ggml_type, t.ggml_type) << quant << " " << t.name;
    }
  }
}

// A GGUF header describing Llama 2 70B at Q4_K_M, followed by 41 GB of holes (a sparse file):
// the estimate must come from the header alone, fast, and agree with the preset.
void write_string(std::ofstream& out, const std::string& s) {
  uint64_t n = s.size();
  out.write(reinterpret_cast<const char*>(&n), 8);
  out.write(s.data(), static_cast<std::streamsize>(n));
}
template <typename T>
void write_pod(std::ofstream& out, T value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof value);
}
void write_u32_kv(std::ofstream& out, const std::string& key, uint32_t value) {
  write_string(out, key);
  write_pod<uint32_t>(out, 4);  // u32
  write_pod(out, value);
}

std::string write_sparse_gguf(const ModelSpec& spec, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  const ModelShape& s = spec.shape;
  write_pod<uint32_t>(out, 0x46554747);
  write_pod<uint32_t>(out, 3);
  write_pod<uint64_t>(out, spec.tensors.size());
  write_pod<uint64_t>(out, 8);
  write_string(out, "general.architecture");
  write_pod<uint32_t>(out, 8);
  write_string(out, "llama");
  write_u32_kv(out, "general.file_type", 15);
  write_u32_kv(out, "llama.block_count", static_cast<uint32_t>(s.n_layer));
  write_u32_kv(out, "llama.embedding_length", static_cast<uint32_t>(s.n_embd));
  write_u32_kv(out, "llama.attention.head_count", static_cast<uint32_t>(s.n_head));
  write_u32_kv(out, "llama.attention.head_count_kv", static_cast<uint32_t>(s.n_kv_head));
  write_u32_kv(out, "llama.feed_forward_length", static_cast<uint32_t>(s.n_ff));
  write_u32_kv(out, "llama.context_length", static_cast<uint32_t>(s.n_ctx_train));
  uint64_t offset = 0;
  for (const auto& t : spec.tensors) {
    write_string(out, t.name);
    write_pod<uint32_t>(out, static_cast<uint32_t>(t.n_dims));
    for (int d = 0; d < t.n_dims; ++d) write_pod<uint64_t>(out, static_cast<uint64_t>(t.ne[d]));
    write_pod<uint32_t>(out, t.ggml_type);
    write_pod<uint64_t>(out, offset);
    offset += (t.n_bytes + 31) / 32 * 32;
  }
  const uint64_t header = static_cast<uint64_t>(out.tellp());
  out.close();
  std::filesystem::resize_file(path, (header + 31) / 32 * 32 + offset);
  return path;
}

TEST(GgufInput, FortyGigabyteFileIsReadFromItsHeaderOnly) {
  ModelSpec preset =
      *spec_for_scheme(*find_preset("llama-2-70b"), **find_scheme("Q4_K_M"), "preset");
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("hearth_fit_70b_" + std::to_string(::getpid()) + ".gguf"))
                               .string();
  write_sparse_gguf(preset, path);
  ASSERT_GT(std::filesystem::file_size(path), 40'000'000'000ull);
  const auto start = std::chrono::steady_clock::now();
  auto spec = spec_from_gguf_file(path);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::filesystem::remove(path);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(weights_of(*spec), weights_of(preset));
  EXPECT_EQ(spec->shape.n_layer, 80);
  FitOptions o;
  EXPECT_EQ(estimate_memory(*spec, o).total_bytes, estimate_memory(preset, o).total_bytes);
}

TEST(GgufInput, CliOnAFileAndOnBrokenFiles) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("fit '" + testdata_path("models/brown-6m-Q4_K_M.gguf") +
                      "' --json --memory 1GB --bandwidth 30GB/s --ctx 256");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["weights_bytes"].get<uint64_t>(), 4235776u);
  EXPECT_EQ(j["kv_cache_bytes"].get<uint64_t>(), 2ull * 6 * 256 * 4 * 32 * 2);
  EXPECT_EQ(j["model"]["quant"], "Q4_K_M");
  EXPECT_EQ(j["max_context"].get<int64_t>(), 256);

  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hearth_fit_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path truncated = dir / "truncated.gguf";
  fs::copy_file(testdata_path("models/brown-6m-Q4_K_M.gguf"), truncated);
  fs::resize_file(truncated, 2000);  // inside the header
  const fs::path garbage = dir / "garbage.gguf";
  std::ofstream(garbage) << "this is not a gguf file at all";
  auto t = run_hearth("fit '" + truncated.string() + "' --memory 1GB --bandwidth 1GB/s");
  auto g = run_hearth("fit '" + garbage.string() + "' --memory 1GB --bandwidth 1GB/s");
  fs::remove_all(dir);
  EXPECT_EQ(t.exit_code, 1) << t.err;
  EXPECT_NE(t.err.find("truncated.gguf"), std::string::npos) << t.err;
  EXPECT_EQ(g.exit_code, 1) << g.err;
}

TEST(GgufInput, PlanForFile) {
  HEARTH_REQUIRE_TESTDATA();
  PlanRequest req;
  req.memory_bytes = 1ull << 30;
  auto plan = plan_for_file(testdata_path("models/brown-6m-Q8_0.gguf"), req);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(plan->n_ctx, 256);  // the trained context
  EXPECT_EQ(plan->n_parallel, 8);
  req.memory_bytes = 8ull << 20;  // less than weights + KV + compute
  req.n_parallel = 1;
  auto refused = plan_for_file(testdata_path("models/brown-6m-Q8_0.gguf"), req);
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(plan_for_file("/nonexistent/model.gguf", PlanRequest{}).ok());
}

}  // namespace
}  // namespace hearth::fit
