// Tokenizer behaviour on small hand-built vocabularies (no files needed).
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "tokenizer/sessions.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

// SPM: <unk> <s> </s>, 256 byte tokens, then scored pieces.
VocabSpec spm_spec() {
  VocabSpec spec;
  spec.model = "llama";
  auto add = [&](std::string text, float score, TokenType type) {
    spec.tokens.push_back(std::move(text));
    spec.scores.push_back(score);
    spec.token_types.push_back(static_cast<int32_t>(type));
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "<0x%02X>", b);
    add(hex, 0, TokenType::kByte);
  }
  for (auto [text, score] :
       std::vector<std::pair<std::string, float>>{{"\xE2\x96\x81", -1},
                                                  {"h", -2},
                                                  {"e", -2},
                                                  {"l", -2},
                                                  {"o", -2},
                                                  {"\xE2\x96\x81h", -3},
                                                  {"he", -5},
                                                  {"ll", -1.5f},
                                                  {"llo", -1},
                                                  {"\xE2\x96\x81he", -2.5f},
                                                  {"\xE2\x96\x81hello", -0.5f}}) {
    add(text, score, TokenType::kNormal);
  }
  return spec;
}

std::unique_ptr<Tokenizer> make(VocabSpec spec) {
  auto vocab = Vocab::build(std::move(spec));
  EXPECT_TRUE(vocab.ok()) << vocab.status().to_string();
  auto tok = Tokenizer::from_vocab(std::move(vocab).value());
  EXPECT_TRUE(tok.ok()) << tok.status().to_string();
  return std::move(tok).value();
}

TEST(SpmTokenizer, MergesByScoreAndAddsTheSpacePrefix) {
  auto tok = make(spm_spec());
  const int32_t hello = tok->vocab().find("\xE2\x96\x81hello");
  ASSERT_NE(hello, kNoToken);
  EXPECT_EQ(tok->encode("hello", false), Ids{hello});
  EXPECT_EQ(tok->encode("hello", true), (Ids{1, hello}));
  EXPECT_EQ(tok->decode(Ids{hello}), "hello");      // the leading space of the first token goes
  EXPECT_EQ(tok->decode(Ids{1, hello}), " hello");  // as llama.cpp: BOS takes that turn
  EXPECT_EQ(tok->decode(Ids{1, hello}, true), "<s> hello");
  EXPECT_EQ(tok->encode("", true), Ids{1});
  EXPECT_EQ(tok->encode("", false), Ids{});
}

TEST(SpmTokenizer, FallsBackToBytes) {
  auto tok = make(spm_spec());
  // 'x' and the euro sign are not pieces: byte tokens <0x78>, <0xE2> <0x82> <0xAC>.
  const Ids ids = tok->encode("x\xE2\x82\xAC", false);
  const int32_t space = tok->vocab().find("\xE2\x96\x81");
  EXPECT_EQ(ids, (Ids{space, 3 + 'x', 3 + 0xE2, 3 + 0x82, 3 + 0xAC}));
  EXPECT_EQ(tok->decode(ids), "x\xE2\x82\xAC");
  // Invalid UTF-8 survives the round trip through byte tokens.
  const std::string invalid = "\xFF\xC3(";
  EXPECT_EQ(tok->decode(tok->encode(invalid, false)), invalid);
}

TEST(SpmTokenizer, SpecialTokensOnlyWhenAsked) {
  auto tok = make(spm_spec());
  const int32_t hello = tok->vocab().find("\xE2\x96\x81hello");
  // A text after a special token gets the space prefix again.
  EXPECT_EQ(tok->encode("</s>hello", false, true), (Ids{2, hello}));
  const Ids plain = tok->encode("</s>hello", false, false);
  EXPECT_GT(plain.size(), 2u);
  EXPECT_EQ(tok->decode(plain), "</s>hello");
  EXPECT_TRUE(tok->is_eog(2));
  EXPECT_FALSE(tok->is_eog(hello));
  EXPECT_EQ(tok->nl(), 3 + '\n');
}

