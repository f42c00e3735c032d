#include "tokenizer/pretokenize.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace hearth::tokenizer {
namespace {

std::vector<std::string> words_of(PreType type, std::string_view text) {
  auto pre = PreTokenizer::create(type);
  EXPECT_TRUE(pre.ok()) << pre.status().to_string();
  std::vector<Span> spans;
  pre->split(text, spans);
  std::vector<std::string> words;
  size_t expected_begin = 0;
  for (const Span& s : spans) {
    EXPECT_EQ(s.first, expected_begin) << "words must cover the text in order";
    expected_begin = s.second;
    words.emplace_back(text.substr(s.first, s.second - s.first));
  }
  EXPECT_EQ(expected_begin, text.size());
  return words;
}

using Words = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(words_of(PreType::kGpt2, "Hello world"), (Words{"Hello", " world"}));
  EXPECT_EQ(words_of(PreType::kGpt2, "I'll  go!!"), (Words{"I", "'ll", " ", " go", "!!"}));
  EXPECT_EQ(words_of(PreType::kGpt2, "a\n\nb  "), (Words{"a", "\n", "\n", "b", "  "}));
  EXPECT_EQ(words_of(PreType::kGpt2, "x 12345"), (Words{"x", " 12345"}));
  EXPECT_EQ(words_of(PreType::kGpt2, ""), Words{});
}

TEST(PreTokenizer, Llama3GroupsDigitsAndIgnoresCase) {
  EXPECT_EQ(words_of(PreType::kLlama3, "1234567"), (Words{"123", "456", "7"}));
  EXPECT_EQ(words_of(PreType::kLlama3, "WE'LL see"), (Words{"WE", "'LL", " see"}));
  EXPECT_EQ(words_of(PreType::kLlama3, "a.\n\nb"), (Words{"a", ".\n\n", "b"}));
  EXPECT_EQ(words_of(PreType::kLlama3, "x  \n y"), (Words{"x", "  \n", " y"}));
}

TEST(PreTokenizer, Qwen2SplitsSingleDigits) {
  EXPECT_EQ(words_of(PreType::kQwen2, "in 2024"), (Words{"in", " ", "2", "0", "2", "4"}));
}

TEST(PreTokenizer, Gpt4oSplitsCaseChanges) {
  EXPECT_EQ(words_of(PreType::kGpt4o, "HelloWorld's"), (Words{"Hello", "World's"}));
  EXPECT_EQ(words_of(PreType::kGpt4o, "path/to\n"), (Words{"path", "/to", "\n"}));
}

TEST(PreTokenizer, StarcoderSplitsDigitsFirst) {
  EXPECT_EQ(words_of(PreType::kStarcoder, "x 42"), (Words{"x", " ", "4", "2"}));
}

TEST(PreTokenizer, NonAsciiWhitespaceActsAsVerticalTab) {
  // U+3000 is whitespace for \s but, as in llama.cpp, never matches a literal class range: the
  // CJK range U+0800..U+4E00 of deepseek-coder takes the snowman (U+2603) but not U+3000.
  const std::string text = "a\xE3\x80\x80\xE2\x98\x83";
  EXPECT_EQ(words_of(PreType::kDeepseekCoder, text), (Words{"a", "\xE3\x80\x80", "\xE2\x98\x83"}));
  // NBSP between words: whitespace for GPT-2.
  EXPECT_EQ(words_of(PreType::kGpt2,
                     "a\xC2\xA0\xC2\xA0"
                     "b"),
            (Words{"a", "\xC2\xA0", "\xC2\xA0", "b"}));
}

TEST(PreTokenizer, LongRunsStayLinear) {
  // Whitespace and letter runs of 1 MB must not trigger quadratic backtracking.
  for (PreType type : {PreType::kGpt2, PreType::kLlama3, PreType::kGpt4o, PreType::kDeepseekLlm,
                       PreType::kDeepseekCoder, PreType::kDefault}) {
    const auto start = std::chrono::steady_clock::now();
    std::string text(1 << 20, ' ');
    text += "\xE4\xB8\xAD";  // a CJK character after the spaces
    text += std::string(1 << 20, 'A');
    const Words words = words_of(type, text);
    EXPECT_FALSE(words.empty());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // A hang guard, not a speed test: linear takes < 1 s, quadratic backtracking takes hours.
    EXPECT_LT(seconds, 60.0) << "pre-tokenizer " << static_cast<int>(type);
  }
}

TEST(PreTokenizer, EveryFamilyCompilesAndCoversItsInput) {
  const std::string sample =
      "Hello, World! It's 2024-06-01: \xE4\xB8\xAD\xE6\x96\x87 caf\xC3\xA9 \xF0\x9F\x98\x80\n\n"
      "  x=1_000_000; WE'LL \xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \t\r\n end  ";
  for (PreType type :
       {PreType::kDefault, PreType::kGpt2, PreType::kLlama3, PreType::kQwen2, PreType::kDeepseekLlm,
        PreType::kDeepseekCoder, PreType::kFalcon, PreType::kStarcoder, PreType::kGpt4o,
        PreType::kTekken, PreType::kBloom, PreType::kViking}) {
    const Words words = words_of(type, sample);  // checks coverage and order
    EXPECT_GT(words.size(), 10u) << static_cast<int>(type);
  }
}

TEST(PreTokenizer, FamiliesDifferWhereTheyShould) {
  // Falcon and the default chain cut digit runs into threes; DeepSeek Coder splits digits.
  EXPECT_EQ(words_of(PreType::kFalcon, "x 1234567"), (Words{"x", " ", "123", "456", "7"}));
  EXPECT_EQ(words_of(PreType::kDeepseekCoder, "ab12"), (Words{"ab", "1", "2"}));
  EXPECT_EQ(words_of(PreType::kDeepseekLlm, "ab12 "), (Words{"ab", "12", " "}));
  EXPECT_EQ(words_of(PreType::kDefault, "a,b"), (Words{"a", ",", "b"}));
}

TEST(PreTokenizer, BadPatternIsAnError) {
  auto pre = PreTokenizer::from_patterns({"(unclosed"});
  ASSERT_FALSE(pre.ok());
  EXPECT_NE(pre.status().message().find("does not compile"), std::string::npos);
}

}  // namespace
}  // namespace hearth::tokenizer
