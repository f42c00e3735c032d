#include "tokenizer/unicode.h"

#include <gtest/gtest.h>

namespace hearth::tokenizer {
namespace {

TEST(TokenizerUtf8, DecodesLikeLlamaCpp) {
  EXPECT_EQ(decode_utf8("A", 0).cpt, 0x41u);
  const DecodedChar euro = decode_utf8("\xE2\x82\xAC", 0);
  EXPECT_TRUE(euro.valid);
  EXPECT_EQ(euro.cpt, 0x20ACu);
  EXPECT_EQ(euro.size, 3u);
  // A truncated sequence and a stray continuation byte are single invalid bytes.
  EXPECT_FALSE(decode_utf8("\xE2\x82", 0).valid);
  EXPECT_EQ(decode_utf8("\xE2\x82", 0).size, 1u);
  EXPECT_FALSE(decode_utf8("\x80", 0).valid);
  EXPECT_FALSE(decode_utf8("\xFF", 0).valid);
  // Overlong forms decode to their value (llama.cpp does not reject them).
  EXPECT_EQ(decode_utf8("\xC0\x80", 0).cpt, 0u);
  EXPECT_TRUE(decode_utf8("\xC0\x80", 0).valid);
}

TEST(TokenizerUtf8, CanonicalizeReplacesInvalidBytes) {
  std::string out;
  EXPECT_TRUE(canonicalize_utf8("plain \xC3\xA9 text", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(
      canonicalize_utf8("a\xFF"
                        "b",
                        out));
  EXPECT_EQ(out,
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_FALSE(canonicalize_utf8("\xC0\x80", out));
  EXPECT_EQ(out, std::string("\0", 1));
  EXPECT_FALSE(canonicalize_utf8("x\xE2\x82", out));
  EXPECT_EQ(out, "x\xEF\xBF\xBD\xEF\xBF\xBD");
  // Surrogates keep their 3-byte form, as in llama.cpp.
  EXPECT_TRUE(canonicalize_utf8("\xED\xA0\x80", out));
}

TEST(TokenizerUtf8, CompletePrefixHoldsOpenSequences) {
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("ab\xE2\x82"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xE2"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xE2\x82\xAC"), 5u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(utf8_complete_prefix("a\xFF"), 2u);  // never completable: emit
  EXPECT_EQ(utf8_complete_prefix("a\x80\x80\x80\x80"), 5u);
}

TEST(TokenizerUtf8, MakeValidReplacesEveryBadByte) {
  EXPECT_EQ(make_valid_utf8("ok \xF0\x9F\x98\x80"), "ok \xF0\x9F\x98\x80");
  EXPECT_EQ(make_valid_utf8("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(make_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(make_valid_utf8("\xC0\x80"), "\xEF\xBF\xBD");      // overlong
}

TEST(TokenizerUtf8, AppendEncodesAndRejectsOutOfRange) {
  std::string s;
  append_utf8(s, 0x1F600);
  EXPECT_EQ(s, "\xF0\x9F\x98\x80");
  s.clear();
  append_utf8(s, 0x110000);
  EXPECT_EQ(s, "\xEF\xBF\xBD");
}

TEST(TokenizerByteAlphabet, MatchesGpt2AndRoundTrips) {
  EXPECT_EQ(byte_to_unicode(' '), "\xC4\xA0");   // "Ġ"
  EXPECT_EQ(byte_to_unicode('\n'), "\xC4\x8A");  // "Ċ"
  EXPECT_EQ(byte_to_unicode('a'), "a");
  for (int b = 0; b < 256; ++b) {
    const std::string_view s = byte_to_unicode(static_cast<uint8_t>(b));
    const DecodedChar c = decode_utf8(s, 0);
    ASSERT_TRUE(c.valid);
    EXPECT_EQ(unicode_to_byte(c.cpt), b);
  }
  EXPECT_EQ(unicode_to_byte(0x4E00), -1);
}

TEST(TokenizerCharProperties, ComeFromIcu) {
  EXPECT_EQ(char_class('a'), CharClass::kLetter);
  EXPECT_EQ(char_class(0x4E2D), CharClass::kLetter);  // 中
  EXPECT_EQ(char_class('7'), CharClass::kNumber);
  EXPECT_EQ(char_class(0xBD), CharClass::kNumber);  // ½
  EXPECT_EQ(char_class('!'), CharClass::kPunctuation);
  EXPECT_EQ(char_class('+'), CharClass::kSymbol);
  EXPECT_EQ(char_class(0x301), CharClass::kMark);
  EXPECT_EQ(char_class(0x7), CharClass::kControl);
  EXPECT_TRUE(is_white_space(0x3000));
  EXPECT_TRUE(is_white_space(0x85));
  EXPECT_FALSE(is_white_space(0x200B));
  EXPECT_EQ(to_lower(0xC4), 0xE4u);
  EXPECT_EQ(nfd_first(0xE9), static_cast<uint32_t>('e'));  // é -> e + U+0301
  EXPECT_EQ(nfd_first('x'), static_cast<uint32_t>('x'));
}

}  // namespace
}  // namespace hearth::tokenizer
