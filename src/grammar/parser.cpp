// GBNF text -> Grammar::RuleDef list (recursive descent), repetitions rewritten into helper rules.
#include <unordered_map>

#include "grammar/grammar.h"

namespace hearth::grammar {
namespace {

constexpr uint32_t kMaxRepeat = 10000;     // {m,n} bounds
constexpr size_t kMaxSymbols = 4'000'000;  // total symbols after rewriting repetitions
constexpr uint32_t kMaxCodePoint = 0x10FFFF;

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  Result<std::shared_ptr<const Grammar>> run(std::string_view root) {
    Status st = parse_rules();
    if (!st.ok()) return st;
    auto it = ids_.find(std::string(root));
    if (it == ids_.end() || !rules_[it->second].defined)
      return invalid_argument("grammar: there is no rule '", root, "' (the start rule)");
    return Grammar::build(std::move(rules_), it->second);
  }

 private:
  using Seq = Grammar::Seq;
  using Sym = Grammar::Sym;

  Status error_at(size_t at, const std::string& msg) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return invalid_argument("grammar line ", line, ", column ", col, ": ", msg);
  }
  void line_col(size_t at, size_t& line, size_t& col) const {
    line = 1;
    col = 1;
    for (size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  }

  bool eof() const { return pos_ >= src_.size(); }
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }

  void skip_ws(bool newlines = true) {
    while (!eof()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        ++pos_;
      } else if (c == '#' && newlines) {
        while (!eof() && peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string_view word_at(size_t at) const {
    size_t end = at;
    while (end < src_.size() && is_word_char(src_[end])) ++end;
    return src_.substr(at, end - at);
  }

  // Is `name ::=` ahead?
  bool at_rule_start() const {
    std::string_view w = word_at(pos_);
    if (w.empty()) return false;
    size_t i = pos_ + w.size();
    while (i < src_.size() && (src_[i] == ' ' || src_[i] == '\t')) ++i;
    return src_.substr(i, 3) == "::=";
  }

  uint32_t rule_id(std::string_view name, size_t at) {
    auto it = ids_.find(std::string(name));
    if (it != ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(rules_.size());
    Grammar::RuleDef def;
    def.name = std::string(name);
    line_col(at, def.line, def.column);
    rules_.push_back(std::move(def));
    ids_.emplace(std::string(name), id);
    return id;
  }

  uint32_t new_rule(const std::string& base) {
    std::string name;
    do name = base + "-" + std::to_string(++generated_);
    while (ids_.count(name));
    uint32_t id = rule_id(name, pos_);
    rules_[id].defined = true;
    return id;
  }

  Status parse_rules() {
    skip_ws();
    while (!eof()) {
      size_t at = pos_;
      std::string_view name = word_at(pos_);
      if (name.empty()) return error_at(at, str_cat("expected a rule name, found '", peek(), "'"));
      pos_ += name.size();
      skip_ws(false);
      if (src_.substr(pos_, 3) != "::=")
        return error_at(pos_, str_cat("expected '::=' after rule name '", name, "'"));
      pos_ += 3;
      uint32_t id = rule_id(name, at);
      if (rules_[id].defined) return error_at(at, str_cat("rule '", name, "' is defined twice"));
      rules_[id].defined = true;
      line_col(at, rules_[id].line, rules_[id].column);
      current_ = std::string(name);
      std::vector<Seq> alts;
      HEARTH_RETURN_IF_ERROR(parse_alts(alts, false));
      rules_[id].alts = std::move(alts);
      skip_ws();
    }
    if (rules_.empty()) return invalid_argument("grammar: the grammar has no rules");
    return Status::Ok();
  }

  Status parse_alts(std::vector<Seq>& out, bool nested) {
    for (;;) {
      Seq seq;
      HEARTH_RETURN_IF_ERROR(parse_seq(seq, nested));
      out.push_back(std::move(seq));
      skip_ws();
      if (peek() != '|') return Status::Ok();
      ++pos_;
    }
  }

  Status parse_seq(Seq& seq, bool nested) {
    for (;;) {
      skip_ws();
      if (eof() || peek() == '|' || peek() == ')') return Status::Ok();
      if (!nested && at_rule_start()) return Status::Ok();
      Seq item;
      HEARTH_RETURN_IF_ERROR(parse_item(item));
      for (;;) {
        skip_ws(false);
        char c = peek();
        if (c != '*' && c != '+' && c != '?' && c != '{') break;
        HEARTH_RETURN_IF_ERROR(parse_repeat(item));
      }
      n_symbols_ += item.size();
      if (n_symbols_ > kMaxSymbols)
        return error_at(pos_, "the grammar is too large after expanding repetitions");
      seq.insert(seq.end(), item.begin(), item.end());
    }
  }

  Status parse_item(Seq& item) {
    size_t at = pos_;
    char c = peek();
    if (c == '"') {
      ++pos_;
      while (!eof() && peek() != '"') {
        uint32_t cp;
        HEARTH_RETURN_IF_ERROR(parse_char(cp));
        Sym s;
        s.ranges.push_back({cp, cp});
        item.push_back(std::move(s));
      }
      if (eof()) return error_at(at, "unterminated string literal");
      ++pos_;
      return Status::Ok();
    }
    if (c == '[') return parse_class(item);
    if (c == '.') {
      ++pos_;
      Sym s;
      s.negated = true;
      item.push_back(std::move(s));
      return Status::Ok();
    }
    if (c == '(') {
      ++pos_;
      uint32_t id = new_rule(current_);
      std::vector<Seq> alts;
      HEARTH_RETURN_IF_ERROR(parse_alts(alts, true));
      skip_ws();
      if (peek() != ')') return error_at(at, "'(' is never closed by ')'");
      ++pos_;
      rules_[id].alts = std::move(alts);
      Sym s;
      s.is_ref = true;
      s.rule = id;
      item.push_back(std::move(s));
      return Status::Ok();
    }
    std::string_view name = word_at(pos_);
    if (name.empty()) return error_at(at, str_cat("unexpected character '", c, "'"));
    pos_ += name.size();
    Sym s;
    s.is_ref = true;
    s.rule = rule_id(name, at);
    item.push_back(std::move(s));
    return Status::Ok();
  }

  Status parse_class(Seq& item) {
    size_t at = pos_++;
    Sym s;
    if (peek() == '^') {
      s.negated = true;
      ++pos_;
    }
    while (!eof() && peek() != ']') {
      uint32_t lo, hi;
      HEARTH_RETURN_IF_ERROR(parse_char(lo));
      hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < src_.size()) {
        ++pos_;
        size_t range_at = pos_;
        HEARTH_RETURN_IF_ERROR(parse_char(hi));
        if (hi < lo) return error_at(range_at, "character range is reversed (end before start)");
      }
      s.ranges.push_back({lo, hi});
    }
    if (eof()) return error_at(at, "unterminated character class '['");
    ++pos_;
    item.push_back(std::move(s));
    return Status::Ok();
  }

  Status parse_hex(int digits, uint32_t& cp) {
    size_t at = pos_;
    cp = 0;
    for (int i = 0; i < digits; ++i) {
      char c = peek();
      int v = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (v < 0) return error_at(at, str_cat("bad escape: expected ", digits, " hex digits"));
      cp = cp * 16 + static_cast<uint32_t>(v);
      ++pos_;
    }
    if (cp > kMaxCodePoint) return error_at(at, "bad escape: code point above U+10FFFF");
    return Status::Ok();
  }

  // One (possibly escaped, possibly multi-byte UTF-8) character.
  Status parse_char(uint32_t& cp) {
    size_t at = pos_;
    unsigned char c = static_cast<unsigned char>(peek());
    if (c == '\\') {
      ++pos_;
      char e = peek();
      ++pos_;
      switch (e) {
        case 'n':
          cp = '\n';
          return Status::Ok();
        case 'r':
          cp = '\r';
          return Status::Ok();
        case 't':
          cp = '\t';
          return Status::Ok();
        case '\\':
        case '"':
        case '[':
        case ']':
        case '-':
        case '/':
        case '\'':
        case '^':
          cp = static_cast<uint32_t>(e);
          return Status::Ok();
        case 'x':
          return parse_hex(2, cp);
        case 'u':
          return parse_hex(4, cp);
        case 'U':
          return parse_hex(8, cp);
        default:
          return error_at(at, e == '\0' ? std::string("bad escape at the end of the text")
                                        : str_cat("bad escape '\\", e, "'"));
      }
    }
    if (c < 0x80) {
      cp = c;
      ++pos_;
      return Status::Ok();
    }
    int n = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0) return error_at(at, "invalid UTF-8 in the grammar text");
    cp = c & (0x3F >> n);
    ++pos_;
    for (int i = 0; i < n; ++i) {
      unsigned char d = static_cast<unsigned char>(peek());
      if ((d & 0xC0) != 0x80) return error_at(at, "invalid UTF-8 in the grammar text");
      cp = (cp << 6) | (d & 0x3F);
      ++pos_;
    }
    return Status::Ok();
  }

  Status parse_count(uint32_t& v) {
    size_t at = pos_;
    if (!(peek() >= '0' && peek() <= '9')) return error_at(at, "expected a number in '{m,n}'");
    uint64_t x = 0;
    while (peek() >= '0' && peek() <= '9') {
      x = x * 10 + static_cast<uint64_t>(peek() - '0');
      if (x > kMaxRepeat) return error_at(at, str_cat("repetition count above ", kMaxRepeat));
      ++pos_;
    }
    v = static_cast<uint32_t>(x);
    return Status::Ok();
  }

  Sym ref(uint32_t rule) {
    Sym s;
    s.is_ref = true;
    s.rule = rule;
    return s;
  }

  // x* as a rule R ::= x R | (empty)
  uint32_t star_rule(const Seq& x) {
    uint32_t r = new_rule(current_);
    Seq loop = x;
    loop.push_back(ref(r));
    rules_[r].alts = {loop, Seq{}};
    return r;
  }

  Status parse_repeat(Seq& item) {
    size_t at = pos_;
    char op = peek();
    ++pos_;
    uint32_t lo = 0, hi = 0;
    bool unbounded = false;
    if (op == '*') {
      unbounded = true;
    } else if (op == '+') {
      lo = 1;
      unbounded = true;
    } else if (op == '?') {
      hi = 1;
    } else {
      skip_ws(false);
      HEARTH_RETURN_IF_ERROR(parse_count(lo));
      skip_ws(false);
      hi = lo;
      if (peek() == ',') {
        ++pos_;
        skip_ws(false);
        if (peek() == '}') {
          unbounded = true;
        } else {
          HEARTH_RETURN_IF_ERROR(parse_count(hi));
        }
        skip_ws(false);
      }
      if (peek() != '}') return error_at(at, "expected '}' to close '{m,n}'");
      ++pos_;
      if (!unbounded && hi < lo) return error_at(at, "repetition {m,n} with n < m");
    }
    if (item.size() * (std::max(lo, hi) + 1) + n_symbols_ > kMaxSymbols)
      return error_at(at, "the grammar is too large after expanding repetitions");
    const Seq x = item;
    Seq out;
    for (uint32_t i = 0; i < lo; ++i) out.insert(out.end(), x.begin(), x.end());
    if (unbounded) {
      out.push_back(ref(star_rule(x)));
    } else if (hi > lo) {
      // Nested optionals: R1 ::= x | ; Rk ::= x R(k-1) | ; append R(hi-lo).
      uint32_t prev = 0;
      for (uint32_t k = 1; k <= hi - lo; ++k) {
        uint32_t r = new_rule(current_);
        Seq some = x;
        if (k > 1) some.push_back(ref(prev));
        rules_[r].alts = {some, Seq{}};
        prev = r;
      }
      out.push_back(ref(prev));
    }
    item = std::move(out);
    return Status::Ok();
  }

  std::string_view src_;
  size_t pos_ = 0;
  std::vector<Grammar::RuleDef> rules_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::string current_;
  int generated_ = 0;
  size_t n_symbols_ = 0;
};

}  // namespace

Result<std::shared_ptr<const Grammar>> Grammar::parse(std::string_view text,
                                                      std::string_view root) {
  return Parser(text).run(root);
}

}  // namespace hearth::grammar
