// Grammar::build: validation (undefined rules, left recursion) and flattening into elements.
#include "grammar/grammar.h"

#include <algorithm>

namespace hearth::grammar {
namespace {

// Nullable rules: those that can match the empty string (fixpoint).
std::vector<bool> nullable_rules(const std::vector<Grammar::RuleDef>& rules) {
  std::vector<bool> nullable(rules.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < rules.size(); ++r) {
      if (nullable[r]) continue;
      for (const Grammar::Seq& seq : rules[r].alts) {
        bool all = std::all_of(seq.begin(), seq.end(),
                               [&](const Grammar::Sym& s) { return s.is_ref && nullable[s.rule]; });
        if (all) {
          nullable[r] = true;
          changed = true;
          break;
        }
      }
    }
  }
  return nullable;
}

// Finds a cycle in the "can start with" graph; returns the rule path or empty.
std::vector<uint32_t> left_recursion(const std::vector<Grammar::RuleDef>& rules) {
  const std::vector<bool> nullable = nullable_rules(rules);
  std::vector<std::vector<uint32_t>> starts(rules.size());  // (n_rules, refs at a left edge)
  for (size_t r = 0; r < rules.size(); ++r) {
    for (const Grammar::Seq& seq : rules[r].alts) {
      for (const Grammar::Sym& s : seq) {
        if (!s.is_ref) break;
        starts[r].push_back(s.rule);
        if (!nullable[s.rule]) break;
      }
    }
  }
  // Iterative DFS with colours; the path is the DFS stack.
  std::vector<uint8_t> colour(rules.size(), 0);  // 0 new, 1 on stack, 2 done
  for (uint32_t start = 0; start < rules.size(); ++start) {
    if (colour[start]) continue;
    std::vector<std::pair<uint32_t, size_t>> stack{{start, 0}};
    colour[start] = 1;
    while (!stack.empty()) {
      auto& [r, next] = stack.back();
      if (next == starts[r].size()) {
        colour[r] = 2;
        stack.pop_back();
        continue;
      }
      uint32_t s = starts[r][next++];
      if (colour[s] == 1) {
        std::vector<uint32_t> path;
        bool in = false;
        for (auto& [q, unused] : stack) {
          in = in || q == s;
          if (in) path.push_back(q);
        }
        path.push_back(s);
        return path;
      }
      if (colour[s] == 0) {
        colour[s] = 1;
        stack.push_back({s, 0});
      }
    }
  }
  return {};
}

// Rules that can derive some finite text (fixpoint); the others only recurse forever.
std::vector<bool> productive_rules(const std::vector<Grammar::RuleDef>& rules) {
  std::vector<bool> productive(rules.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < rules.size(); ++r) {
      if (productive[r]) continue;
      for (const Grammar::Seq& seq : rules[r].alts) {
        if (std::all_of(seq.begin(), seq.end(),
                        [&](const Grammar::Sym& s) { return !s.is_ref || productive[s.rule]; })) {
          productive[r] = changed = true;
          break;
        }
      }
    }
  }
  return productive;
}

}  // namespace

Result<std::shared_ptr<const Grammar>> Grammar::build(std::vector<RuleDef> rules, uint32_t root) {
  for (const RuleDef& r : rules) {
    if (!r.defined)
      return invalid_argument("grammar line ", r.line, ", column ", r.column, ": rule '", r.name,
                              "' is used but never defined");
  }
  std::vector<uint32_t> cycle = left_recursion(rules);
  if (!cycle.empty()) {
    const RuleDef& r = rules[cycle.front()];
    std::string path;
    for (uint32_t id : cycle) path += (path.empty() ? "" : " -> ") + rules[id].name;
    return invalid_argument("grammar line ", r.line, ", column ", r.column,
                            ": left recursion is not supported (", path,
                            " without consuming a character; a repetition of something that can "
                            "be empty also does this)");
  }
  if (!productive_rules(rules)[root])
    return invalid_argument("grammar: rule '", rules[root].name,
                            "' can never be completed (every alternative recurses forever)");
  auto g = std::make_shared<Grammar>();
  g->root_ = root;
  g->alts_.resize(rules.size());
  for (size_t r = 0; r < rules.size(); ++r) {
    g->names_.push_back(rules[r].name);
    for (const Seq& seq : rules[r].alts) {
      g->alts_[r].push_back(static_cast<uint32_t>(g->elems_.size()));
      for (const Sym& s : seq) {
        Element e;
        if (s.is_ref) {
          e.kind = ElemKind::kRef;
          e.first = s.rule;
        } else {
          e.kind = ElemKind::kChars;
          e.negated = s.negated;
          e.first = static_cast<uint32_t>(g->ranges_.size());
          e.count = static_cast<uint32_t>(s.ranges.size());
          g->ranges_.insert(g->ranges_.end(), s.ranges.begin(), s.ranges.end());
        }
        g->elems_.push_back(e);
      }
      g->elems_.push_back(Element{});  // kEnd
    }
  }
  return std::shared_ptr<const Grammar>(std::move(g));
}

bool Grammar::match_any(const Element& e, uint32_t lo, uint32_t hi) const {
  if (!e.negated) {
    for (uint32_t i = e.first; i < e.first + e.count; ++i)
      if (ranges_[i].lo <= hi && ranges_[i].hi >= lo) return true;
    return false;
  }
  // Negated: is some code point of [lo, hi] outside every range? Walk the covered prefix.
  uint32_t cur = lo;
  for (bool advanced = true; advanced && cur <= hi;) {
    advanced = false;
    for (uint32_t i = e.first; i < e.first + e.count; ++i) {
      if (ranges_[i].lo <= cur && ranges_[i].hi >= cur) {
        if (ranges_[i].hi >= hi) return false;
        cur = ranges_[i].hi + 1;
        advanced = true;
      }
    }
  }
  return true;
}

}  // namespace hearth::grammar
