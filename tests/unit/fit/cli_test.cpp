#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

// --memory and --bandwidth keep these tests off the bandwidth measurement and independent of RAM.
constexpr const char* kMachine = " --memory 16GiB --bandwidth 100GB/s --flops 1TFLOPS";

TEST(FitCli, JsonHasTheDocumentedKeys) {
  auto r = run_hearth(
      "fit llama-3.1-8b --ctx 8192 --json --memory 15GiB --bandwidth 100GB/s --flops 1TFLOPS");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  for (const char* key : {"weights_bytes", "kv_cache_bytes", "compute_bytes", "overhead_bytes",
                          "total_bytes", "fits", "max_context", "tokens_per_s_estimate", "by_quant",
                          "best_quant", "model", "device", "n_ctx", "kv_type"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["total_bytes"].get<uint64_t>(),
            j["weights_bytes"].get<uint64_t>() + j["kv_cache_bytes"].get<uint64_t>() +
                j["compute_bytes"].get<uint64_t>() + j["overhead_bytes"].get<uint64_t>());
  EXPECT_EQ(j["kv_cache_bytes"].get<uint64_t>(), 2ull * 32 * 8192 * 8 * 128 * 2);
  EXPECT_TRUE(j["fits"].get<bool>());
  EXPECT_GE(j["by_quant"].size(), 10u);
  for (const json& row : j["by_quant"]) {
    for (const char* key : {"quant", "weights_bytes", "weights_file_bytes", "total_bytes", "fits",
                            "max_context", "tokens_per_s_estimate", "quality"}) {
      EXPECT_TRUE(row.contains(key)) << key;
    }
  }
  for (const char* key :
       {"weights_file_bytes", "aggregate_tokens_per_s_estimate", "prompt_tokens_per_s_estimate",
        "decode_bytes_per_token", "weights_by_type", "compute_items", "overhead_items"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_LE(j["weights_bytes"].get<uint64_t>(), j["weights_file_bytes"].get<uint64_t>());
  EXPECT_EQ(j["by_quant"][0]["quant"], "F32");
  // 15 GiB holds Q8_0 (8.5 GB) at 8k but not F16 (16 GB of weights, 15.4 GB resident).
  EXPECT_EQ(j["best_quant"], "Q8_0");
}

TEST(FitCli, TextShowsTheBreakdownAndTable) {
  auto r = run_hearth(std::string("fit qwen2.5-7b --device rtx-3060"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"weights", "KV cache", "compute", "overhead", "total", "FITS",
                           "largest context", "tokens/s", "best quantization", "Q2_K"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  }
}

TEST(FitCli, DoesNotFitIsReportedNotAnError) {
  auto r = run_hearth("fit llama-3.1-70b --quant Q4_K_M --device rtx-4090 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_FALSE(j["fits"].get<bool>());
  EXPECT_EQ(j["max_context"].get<int64_t>(), 0);
}

TEST(FitCli, ConfigJsonInput) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("hearth_fit_cfg_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << R"({"model_type":"qwen2","hidden_size":896,
      "intermediate_size":4864,"num_attention_heads":14,"num_hidden_layers":24,
      "num_key_value_heads":2,"vocab_size":151936,"tie_word_embeddings":true})";
  std::ofstream(dir / "bad.json") << R"({"model_type":"qwen2", "hidden_size": )";
  auto ok = run_hearth("fit '" + dir.string() + "' --json" + kMachine);
  auto preset = run_hearth(std::string("fit qwen2.5-0.5b --json") + kMachine);
  auto bad = run_hearth("fit '" + (dir / "bad.json").string() + "'" + kMachine);
  fs::remove_all(dir);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(json::parse(ok.out)["weights_bytes"], json::parse(preset.out)["weights_bytes"]);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("not valid JSON"), std::string::npos) << bad.err;
}

TEST(FitCli, BadInputsExitOneWithAMessage) {
  const struct {
    const char* args;
    const char* message;
  } cases[] = {
      {"fit no-such-model", "unknown model preset"},
      {"fit llama-3.1-8b --device rtx-9999", "unknown device"},
      {"fit llama-3.1-8b --memory 12XB", "unknown unit"},
      {"fit llama-3.1-8b --memory 12", "needs a unit"},
      {"fit llama-3.1-8b --bandwidth fast --memory 8GB", "not a quantity"},
      {"fit llama-3.1-8b --quant Q9_Z --memory 8GB --bandwidth 1GB/s", "unknown quantization"},
      {"fit llama-3.1-8b --kv-type q4 --memory 8GB --bandwidth 1GB/s", "unknown KV cache type"},
      {"fit llama-3.1-8b --ctx -5 --memory 8GB --bandwidth 1GB/s", "context must be positive"},
      {"fit llama-3.1-8b --parallel 0 --memory 8GB --bandwidth 1GB/s", "parallel"},
      {"fit", "name a model"},
  };
  for (const auto& c : cases) {
    auto r = run_hearth(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
}

TEST(FitCli, ListShowsPresetsDevicesQuants) {
  auto r = run_hearth("fit --list");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* part :
       {"llama-3.1-405b", "mixtral-8x7b", "gemma-3-27b", "phi-4", "rtx-3060", "h200", "Q4_K_M"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part;
  }
}

}  // namespace
}  // namespace hearth::testing
