// The llama.cpp tokenizer test vectors (../shared/testdata/vocab) and the prompts of the
// reference logits files: hearth must produce exactly llama.cpp's ids.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "testdata_util.h"

namespace hearth::tokenizer {
namespace {

using hearth::testing::testdata_path;
using testing::shared_tokenizer;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// NAME.gguf.inp: test strings, each followed by a line "__ggml_vocab_test__" (llama.cpp's
// test-tokenizer-0 splits on "\n__ggml_vocab_test__\n"; the text before each separator is one
// test).
std::vector<std::string> read_inputs(const std::string& path) {
  const std::string raw = read_file(path);
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> tests;
  size_t pos = 0;
  while (true) {
    const size_t next = raw.find(separator, pos);
    if (next == std::string::npos) break;
    tests.push_back(raw.substr(pos, next - pos));
    pos = next + separator.size();
  }
  return tests;
}

// NAME.gguf.out: one line of space-separated ids per test string.
std::vector<std::vector<int32_t>> read_expected(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<int32_t>> lines;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<int32_t> ids;
    int32_t id;
    while (fields >> id) ids.push_back(id);
    lines.push_back(std::move(ids));
  }
  return lines;
}

std::string ids_to_string(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

struct VocabCase {
  const char* name;
  bool lossless;  // detokenizing gives the input back (bert lowercases and drops whitespace)
};

class VocabFile : public ::testing::TestWithParam<VocabCase> {};

TEST_P(VocabFile, TokenizesExactlyAsLlamaCpp) {
  HEARTH_REQUIRE_TESTDATA();
  const std::string base = std::string("vocab/ggml-vocab-") + GetParam().name + ".gguf";
  const Tokenizer* tok = shared_tokenizer(base);
  ASSERT_NE(tok, nullptr);
  const auto inputs = read_inputs(testdata_path(base + ".inp"));
  const auto expected = read_expected(testdata_path(base + ".out"));
  ASSERT_GT(inputs.size(), 30u);
  ASSERT_EQ(inputs.size(), expected.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<int32_t> ids = tok->encode(inputs[i], /*add_special=*/false);
    EXPECT_EQ(ids_to_string(ids), ids_to_string(expected[i]))
        << GetParam().name << " test " << i << ": '" << inputs[i] << "'";
  }
}

TEST_P(VocabFile, DetokenizesBackToTheInput) {
  HEARTH_REQUIRE_TESTDATA();
  if (!GetParam().lossless) GTEST_SKIP() << GetParam().name << " normalizes its input";
  const std::string base = std::string("vocab/ggml-vocab-") + GetParam().name + ".gguf";
  const Tokenizer* tok = shared_tokenizer(base);
  ASSERT_NE(tok, nullptr);
  DecodeOptions raw;
  raw.clean_spaces = false;
  for (const std::string& input : read_inputs(testdata_path(base + ".inp"))) {
    const std::vector<int32_t> ids = tok->encode(input, false);
    EXPECT_EQ(tok->decode(ids, raw), input) << GetParam().name;
    // The default decode is the same text with the vocabulary's space clean-up.
    const std::string cleaned = tok->vocab().clean_spaces() ? clean_up_spaces(input) : input;
    EXPECT_EQ(tok->decode(ids), cleaned) << GetParam().name;
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, VocabFile,
                         ::testing::Values(VocabCase{"llama-spm", true}, VocabCase{"phi-3", true},
                                           VocabCase{"gpt-2", true}, VocabCase{"mpt", true},
                                           VocabCase{"starcoder", true}, VocabCase{"refact", true},
                                           VocabCase{"deepseek-llm", true},
                                           VocabCase{"bert-bge", false}),
                         [](const ::testing::TestParamInfo<VocabCase>& info) {
                           std::string name = info.param.name;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

TEST(VocabFiles, SpecialIdsAndFlags) {
  HEARTH_REQUIRE_TESTDATA();
  const Tokenizer* spm = shared_tokenizer("vocab/ggml-vocab-llama-spm.gguf");
  ASSERT_NE(spm, nullptr);
  EXPECT_EQ(spm->type(), VocabType::kSpm);
  EXPECT_EQ(spm->n_vocab(), 32000);
  EXPECT_EQ(spm->bos(), 1);
  EXPECT_EQ(spm->eos(), 2);
  EXPECT_EQ(spm->nl(), 13);  // <0x0A>
  EXPECT_TRUE(spm->add_bos());
  EXPECT_EQ(spm->vocab().eog_ids(), std::vector<int32_t>{2});

  const Tokenizer* gpt2 = shared_tokenizer("vocab/ggml-vocab-gpt-2.gguf");
  ASSERT_NE(gpt2, nullptr);
  EXPECT_EQ(gpt2->type(), VocabType::kBpe);
  EXPECT_EQ(gpt2->bos(), 50256);
  EXPECT_EQ(gpt2->eot(), 50256);  // "<|endoftext|>", found by its text
  EXPECT_EQ(gpt2->nl(), 198);
  EXPECT_FALSE(gpt2->add_bos());

  const Tokenizer* bert = shared_tokenizer("vocab/ggml-vocab-bert-bge.gguf");
  ASSERT_NE(bert, nullptr);
  const std::vector<int32_t> ids = bert->encode("Hello world", true);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 101);  // [CLS]
  EXPECT_EQ(ids.back(), 102);   // [SEP]
}

TEST(VocabFiles, Phi3SpecialTokensSwallowTheWhitespaceAfterThem) {
  HEARTH_REQUIRE_TESTDATA();
  const Tokenizer* phi3 = shared_tokenizer("vocab/ggml-vocab-phi-3.gguf");
  ASSERT_NE(phi3, nullptr);
  const std::vector<int32_t> with_newline = phi3->encode("<|user|>\nHello<|end|>", false, true);
  ASSERT_FALSE(with_newline.empty());
  EXPECT_EQ(with_newline.front(), 32010);  // <|user|>
  EXPECT_EQ(with_newline, phi3->encode("<|user|>Hello<|end|>", false, true));
  // Without parse_special the same text is plain characters.
  EXPECT_NE(phi3->encode("<|user|>\nHello", false, false).front(), 32010);
}

// The prompts llama.cpp tokenized for the reference logits, BOS included where the vocab adds it.
class ReferencePrompts : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferencePrompts, EncodeWithSpecialMatchesReferenceTokens) {
  HEARTH_REQUIRE_TESTDATA();
  const std::string model = GetParam();
  const Tokenizer* tok = shared_tokenizer("models/" + model + ".gguf");
  ASSERT_NE(tok, nullptr);
  const auto runs =
      nlohmann::json::parse(read_file(testdata_path("reference/" + model + ".logits.json")));
  ASSERT_FALSE(runs.empty());
  for (const auto& run : runs) {
    const std::string prompt = run.at("prompt").get<std::string>();
    const auto expected = run.at("tokens").get<std::vector<int32_t>>();
    EXPECT_EQ(ids_to_string(tok->encode(prompt, /*add_special=*/true, /*parse_special=*/true)),
              ids_to_string(expected))
        << model << ": '" << prompt << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ReferencePrompts,
                         ::testing::Values("brown-6m-f32", "brown-6m-Q4_K_M", "rand-qwen2-gpt-2",
                                           "rand-llama-llama-spm", "rand-qwen3-llama-spm"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace hearth::tokenizer