// Byte-level BPE: the 256-character byte alphabet, a few merges, one control token.
VocabSpec bpe_spec() {
  VocabSpec spec;
  spec.model = "gpt2";
  spec.pre = "gpt-2";
  for (int b = 0; b < 256; ++b) spec.tokens.emplace_back(byte_to_unicode(static_cast<uint8_t>(b)));
  spec.merges = {"h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "o r"};
  for (const char* t : {"he", "ll", "hell", "hello", "\xC4\xA0w", "or"}) spec.tokens.push_back(t);
  spec.tokens.push_back("<|endoftext|>");
  spec.token_types.assign(spec.tokens.size(), static_cast<int32_t>(TokenType::kNormal));
  spec.token_types.back() = static_cast<int32_t>(TokenType::kControl);
  return spec;
}

TEST(BpeTokenizer, AppliesMergesByRank) {
  auto tok = make(bpe_spec());
  const Vocab& v = tok->vocab();
  const Ids ids = tok->encode("hello world", false);
  EXPECT_EQ(ids,
            (Ids{v.find("hello"), v.find("\xC4\xA0w"), v.find("or"), v.find("l"), v.find("d")}));
  EXPECT_EQ(tok->decode(ids), "hello world");
  // Not in the same word: no merge across the pre-tokenizer's boundaries.
  EXPECT_EQ(tok->encode("h e", false), (Ids{v.find("h"), v.find("\xC4\xA0"), v.find("e")}));
}

TEST(BpeTokenizer, ControlTokensAndEog) {
  auto tok = make(bpe_spec());
  const int32_t eot = tok->vocab().find("<|endoftext|>");
  EXPECT_EQ(tok->eot(), eot);  // found by its text
  EXPECT_TRUE(tok->is_eog(eot));
  EXPECT_EQ(tok->encode("<|endoftext|>hello", false, true), (Ids{eot, tok->vocab().find("hello")}));
  EXPECT_EQ(tok->encode("<|endoftext|>", false, false).size(), 13u);  // plain characters
  EXPECT_EQ(tok->token_to_piece(eot), "");
  EXPECT_EQ(tok->token_to_piece(eot, true), "<|endoftext|>");
  EXPECT_EQ(tok->token_to_piece(-1), "");
  EXPECT_EQ(tok->token_to_piece(1 << 30), "");
}

TEST(BpeTokenizer, InvalidUtf8BecomesReplacementCharacter) {
  auto tok = make(bpe_spec());
  EXPECT_EQ(tok->decode(tok->encode("a\xFF", false)), "a\xEF\xBF\xBD");
}

TEST(StreamDecoder, HoldsPartialCharacters) {
  auto tok = make(bpe_spec());
  const Ids ids = tok->encode("\xE2\x82\xAC!", false);  // three byte tokens and '!'
  ASSERT_EQ(ids.size(), 4u);
  StreamDecoder stream(*tok);
  EXPECT_EQ(stream.feed(ids[0]), "");
  EXPECT_EQ(stream.feed(ids[1]), "");
  EXPECT_EQ(stream.pending_bytes(), 2u);
  EXPECT_EQ(stream.feed(ids[2]), "\xE2\x82\xAC");
  EXPECT_EQ(stream.feed(ids[3]), "!");
  EXPECT_EQ(stream.flush(), "");
  // A character that never completes comes out as U+FFFD.
  EXPECT_EQ(stream.feed(ids[0]), "");
  EXPECT_EQ(stream.feed(ids[3]), "\xEF\xBF\xBD!");
  EXPECT_EQ(stream.feed(ids[0]), "");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
}

VocabSpec wpm_spec() {
  VocabSpec spec;
  spec.model = "bert";
  spec.tokens = {"[PAD]",
                 "[UNK]",
                 "[CLS]",
                 "[SEP]",
                 "[MASK]",
                 "\xE2\x96\x81hello",
                 "\xE2\x96\x81world",
                 "\xE2\x96\x81un",
                 "aff",
                 "able",
                 "\xE2\x96\x81!",
                 "\xE2\x96\x81"
                 "cafe"};
  spec.token_types.assign(spec.tokens.size(), static_cast<int32_t>(TokenType::kNormal));
  for (int i = 0; i < 5; ++i) spec.token_types[i] = static_cast<int32_t>(TokenType::kControl);
  spec.special.pad = 0, spec.special.unk = 1, spec.special.bos = 2, spec.special.sep = 3;
  spec.special.mask = 4;
  return spec;
}

TEST(WpmTokenizer, LowercasesStripsAccentsAndSplitsPunctuation) {
  auto tok = make(wpm_spec());
  EXPECT_EQ(tok->encode("Hello, unaffable World!", false), (Ids{5, 1, 7, 8, 9, 6, 10}));
  EXPECT_EQ(tok->encode("Caf\xC3\xA9", true), (Ids{2, 11, 3}));  // [CLS] cafe [SEP]
  EXPECT_EQ(tok->decode(Ids{5, 6}), " hello world");  // llama.cpp keeps WordPiece's space
}

TEST(TokenizerCleanUp, FollowsLlamaCpp) {
  EXPECT_EQ(clean_up_spaces("Hello , world !"), "Hello, world!");
  EXPECT_EQ(clean_up_spaces("it ' s"), "it's");
  EXPECT_EQ(clean_up_spaces("I 've he 's they 're"), "I've he's they're");
  EXPECT_EQ(clean_up_spaces("don 't we 'll"), "don 't we 'll");
  EXPECT_EQ(clean_up_spaces(""), "");
  EXPECT_EQ(clean_up_spaces(" ."), ".");
}

TEST(TokenizerVocab, RejectsBadSpecs) {
  VocabSpec empty;
  empty.model = "llama";
  EXPECT_EQ(Vocab::build(empty).status().code(), StatusCode::kCorruptFile);

  VocabSpec unknown_model = spm_spec();
  unknown_model.model = "rwkv";
  EXPECT_EQ(Vocab::build(unknown_model).status().code(), StatusCode::kUnsupported);

  VocabSpec unknown_pre = bpe_spec();
  unknown_pre.pre = "no-such-pre";
  auto r = Vocab::build(unknown_pre);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no-such-pre"), std::string::npos);

  VocabSpec duplicate = spm_spec();
  duplicate.tokens[10] = duplicate.tokens[11];
  EXPECT_NE(Vocab::build(duplicate).status().message().find("duplicate token"), std::string::npos);

  VocabSpec short_scores = spm_spec();
  short_scores.scores.resize(3);
  EXPECT_EQ(Vocab::build(short_scores).status().code(), StatusCode::kCorruptFile);

  VocabSpec no_bos = bpe_spec();  // BPE default BOS (11) exists; make it disappear
  no_bos.special.bos = 1 << 20;   // out of range: ignored, default kept
  EXPECT_TRUE(Vocab::build(no_bos).ok());
  VocabSpec glm = bpe_spec();
  glm.pre = "chatglm-bpe";  // has no BOS
  glm.add_bos = true;
  EXPECT_NE(Vocab::build(glm).status().message().find("no BOS"), std::string::npos);
}

TEST(TokenizerVocab, SpecialTokensAreMatchedLongestFirst) {
  VocabSpec spec = bpe_spec();
  for (const char* text : {"<|end|>", "<|tool|>"}) {
    spec.tokens.push_back(text);
    spec.token_types.push_back(static_cast<int32_t>(TokenType::kUserDefined));
  }
  auto tok = make(spec);
  const Vocab& v = tok->vocab();
  ASSERT_EQ(v.special_tokens().size(), 3u);
  EXPECT_EQ(v.text(v.special_tokens()[0]), "<|endoftext|>");
  // User-defined tokens are cut out even without parse_special...
  EXPECT_EQ(tok->encode("<|tool|>", false, false), Ids{v.find("<|tool|>")});
  // ...but "<|end|>" ends generation, so (as in llama.cpp) it counts as a control token.
  EXPECT_TRUE(tok->is_eog(v.find("<|end|>")));
  EXPECT_TRUE(tok->is_control(v.find("<|end|>")));
  EXPECT_EQ(tok->encode("<|end|>", false, false).size(), 7u);
  EXPECT_EQ(tok->encode("<|end|>", false, true), Ids{v.find("<|end|>")});
}

}  // namespace
}  // namespace hearth::tokenizer

