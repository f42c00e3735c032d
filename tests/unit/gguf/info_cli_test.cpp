// `hearth info`: figures on every test file agree with the parser; errors exit 1 with a message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gguf/gguf.h"
#include "gguf_builder.h"
#include "quant/type_traits.h"
#include "test_util.h"

namespace hearth::gguf {
namespace {

using ::hearth::testing::run_hearth;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::vector<std::string> all_testdata_gguf() {
  std::vector<std::string> files;
  for (const char* sub : {"models", "vocab"}) {
    fs::path dir = testing::testdata_path(sub);
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".gguf") files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void check_json_against_file(const nlohmann::json& j, const File& file) {
  EXPECT_EQ(j.at("file_bytes").get<uint64_t>(), fs::file_size(file.path()));
  EXPECT_EQ(j.at("n_tensors").get<size_t>(), file.tensors().size());
  EXPECT_EQ(j.at("architecture").get<std::string>(), *file.get_string("general.architecture"));
  EXPECT_EQ(j.at("metadata").size(), file.metadata().size());
  int64_t params = 0;
  const auto& tensors = j.at("tensors");
  ASSERT_EQ(tensors.size(), file.tensors().size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo& t = file.tensors()[i];
    params += t.n_elements();
    EXPECT_EQ(tensors[i].at("name").get<std::string>(), t.name);
    std::string type = tensors[i].at("type").get<std::string>();
    EXPECT_EQ(quant::type_from_name(type).has_value(), true) << type;
    EXPECT_EQ(static_cast<uint32_t>(*quant::type_from_name(type)), t.ggml_type);
    EXPECT_EQ(tensors[i].at("shape").size(), static_cast<size_t>(t.n_dims));
    EXPECT_EQ(tensors[i].at("shape")[0].get<int64_t>(), t.ne[0]);
    EXPECT_EQ(tensors[i].at("bytes").get<uint64_t>(), t.n_bytes);
  }
  EXPECT_EQ(j.at("n_params").get<int64_t>(), params);
}

TEST(InfoCli, JsonFiguresOnEveryTestFile) {
  HEARTH_REQUIRE_TESTDATA();
  std::vector<std::string> files = all_testdata_gguf();
  ASSERT_GE(files.size(), 20u);
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    auto r = run_hearth("info --json '" + path + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out);
    auto file = File::open(path);
    ASSERT_TRUE(file.ok());
    check_json_against_file(j, *file);
  }
}

TEST(InfoCli, Brown6mFigures) {
  HEARTH_REQUIRE_TESTDATA();
  std::string path = testing::testdata_path("models/brown-6m-Q8_0.gguf");
  auto r = run_hearth("info --json '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["architecture"], "llama");
  EXPECT_EQ(j["name"], "brown-6m");
  EXPECT_EQ(j["context_length"], 256);
  EXPECT_NEAR(j["n_params"].get<double>(), 6.8e6, 0.1e6);
  EXPECT_EQ(j["n_tensors"], 57);  // token_embd, output_norm, output + 6 layers x 9
  EXPECT_EQ(j["types"]["Q8_0"]["n_tensors"].get<int>() + j["types"]["F32"]["n_tensors"].get<int>(),
            57);
  // A 4096-entry vocabulary is summarized, small values are plain.
  const auto& tokens = j["metadata"]["tokenizer.ggml.tokens"];
  EXPECT_EQ(tokens["array"], "string");
  EXPECT_EQ(tokens["count"], 4096);
  EXPECT_EQ(tokens["first"].size(), 8u);
  EXPECT_EQ(tokens["first"][0], "<unk>");
  EXPECT_EQ(j["metadata"]["llama.attention.layer_norm_rms_epsilon"], 1e-05);
  EXPECT_EQ(j["metadata"]["tokenizer.ggml.add_bos_token"], true);

  auto text = run_hearth("info '" + path + "'");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("architecture:   llama"));
  EXPECT_THAT(text.out, HasSubstr("context length: 256"));
  EXPECT_THAT(text.out, HasSubstr("[4,096 x string: \"<unk>\""));
  EXPECT_THAT(text.out, HasSubstr("token_embd.weight"));
  EXPECT_THAT(text.out, HasSubstr("totals per type:"));
  EXPECT_THAT(text.out, HasSubstr("7,351,072 bytes"));
}

TEST(InfoCli, HelpListsOptions) {
  auto r = run_hearth("info --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--json"));
  EXPECT_THAT(r.out, HasSubstr("MODEL"));
  auto top = run_hearth("--help");
  EXPECT_THAT(top.out, HasSubstr("info"));
}

TEST(InfoCli, ErrorsExitOneWithAMessage) {
  auto missing = run_hearth("info /nonexistent/model.gguf");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/model.gguf"));
  EXPECT_TRUE(missing.out.empty());

  fs::path dir = fs::temp_directory_path() / str_cat("hearth_info_test_", ::getpid());
  fs::create_directories(dir);
  std::vector<uint8_t> bytes = testing::small_valid_gguf();
  bytes.resize(bytes.size() - 10);  // cut into the last tensor's data
  std::string truncated = (dir / "truncated.gguf").string();
  std::ofstream(truncated, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  auto r = run_hearth("info --json '" + truncated + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("tensor b: data ends at byte"));
  EXPECT_TRUE(r.out.empty());

  std::string text_file = (dir / "notes.txt").string();
  std::ofstream(text_file) << "hello, not a model\n";
  auto not_gguf = run_hearth("info '" + text_file + "'");
  EXPECT_EQ(not_gguf.exit_code, 1);
  EXPECT_THAT(not_gguf.err, HasSubstr("not a GGUF file"));

  auto directory = run_hearth("info '" + dir.string() + "'");
  EXPECT_EQ(directory.exit_code, 1);
  EXPECT_THAT(directory.err, HasSubstr("not a regular file"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hearth::gguf
