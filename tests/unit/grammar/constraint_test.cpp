// Token masks: the trie walk against a token-by-token check, EOS only where the grammar may end,
// UTF-8 split across tokens, dead ends.
#include "grammar/constraint.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "gguf/gguf.h"
#include "grammar/json_schema.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"

namespace hearth::grammar {
namespace {

std::shared_ptr<const Grammar> parse_ok(const std::string& text) {
  auto g = Grammar::parse(text);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return *g;
}

std::vector<int32_t> allowed_ids(Constraint& c) {
  std::vector<uint8_t> mask;
  Status st = c.compute_mask(mask);
  EXPECT_TRUE(st.ok()) << st.to_string();
  std::vector<int32_t> ids;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) ids.push_back(static_cast<int32_t>(i));
  return ids;
}

// 0:"a" 1:"b" 2:"ab" 3:"" (control) 4:"\xC3" 5:"\xA9" 6:"\xC3\xA9" 7:"ba" 8:"</s>" as EOS
const std::vector<std::string> kPieces = {"a", "b", "ab", "", "\xC3", "\xA9", "\xC3\xA9", "ba", ""};

TEST(TokenMask, SmallVocabulary) {
  auto trie = TokenTrie::build(kPieces, {8});
  auto c = Constraint::create(parse_ok(R"(root ::= "a" "b"*)"), trie);
  EXPECT_EQ(allowed_ids(*c), (std::vector<int32_t>{0, 2}));
  ASSERT_TRUE(c->accept_token(0).ok());
  EXPECT_EQ(allowed_ids(*c), (std::vector<int32_t>{1, 8}));  // "b" or end
  EXPECT_FALSE(c->accept_token(7).ok());                     // "ba" does not fit
  ASSERT_TRUE(c->accept_token(1).ok());
  EXPECT_TRUE(c->accept_token(8).ok());   // EOS where the grammar may end
  EXPECT_FALSE(c->accept_token(3).ok());  // a control token has no text
}

TEST(TokenMask, Utf8SplitAcrossTokens) {
  auto trie = TokenTrie::build(kPieces, {8});
  auto c = Constraint::create(parse_ok(R"(root ::= "\u00e9" "a")"), trie);
  EXPECT_EQ(allowed_ids(*c), (std::vector<int32_t>{4, 6}));
  EXPECT_FALSE(c->accept_token(8).ok());  // EOS before the grammar is complete
  ASSERT_TRUE(c->accept_token(4).ok());
  EXPECT_EQ(allowed_ids(*c), (std::vector<int32_t>{5}));
  ASSERT_TRUE(c->accept_token(5).ok());
  EXPECT_EQ(allowed_ids(*c), (std::vector<int32_t>{0}));
  ASSERT_TRUE(c->accept_token(0).ok());
  EXPECT_TRUE(c->must_end());
  EXPECT_EQ(allowed_ids(*c), (std::vector<int32_t>{8}));
}

TEST(TokenMask, DeadEndIsAnError) {
  auto trie = TokenTrie::build(kPieces, {});  // no EOS token at all
  auto c = Constraint::create(parse_ok(R"(root ::= "a" | "z")"), trie);
  ASSERT_TRUE(c->accept_token(0).ok());
  std::vector<uint8_t> mask;
  Status st = c->compute_mask(mask);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("dead end"), std::string::npos);
  auto d = Constraint::create(parse_ok(R"(root ::= "z")"), trie);
  EXPECT_FALSE(d->compute_mask(mask).ok());
}