namespace hearth::tokenizer {
namespace {

// llama.cpp's partition, written naively (every special token searched in every fragment), to
// check the trie-filtered version against.
std::vector<Fragment> naive_split(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<Fragment> fragments;
  if (!text.empty()) fragments.push_back({0, text.size(), kNoToken});
  for (int32_t id : vocab.special_tokens()) {
    if (!parse_special && (vocab.attr(id) & (kAttrControl | kAttrUnknown))) continue;
    const std::string& t = vocab.text(id);
    std::vector<Fragment> next;
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      size_t begin = f.begin;
      while (true) {
        const size_t hit = text.substr(0, f.end).find(t, begin);
        if (hit == std::string_view::npos) break;
        if (hit > begin) next.push_back({begin, hit, kNoToken});
        next.push_back({hit, hit + t.size(), id});
        begin = hit + t.size();
      }
      if (begin < f.end) next.push_back({begin, f.end, kNoToken});
    }
    fragments = std::move(next);
  }
  return fragments;
}

TEST(SpecialTokenMatcher, AgreesWithTheNaivePartition) {
  VocabSpec spec = bpe_spec();
  const std::pair<const char*, TokenType> specials[] = {
      {"<a>", TokenType::kControl},     {"<a", TokenType::kUserDefined},
      {"a>", TokenType::kUserDefined},  {"<<a>>", TokenType::kControl},
      {"b b", TokenType::kUserDefined}, {"<a><a>", TokenType::kUserDefined}};
  for (const auto& [text, type] : specials) {
    spec.tokens.push_back(text);
    spec.token_types.push_back(static_cast<int32_t>(type));
  }
  auto tok = make(spec);
  SpecialTokenMatcher matcher(tok->vocab());
  std::mt19937 rng(5);
  const char alphabet[] = "<>ab ";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const size_t n = rng() % 24;
    for (size_t i = 0; i < n; ++i) text.push_back(alphabet[rng() % 5]);
    for (bool parse_special : {false, true}) {
      const auto fast = matcher.split(text, parse_special);
      const auto slow = naive_split(tok->vocab(), text, parse_special);
      ASSERT_EQ(fast.size(), slow.size()) << "'" << text << "'";
      for (size_t i = 0; i < fast.size(); ++i) {
        EXPECT_EQ(fast[i].begin, slow[i].begin) << "'" << text << "'";
        EXPECT_EQ(fast[i].end, slow[i].end) << "'" << text << "'";
        EXPECT_EQ(fast[i].token, slow[i].token) << "'" << text << "'";
      }
    }
  }
}

}  // namespace
}  // namespace hearth::tokenizer

