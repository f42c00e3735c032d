// `hearth synth` and `hearth bench` end to end on the tiny preset (dim 256, 2 layers, Llama 2
// vocabulary): shapes and types as `hearth info --json` reports them, loading, generating,
// benchmark keys, determinism from the seed, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "model/model.h"
#include "test_util.h"

namespace hearth {
namespace {

using testing::run_hearth;

std::string temp_model(const std::string& type) {
  return (std::filesystem::temp_directory_path() /
          ("hearth_synth_" + std::to_string(::getpid()) + "_" + type + ".gguf"))
      .string();
}

// Synthesizes the tiny preset at `type` (vocab from testdata) and returns the file.
std::string synth_tiny(const std::string& type, int seed = 7) {
  std::string path = temp_model(type + "_" + std::to_string(seed));
  auto r = run_hearth(
      "synth --preset tiny --type " + type + " --seed " + std::to_string(seed) + " -t 2 --vocab '" +
      testing::testdata_path("vocab/ggml-vocab-llama-spm.gguf") + "' -o '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return path;
}

nlohmann::json info_json(const std::string& path) {
  auto r = run_hearth("info --json '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

std::map<std::string, nlohmann::json> tensors_by_name(const nlohmann::json& info) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& t : info["tensors"]) m[t["name"].get<std::string>()] = t;
  return m;
}

class SynthTypeTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SynthTypeTest, ShapesTypesLoadAndRun) {
  HEARTH_REQUIRE_TESTDATA();
  const std::string type = GetParam();
  const std::string path = synth_tiny(type);
  nlohmann::json info = info_json(path);
  EXPECT_EQ(info["architecture"], "llama");
  EXPECT_EQ(info["metadata"]["llama.embedding_length"], 256);
  EXPECT_EQ(info["metadata"]["llama.block_count"], 2);
  EXPECT_EQ(info["metadata"]["llama.attention.head_count_kv"], 2);
  EXPECT_EQ(info["metadata"]["tokenizer.ggml.model"], "llama");
  auto t = tensors_by_name(info);
  ASSERT_EQ(t.size(), 20u);  // token_embd, 2 x 9 per layer, output_norm (tied embeddings)
  EXPECT_EQ(t["token_embd.weight"]["shape"], nlohmann::json::array({256, 32000}));
  EXPECT_EQ(t["blk.1.attn_k.weight"]["shape"], nlohmann::json::array({256, 128}));
  EXPECT_EQ(t["blk.0.ffn_down.weight"]["shape"], nlohmann::json::array({768, 256}));
  EXPECT_EQ(t["blk.0.attn_norm.weight"]["type"], "F32");
  if (type == "f32") {
    EXPECT_EQ(t["blk.0.attn_q.weight"]["type"], "F32");
  }
  if (type == "q8_0") {
    EXPECT_EQ(t["blk.0.ffn_up.weight"]["type"], "Q8_0");
  }
  if (type == "q4_k_m") {
    EXPECT_EQ(t["blk.0.attn_q.weight"]["type"], "Q4_K");
    EXPECT_EQ(t["blk.1.ffn_down.weight"]["type"], "Q6_K");
    EXPECT_EQ(t["token_embd.weight"]["type"], "Q6_K");  // tied: it is the output projection
  }
  auto model = model::Model::load(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->config().n_vocab, 32000);
  auto run = run_hearth("run -m '" + path + "' -p 'Hello there' -n 4 --temp 0");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Types, SynthTypeTest, ::testing::Values("f32", "q8_0", "q4_k_m"));

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

TEST(Synth, SameSeedSameFileOtherSeedOtherWeights) {
  HEARTH_REQUIRE_TESTDATA();
  std::string a = synth_tiny("q4_0", 3), b = temp_model("q4_0_3_again"), c = synth_tiny("q4_0", 4);
  std::filesystem::rename(a, b);
  a = synth_tiny("q4_0", 3);
  EXPECT_EQ(read_all(a), read_all(b));
  EXPECT_NE(read_all(a), read_all(c));
  for (const auto& p : {a, b, c}) std::filesystem::remove(p);
}

TEST(Synth, BadPresetTypeOrVocabFail) {
  auto r = run_hearth("synth --preset no-such-model --type q4_0 -o /tmp/hearth_never.gguf");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown preset"), std::string::npos) << r.err;
  r = run_hearth("synth --preset tiny --type q3_k -o /tmp/hearth_never.gguf");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown type"), std::string::npos) << r.err;
  r = run_hearth(
      "synth --preset tiny --type f16 --vocab /nonexistent.gguf -o /tmp/hearth_never.gguf");
  EXPECT_EQ(r.exit_code, 1);
  r = run_hearth("synth --preset tiny");  // missing required options: usage error
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists("/tmp/hearth_never.gguf"));
}

TEST(Bench, JsonHasEveryKeyWithPositiveNumbers) {
  HEARTH_REQUIRE_TESTDATA();
  const std::string path = synth_tiny("q4_k_m", 11);
  auto r = run_hearth("bench -m '" + path + "' -p 16 -n 4 -r 1 -t 1 -o json --bw-mib 32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* key :
       {"pp_tokens_per_s", "tg_tokens_per_s", "bandwidth_gb_s", "bytes_per_token", "roofline_pct",
        "bandwidth_4k_gb_s", "roofline_4k_pct", "threads", "file_bytes"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_GT(j[key].get<double>(), 0.0) << key;
  }
  EXPECT_EQ(j["threads"], 1);
  EXPECT_FALSE(j["isa"].get<std::string>().empty());
  EXPECT_EQ(j["type"], "Q4_K_M");
  EXPECT_EQ(j["name"], "synth-tiny-q4_k_m");
  // Tied embeddings: token_embd is read as the output projection, so every tensor counts.
  nlohmann::json info = info_json(path);
  EXPECT_EQ(j["bytes_per_token"], info["tensor_bytes"]);
  auto csv = run_hearth("bench -m '" + path + "' -p 8 -n 2 -r 1 -t 1 -o csv --bw-mib 32");
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_NE(csv.out.find("pp_tokens_per_s"), std::string::npos);
  EXPECT_NE(csv.out.find("roofline_4k_pct"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(Bench, BadArgumentsFail) {
  auto r = run_hearth("bench -m /nonexistent.gguf -p 4 -n 1 -r 1");
  EXPECT_EQ(r.exit_code, 1);
  r = run_hearth("bench -m /nonexistent.gguf -o xml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown output format"), std::string::npos) << r.err;
  r = run_hearth("bench -r 0 -m x.gguf");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace hearth
