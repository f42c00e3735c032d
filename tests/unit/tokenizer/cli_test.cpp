// `hearth tokenize`.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace hearth::tokenizer {
namespace {

using hearth::testing::run_hearth;
using hearth::testing::testdata_path;

std::string model(const char* name) {
  return "'" + testdata_path(std::string("models/") + name) + "'";
}

TEST(TokenizeCommand, PrintsIdsOnOneLine) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("tokenize -m " + model("brown-6m-f32.gguf") +
                      " --ids 'The jury said that the city'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 335 506 1175 557 331 263 1691\n");  // reference/brown-6m-f32.logits.json
  r = run_hearth("tokenize -m " + model("brown-6m-f32.gguf") +
                 " --ids --no-bos 'The jury said that the city'");
  EXPECT_EQ(r.out, "335 506 1175 557 331 263 1691\n");
  r = run_hearth("tokenize -m " + model("rand-qwen2-gpt-2.gguf") + " --ids 'The quick brown fox'");
  EXPECT_EQ(r.out, "464 2068 7586 21831\n");
}

TEST(TokenizeCommand, PrintsIdAndPiecePerLine) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("tokenize -m " + model("brown-6m-f32.gguf") + " 'the city'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1  '<s>'\n263  ' the'\n1691  ' city'\n");
  r = run_hearth("tokenize -m " + model("rand-qwen2-gpt-2.gguf") +
                 " --no-bos \"$(printf 'a\\nb')\"");
  EXPECT_EQ(r.out, "64  'a'\n198  '\\n'\n65  'b'\n");
}

TEST(TokenizeCommand, ReadsFilesLiterallyAndParsesSpecialOnRequest) {
  HEARTH_REQUIRE_TESTDATA();
  const std::string path =
      (std::filesystem::temp_directory_path() / "hearth_tokenize_in.txt").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "</s>hi\n";
  }
  auto plain = run_hearth("tokenize -m " + model("brown-6m-f32.gguf") + " --ids -f '" + path + "'");
  auto special = run_hearth("tokenize -m " + model("brown-6m-f32.gguf") + " --ids --special -f '" +
                            path + "'");
  std::filesystem::remove(path);
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(special.exit_code, 0) << special.err;
  EXPECT_EQ(special.out.rfind("1 2 ", 0), 0u) << special.out;  // BOS, then </s> as one token
  EXPECT_EQ(plain.out.find(" 2 "), std::string::npos) << plain.out;
}

TEST(TokenizeCommand, ErrorsExitOneWithAMessage) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("tokenize -m /no/such/model.gguf --ids hello");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/no/such/model.gguf"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  r = run_hearth("tokenize -m " + model("brown-6m-f32.gguf"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no text"), std::string::npos) << r.err;
  r = run_hearth("tokenize -m " + model("brown-6m-f32.gguf") + " -f /no/such/file.txt");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/no/such/file.txt"), std::string::npos) << r.err;
  r = run_hearth("tokenize -m " + model("brown-6m-f32.gguf") + " -f /etc/hostname hello");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not both"), std::string::npos) << r.err;
  // A file that is not GGUF.
  r = run_hearth("tokenize -m '" + testdata_path("brown-val.txt") + "' hello");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(r.err.empty());
}

}  // namespace
}  // namespace hearth::tokenizer
