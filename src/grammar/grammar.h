// GBNF grammars (llama.cpp's grammar syntax) parsed into a flat element table that the pushdown
// matcher (matcher.h) walks.
//
//   auto g = Grammar::parse(R"(root ::= "yes" | "no")");   // Result<shared_ptr<const Grammar>>
//
// Syntax: `name ::= alternatives`, `|`, grouping `( )`, postfix `*` `+` `?` `{m}` `{m,}` `{m,n}`,
// string literals "...", character classes [a-z0-9_] and [^...], `.` (any character), escapes
// \n \r \t \\ \" \[ \] \- \/ \' \xHH \uHHHH \UHHHHHHHH, comments `# ...` to the end of the line.
// Rules may span lines; a new rule starts where `name ::=` appears. Repetitions are rewritten into
// right-recursive helper rules. Left recursion (a rule that can reach itself without consuming a
// character) is rejected: the matcher is a top-down pushdown automaton.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hearth::grammar {

struct CharRange {
  uint32_t lo, hi;  // inclusive code points
};

enum class ElemKind : uint8_t {
  kChars,  // one code point from ranges[first, first + count) (or outside them if negated)
  kRef,    // the rule `first`
  kEnd,    // end of an alternative
};

struct Element {
  ElemKind kind = ElemKind::kEnd;
  bool negated = false;
  uint32_t first = 0;  // kChars: index into ranges(); kRef: rule id
  uint32_t count = 0;  // kChars: number of ranges
};

class Grammar {
 public:
  // Parses GBNF text; `root` names the start rule. Errors name the line and column.
  static Result<std::shared_ptr<const Grammar>> parse(std::string_view text,
                                                      std::string_view root = "root");

  // Flat table: every alternative is a run of elements closed by a kEnd element.
  const std::vector<Element>& elems() const { return elems_; }
  const std::vector<CharRange>& ranges() const { return ranges_; }
  // Start positions (indices into elems()) of each alternative of a rule.
  const std::vector<uint32_t>& alts(uint32_t rule) const { return alts_[rule]; }
  const std::string& rule_name(uint32_t rule) const { return names_[rule]; }
  size_t n_rules() const { return alts_.size(); }
  uint32_t root() const { return root_; }

  // Does the character element `e` accept code point `cp`?
  bool match(const Element& e, uint32_t cp) const {
    bool in = false;
    for (uint32_t i = e.first, end = e.first + e.count; i < end && !in; ++i)
      in = cp >= ranges_[i].lo && cp <= ranges_[i].hi;
    return in != e.negated;
  }
  // May `e` accept some code point in [lo, hi]? (Used while a UTF-8 sequence is incomplete.)
  bool match_any(const Element& e, uint32_t lo, uint32_t hi) const;

  // Builds a grammar from parsed rules (parser.cpp); validates references and left recursion.
  struct Sym {
    bool is_ref = false;
    bool negated = false;
    uint32_t rule = 0;
    std::vector<CharRange> ranges;
  };
  using Seq = std::vector<Sym>;
  struct RuleDef {
    std::string name;
    std::vector<Seq> alts;
    size_t line = 0, column = 0;  // where it was defined (or first used, if never defined)
    bool defined = false;
  };
  static Result<std::shared_ptr<const Grammar>> build(std::vector<RuleDef> rules, uint32_t root);

 private:
  std::vector<Element> elems_;
  std::vector<CharRange> ranges_;
  std::vector<std::vector<uint32_t>> alts_;  // (n_rules, n_alts of the rule)
  std::vector<std::string> names_;           // (n_rules)
  uint32_t root_ = 0;
};

}  // namespace hearth::grammar