// A cached mask (a state seen before) equals the mask a fresh constraint walks for it. Byte tokens
// plus a few multi-byte ones, a JSON schema, a document fed one token at a time.
TEST(TokenMask, CachedMasksEqualFreshOnes) {
  std::vector<std::string> pieces;  // (259) bytes 1..255, then ab, a backslash, ", " and EOS
  for (int b = 1; b < 256; ++b) pieces.push_back(std::string(1, static_cast<char>(b)));
  for (const char* p : {"ab", "\\", ", ", ""}) pieces.push_back(p);
  const int32_t eos = static_cast<int32_t>(pieces.size()) - 1;
  auto trie = TokenTrie::build(pieces, {eos});
  auto g = compile_json_schema(nlohmann::ordered_json::parse(R"({"type":"object","properties":{
      "s":{"type":"string"},"n":{"type":"array","items":{"type":"integer"}}},
      "required":["s","n"],"additionalProperties":false})"));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  const std::string doc = "{\"s\": \"abab\\\"ab\u00e9\", \"n\": [1, 22, 333, 4]}";
  auto cached = Constraint::create(*g, trie);
  std::string prefix;
  std::vector<uint8_t> want, got;
  for (size_t i = 0; i < doc.size(); ++i) {
    auto fresh = Constraint::create(*g, trie);
    ASSERT_TRUE(fresh->accept_text(prefix).ok()) << prefix;
    ASSERT_TRUE(fresh->compute_mask(want).ok()) << prefix;
    ASSERT_TRUE(cached->compute_mask(got).ok()) << prefix;
    ASSERT_EQ(got, want) << "after '" << prefix << "'";
    const int32_t id = static_cast<uint8_t>(doc[i]) - 1;  // the byte token
    ASSERT_TRUE(cached->accept_token(id).ok()) << prefix;
    prefix += doc[i];
  }
  ASSERT_TRUE(cached->compute_mask(got).ok());
  EXPECT_EQ(got[static_cast<size_t>(eos)], 1);
  EXPECT_GT(cached->mask_cache_hits(), 5u);  // inside the string and the array states repeat
  EXPECT_GT(cached->mask_cache_misses(), 5u);
}

// The trie walk gives exactly the tokens that a fresh matcher accepts one by one.
TEST(TokenMask, MatchesBruteForceOnLlamaVocabulary) {
  HEARTH_REQUIRE_TESTDATA();
  auto file = gguf::File::open(testing::testdata_path("vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  std::vector<std::string> pieces;
  for (int32_t i = 0; i < (*tok)->n_vocab(); ++i) pieces.push_back((*tok)->token_to_piece(i));
  auto trie = TokenTrie::build(pieces, {(*tok)->eos()});
  auto schema = nlohmann::ordered_json::parse(R"({"type":"object","properties":{
      "name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":150},
      "tags":{"type":"array","items":{"enum":["a","b\u00e9"]},"maxItems":3}},
      "required":["name","age"],"additionalProperties":false})");
  auto g = compile_json_schema(schema);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  const int stride = std::getenv("HEARTH_SANITIZED") ? 13 : 1;
  for (const std::string prefix :
       {"", "{", "{\"name\"", "{\"name\": \"Bo", "{\"name\":\"x\",\"age\":1",
        "{\"name\":\"x\",\"age\":12,\"tags\":[\"b\xC3"}) {
    auto c = Constraint::create(*g, trie);
    ASSERT_TRUE(c->accept_text(prefix).ok()) << prefix;
    std::vector<uint8_t> mask;
    ASSERT_TRUE(c->compute_mask(mask).ok());
    int n_allowed = 0;
    // Under sanitizers only every 13th token is brute-forced, plus every token the mask allows
    // (those are few in most states, so the allowed side stays fully checked).
    for (int32_t id = 0; id < (*tok)->n_vocab(); ++id) {
      if (id % stride != 0 && mask[static_cast<size_t>(id)] == 0) continue;
      bool want;
      if (id == (*tok)->eos()) {
        want = c->can_end();
      } else {
        Matcher m(*g);
        want = !pieces[id].empty() && m.accept(prefix).ok() && m.accept(pieces[id]).ok();
      }
      EXPECT_EQ(mask[static_cast<size_t>(id)] != 0, want)
          << "prefix '" << prefix << "' token " << id << " '" << pieces[id] << "'";
      n_allowed += want;
    }
    EXPECT_GT(n_allowed, 0) << prefix;
  }
}

}  // namespace
}  // namespace hearth::grammar
