// GBNF parser and pushdown matcher: syntax, repetition, classes, escapes, UTF-8, errors, bounds.
#include <gtest/gtest.h>

#include <string>

#include "grammar/grammar.h"
#include "grammar/matcher.h"

namespace hearth::grammar {
namespace {

std::shared_ptr<const Grammar> parse_ok(const std::string& text) {
  auto g = Grammar::parse(text);
  EXPECT_TRUE(g.ok()) << g.status().to_string() << "\n" << text;
  return g.ok() ? *g : nullptr;
}

std::string parse_error(const std::string& text) {
  auto g = Grammar::parse(text);
  EXPECT_FALSE(g.ok()) << text;
  return g.ok() ? "" : g.status().message();
}

// The whole text is a sentence of the grammar.
bool full(const std::shared_ptr<const Grammar>& g, const std::string& text) {
  Matcher m(g);
  return m.accept(text).ok() && m.can_end();
}

// The text can be continued into a sentence (or is one).
bool prefix(const std::shared_ptr<const Grammar>& g, const std::string& text) {
  Matcher m(g);
  return m.accept(text).ok();
}

TEST(GrammarParser, LiteralsAndAlternation) {
  auto g = parse_ok(R"(root ::= "yes" | "no" | "maybe")");
  EXPECT_TRUE(full(g, "yes"));
  EXPECT_TRUE(full(g, "no"));
  EXPECT_FALSE(full(g, "ye"));
  EXPECT_TRUE(prefix(g, "ma"));
  EXPECT_FALSE(prefix(g, "x"));
  EXPECT_FALSE(full(g, "yesno"));
}

TEST(GrammarParser, RulesGroupsAndCommentsAcrossLines) {
  auto g = parse_ok(R"(# a greeting
root ::= greet ws name   # trailing comment
  ("!" | "?")
greet ::= "hi" | "hello"
ws ::= " "+
name ::= [A-Z] [a-z]*
)");
  EXPECT_TRUE(full(g, "hello   Bob!"));
  EXPECT_TRUE(full(g, "hi X?"));
  EXPECT_FALSE(full(g, "hi bob!"));
  EXPECT_FALSE(full(g, "hiBob!"));
}

TEST(GrammarParser, Repetitions) {
  auto g = parse_ok(R"(root ::= "a"{2,3} "b"? "c"* "d"+ "e"{2} "f"{1,})");
  EXPECT_TRUE(full(g, "aadeef"));
  EXPECT_TRUE(full(g, "aaabcccddeefff"));
  EXPECT_FALSE(full(g, "adeef"));     // a{2,3}
  EXPECT_FALSE(full(g, "aaaadeef"));  // a{2,3}
  EXPECT_FALSE(full(g, "aabbdeef"));  // b?
  EXPECT_FALSE(full(g, "aaeef"));     // d+
  EXPECT_FALSE(full(g, "aadef"));     // e{2}
  EXPECT_FALSE(full(g, "aadee"));     // f{1,}
  // Repetition applies to the whole literal / group.
  auto h = parse_ok(R"(root ::= "ab"{2} ("x" | "yz")*)");
  EXPECT_TRUE(full(h, "ababyzxyz"));
  EXPECT_FALSE(full(h, "abb"));
}

TEST(GrammarParser, CharClassesEscapesAndAny) {
  auto g = parse_ok(R"(root ::= [a-cx\-] [^0-9\]] . [\x41-\x43] "\u00e9\t\\\"" [\U0001F600])");
  EXPECT_TRUE(full(g, "a!zB\xC3\xA9\t\\\"\xF0\x9F\x98\x80"));
  EXPECT_TRUE(full(g, "-]zB\xC3\xA9\t\\\"\xF0\x9F\x98\x80") == false);  // ] is excluded
  EXPECT_FALSE(full(g, "d!zB\xC3\xA9\t\\\"\xF0\x9F\x98\x80"));
  EXPECT_FALSE(full(g, "a5zB\xC3\xA9\t\\\"\xF0\x9F\x98\x80"));
  EXPECT_FALSE(full(g, "a!zD\xC3\xA9\t\\\"\xF0\x9F\x98\x80"));
}

TEST(GrammarMatcher, Utf8AcrossAcceptCalls) {
  auto g = parse_ok(R"(root ::= [^a]+ "a")");
  Matcher m(g);
  ASSERT_TRUE(m.accept("\xE2").ok());  // first byte of U+20AC
  EXPECT_FALSE(m.can_end());
  ASSERT_TRUE(m.accept("\x82").ok());
  ASSERT_TRUE(m.accept("\xAC").ok());
  ASSERT_TRUE(m.accept("a").ok());
  EXPECT_TRUE(m.can_end());
  EXPECT_TRUE(m.must_end());
  // Invalid UTF-8 is rejected, and a failed accept leaves the state unchanged.
  Matcher n(g);
  EXPECT_FALSE(n.accept("\x82").ok());
  EXPECT_FALSE(n.accept("\xC3(").ok());
  EXPECT_FALSE(n.accept("\xC0\xA1").ok());          // overlong "!"
  EXPECT_FALSE(n.accept("\xF0\x80\x81\xBB").ok());  // overlong "{"
  EXPECT_FALSE(n.accept("\xED\xA0\x80").ok());      // a surrogate
  EXPECT_FALSE(n.accept("\xF5").ok());
  EXPECT_TRUE(n.accept("xa").ok());
  EXPECT_TRUE(n.can_end());
}

TEST(GrammarMatcher, PartialCharacterMustBeCompletable) {
  // Only ASCII and U+00E9 allowed: the lead byte of a 3-byte character is rejected at once.
  auto g = parse_ok(R"(root ::= ([a-z] | "\u00e9")*)");
  EXPECT_TRUE(prefix(g, "\xC3"));
  EXPECT_FALSE(prefix(g, "\xE2"));
  EXPECT_FALSE(prefix(g, "\xC3\xA8"));  // U+00E8
}

TEST(GrammarMatcher, CanEndAndMustEnd) {
  auto g = parse_ok(R"(root ::= "a" "b"?)");
  Matcher m(g);
  EXPECT_FALSE(m.can_end());
  ASSERT_TRUE(m.accept("a").ok());
  EXPECT_TRUE(m.can_end());
  EXPECT_FALSE(m.must_end());
  ASSERT_TRUE(m.accept("b").ok());
  EXPECT_TRUE(m.must_end());
  EXPECT_FALSE(m.accept("b").ok());
}

TEST(GrammarMatcher, RecursionAndStackSharing) {
  auto g = parse_ok(R"(root ::= item
item ::= "[" (item ("," item)*)? "]" | [0-9])");
  EXPECT_TRUE(full(g, "[[1,[2,[]]],3]"));
  EXPECT_FALSE(full(g, "[[1,2]"));
  std::string deep(2000, '[');
  deep += std::string(2000, ']');
  EXPECT_TRUE(full(g, deep));
}

TEST(GrammarErrors, NameLineColumnAndProblem) {
  EXPECT_NE(parse_error("root ::= a\n").find("line 1, column 10: rule 'a' is used but never"),
            std::string::npos);
  std::string e = parse_error("root ::= \"x\"\nexpr ::= expr \"+\" \"1\" | \"1\"\n");
  EXPECT_NE(e.find("line 2, column 1"), std::string::npos) << e;
  EXPECT_NE(e.find("left recursion"), std::string::npos) << e;
  e = parse_error("root ::= \"a\\q\"");
  EXPECT_NE(e.find("line 1, column 12: bad escape '\\q'"), std::string::npos) << e;
  EXPECT_NE(parse_error("root ::= [\\x4]").find("bad escape: expected 2 hex digits"),
            std::string::npos);
  EXPECT_NE(parse_error("root ::= \"abc").find("unterminated string"), std::string::npos);
  EXPECT_NE(parse_error("root ::= [abc").find("unterminated character class"), std::string::npos);
  EXPECT_NE(parse_error("root ::= (\"a\"").find("never closed"), std::string::npos);
  EXPECT_NE(parse_error("root ::= [z-a]").find("reversed"), std::string::npos);
  EXPECT_NE(parse_error("root ::= \"a\"{3,1}").find("n < m"), std::string::npos);
  EXPECT_NE(parse_error("start ::= \"a\"").find("no rule 'root'"), std::string::npos);
  EXPECT_NE(parse_error("root ::= \"a\"\nroot ::= \"b\"").find("defined twice"), std::string::npos);
  EXPECT_NE(parse_error("root ::= \"a\" @").find("unexpected character '@'"), std::string::npos);
  EXPECT_NE(parse_error("root ::= \"a\"{99999}").find("repetition count above"), std::string::npos);
  // A repetition of something that can be empty would loop without consuming input.
  EXPECT_NE(parse_error("root ::= (\"a\"?)*").find("left recursion"), std::string::npos);
  EXPECT_NE(parse_error("root ::= \"a\" root").find("can never be completed"), std::string::npos);
  EXPECT_NE(parse_error("").find("no rules"), std::string::npos);
}

TEST(GrammarLimits, AmbiguityIsBoundedWithAClearError) {
  // After n "a"s there are n + 1 distinct stacks (pending "b"s): past kMaxStacks it is an error.
  auto g = parse_ok(R"(root ::= s
s ::= "a" s "b" | "a" s | "")");
  Matcher m(g);
  EXPECT_TRUE(m.accept(std::string(100, 'a')).ok());
  Status st = m.accept(std::string(kMaxStacks, 'a'));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("too ambiguous"), std::string::npos) << st.message();
}

TEST(GrammarLimits, ExponentialExpansionStopsWithAnError) {
  // a1 ::= a2 a2, a2 ::= a3 a3, ...: 2^30 nullable paths; the expansion budget stops it.
  std::string text = "root ::= a1 \"y\"\n";
  for (int i = 1; i < 30; ++i)
    text += "a" + std::to_string(i) + " ::= a" + std::to_string(i + 1) + " a" +
            std::to_string(i + 1) + "\n";
  text += "a30 ::= \"x\" | \"\"\n";
  auto g = parse_ok(text);
  Matcher m(g);
  Status st = m.accept("xy");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("too ambiguous"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace hearth::grammar