namespace hearth::tokenizer {
namespace {

// Random (possibly nonsensical) vocabularies and texts: building either fails with a Status or
// gives a tokenizer whose encode/decode never crash and only return valid ids.
TEST(TokenizerRobustness, RandomVocabulariesNeverCrash) {
  std::mt19937 rng(11);
  auto random_string = [&](size_t max_len) {
    static const char* parts[] = {"a",  "b",        " ",    "\xE2\x96\x81", "<",
                                  ">",  "\xC4\xA0", "\xFF", "\xE4\xB8\xAD", "<0x41>",
                                  "\n", "##"};
    std::string s;
    const size_t n = rng() % (max_len + 1);
    for (size_t i = 0; i < n; ++i) s += parts[rng() % 12];
    return s;
  };
  int built = 0;
  for (int round = 0; round < 300; ++round) {
    VocabSpec spec;
    spec.model = std::vector<const char*>{"llama", "gpt2", "bert"}[rng() % 3];
    spec.pre = rng() % 2 ? "gpt-2" : "llama-bpe";
    const size_t n = 1 + rng() % 40;
    for (size_t i = 0; i < n; ++i) {
      // Mostly distinct texts (duplicates are a load error, tested once in a while).
      spec.tokens.push_back(random_string(4) + (rng() % 8 ? std::to_string(i) : ""));
      spec.token_types.push_back(static_cast<int32_t>(rng() % 8));
      spec.scores.push_back(static_cast<float>(rng() % 100) / -10.0f);
    }
    for (size_t i = 0; i < n; ++i) spec.merges.push_back(random_string(2) + " " + random_string(2));
    if (rng() % 2) spec.special.bos = static_cast<int64_t>(rng() % (n + 3)) - 1;
    if (rng() % 2) spec.special.unk = static_cast<int64_t>(rng() % (n + 3)) - 1;
    if (rng() % 2) spec.add_bos = rng() % 2;
    auto vocab = Vocab::build(std::move(spec));
    if (!vocab.ok()) {
      EXPECT_FALSE(vocab.status().message().empty());
      continue;
    }
    auto tok = Tokenizer::from_vocab(std::move(vocab).value());
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    ++built;
    for (int t = 0; t < 10; ++t) {
      const std::string text = random_string(30);
      const std::vector<int32_t> ids = (*tok)->encode(text, rng() % 2, rng() % 2);
      for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < (*tok)->n_vocab());
      StreamDecoder stream(**tok);
      for (int32_t id : ids) stream.feed(id);
      stream.flush();
      (*tok)->decode(ids, true);
    }
  }
  EXPECT_GT(built, 150);
}

}  // namespace
}  // namespace hearth::tokenizer
