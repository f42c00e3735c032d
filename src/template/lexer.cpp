// Template lexer: splits the source into text and tags, then tags into expression tokens.
#include "template/lexer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "template/value.h"

namespace hearth::tmpl {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

class Lexer {
 public:
  Lexer(const std::string& src, const LexOptions& opt) : src_(src), opt_(opt) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src.size(); ++i)
      if (src[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    while (pos <= src_.size()) {
      size_t start = find_tag(pos);
      std::string text = src_.substr(pos, start - pos);
      bool line_start = pos == 0 || src_[pos - 1] == '\n';
      if (start == src_.size()) {
        emit_text(text, pos);
        break;
      }
      char kind = src_[start + 1];
      char sign = start + 2 < src_.size() ? src_[start + 2] : '\0';
      if (sign == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (sign != '+' && opt_.lstrip_blocks && kind != '{') {
        size_t l_pos = text.rfind('\n');
        l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
        if ((l_pos > 0 || line_start) &&
            std::all_of(text.begin() + static_cast<std::ptrdiff_t>(l_pos), text.end(),
                        [](char c) { return c != '\n' && is_space(c); }))
          text.resize(l_pos);
      }
      emit_text(text, pos);
      size_t body = start + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (kind == '#') {
        pos = lex_comment(start, body);
      } else if (kind == '%' && is_raw(body)) {
        pos = lex_raw(start, body);
      } else {
        pos = lex_tag(start, body, kind);
      }
    }
    out_.push_back(make(Tok::kEof, "", src_.size()));
    return std::move(out_);
  }

 private:
  void pos_of(size_t offset, int& line, int& col) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t idx = static_cast<size_t>(it - line_starts_.begin()) - 1;
    line = static_cast<int>(idx) + 1;
    col = static_cast<int>(offset - line_starts_[idx]) + 1;
  }
  Token make(Tok type, std::string text, size_t offset) const {
    Token t{type, std::move(text)};
    pos_of(offset, t.line, t.col);
    return t;
  }
  [[noreturn]] void fail(const std::string& msg, size_t offset) const {
    int line, col;
    pos_of(offset, line, col);
    throw TemplateError("TemplateSyntaxError: " + msg, line, col);
  }
  void emit_text(const std::string& text, size_t offset) {
    if (!text.empty()) out_.push_back(make(Tok::kText, text, offset));
  }
  size_t find_tag(size_t pos) const {
    for (size_t i = pos; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return src_.size();
  }
  // After a tag end: `-` strips all following whitespace; trim_blocks eats one newline.
  size_t after_end(size_t pos, bool strip, bool trim) const {
    if (strip) {
      while (pos < src_.size() && is_space(src_[pos])) ++pos;
    } else if (trim) {
      if (pos < src_.size() && src_[pos] == '\n')
        ++pos;
      else if (pos + 1 < src_.size() && src_[pos] == '\r' && src_[pos + 1] == '\n')
        pos += 2;
    }
    return pos;
  }

  size_t lex_comment(size_t start, size_t body) {
    size_t end = src_.find("#}", body);
    if (end == std::string::npos) fail("unterminated comment", start);
    bool strip = end > body && src_[end - 1] == '-';
    return after_end(end + 2, strip, opt_.trim_blocks);
  }

  // `{% raw %}` ... `{% endraw %}`: the body is text, verbatim.
  bool is_raw(size_t body) const {
    size_t p = body;
    while (p < src_.size() && is_space(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") != 0) return false;
    p += 3;
    while (p < src_.size() && is_space(src_[p])) ++p;
    return src_.compare(p, 2, "%}") == 0 || src_.compare(p, 3, "-%}") == 0;
  }
  size_t lex_raw(size_t start, size_t body) {
    size_t close = src_.find("%}", body);
    bool strip_after = src_[close - 1] == '-';
    size_t content = after_end(close + 2, strip_after, false);
    for (size_t p = content; (p = src_.find("{%", p)) != std::string::npos; p += 2) {
      size_t q = p + 2;
      bool strip_before = q < src_.size() && src_[q] == '-';
      if (strip_before || (q < src_.size() && src_[q] == '+')) ++q;
      while (q < src_.size() && is_space(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") != 0) continue;
      q += 6;
      while (q < src_.size() && is_space(src_[q])) ++q;
      bool strip_end = q < src_.size() && src_[q] == '-';
      if (strip_end) ++q;
      if (src_.compare(q, 2, "%}") != 0) continue;
      std::string text = src_.substr(content, p - content);
      if (strip_before)
        while (!text.empty() && is_space(text.back())) text.pop_back();
      emit_text(text, content);
      return after_end(q + 2, strip_end, opt_.trim_blocks);
    }
    fail("missing endraw for raw block", start);
  }

  size_t lex_tag(size_t start, size_t p, char kind);
  size_t lex_string(size_t p);
  size_t lex_number(size_t p);

  const std::string& src_;
  LexOptions opt_;
  std::vector<size_t> line_starts_;
  std::vector<Token> out_;
};

size_t Lexer::lex_tag(size_t start, size_t p, char kind) {
  const char close = kind == '{' ? '}' : '%';
  out_.push_back(make(kind == '{' ? Tok::kVarBegin : Tok::kBlockBegin, "", start));
  int depth = 0;
  static const char* kOps2[] = {"**", "//", "==", "!=", "<=", ">="};
  while (true) {
    while (p < src_.size() && is_space(src_[p])) ++p;
    if (p >= src_.size())
      fail(kind == '{' ? "unexpected end of template, expected '}}'"
                       : "unexpected end of template, expected '%}'",
           start);
    char c = src_[p];
    if (depth == 0) {
      bool sign = (c == '-' || c == '+') && p + 2 < src_.size() && src_[p + 1] == close &&
                  src_[p + 2] == '}';
      if (sign || (c == close && p + 1 < src_.size() && src_[p + 1] == '}')) {
        size_t end = p + (sign ? 3 : 2);
        out_.push_back(make(kind == '{' ? Tok::kVarEnd : Tok::kBlockEnd, "", p));
        return after_end(end, sign && c == '-',
                         kind == '%' && opt_.trim_blocks && !(sign && c == '+'));
      }
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t q = p;
      while (q < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[q])) || src_[q] == '_'))
        ++q;
      out_.push_back(make(Tok::kName, src_.substr(p, q - p), p));
      p = q;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      p = lex_number(p);
    } else if (c == '"' || c == '\'') {
      p = lex_string(p);
    } else {
      std::string op(1, c);
      for (const char* o : kOps2)
        if (src_.compare(p, 2, o) == 0) op = o;
      if (op.size() == 1 && std::string("+-*/%~<>=()[]{}.,:|!").find(c) == std::string::npos)
        fail(std::string("unexpected char '") + c + "'", p);
      if (op == "(" || op == "[" || op == "{") ++depth;
      if ((op == ")" || op == "]" || op == "}") && depth > 0) --depth;
      out_.push_back(make(Tok::kOp, op, p));
      p += op.size();
    }
  }
}

size_t Lexer::lex_number(size_t p) {
  size_t q = p;
  auto digits = [&] {
    while (q < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[q])) || src_[q] == '_'))
      ++q;
  };
  digits();
  bool is_float = false;
  if (q + 1 < src_.size() && src_[q] == '.' &&
      std::isdigit(static_cast<unsigned char>(src_[q + 1]))) {
    is_float = true;
    ++q;
    digits();
  }
  if (q < src_.size() && (src_[q] == 'e' || src_[q] == 'E')) {
    size_t r = q + 1;
    if (r < src_.size() && (src_[r] == '+' || src_[r] == '-')) ++r;
    if (r < src_.size() && std::isdigit(static_cast<unsigned char>(src_[r]))) {
      is_float = true;
      q = r;
      digits();
    }
  }
  std::string text;
  for (size_t i = p; i < q; ++i)
    if (src_[i] != '_') text += src_[i];
  Token t = make(is_float ? Tok::kFloat : Tok::kInt, text, p);
  if (is_float) {
    t.fval = std::strtod(text.c_str(), nullptr);
  } else {
    errno = 0;
    t.ival = std::strtoll(text.c_str(), nullptr, 10);
    if (errno == ERANGE) fail("integer literal too large", p);
  }
  out_.push_back(t);
  return q;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

size_t Lexer::lex_string(size_t p) {
  char quote = src_[p];
  std::string value;
  size_t q = p + 1;
  while (true) {
    if (q >= src_.size()) fail("unterminated string", p);
    char c = src_[q];
    if (c == quote) break;
    if (c != '\\' || q + 1 >= src_.size()) {
      value += c;
      ++q;
      continue;
    }
    char e = src_[q + 1];
    q += 2;
    switch (e) {
      case 'n':
        value += '\n';
        break;
      case 't':
        value += '\t';
        break;
      case 'r':
        value += '\r';
        break;
      case 'b':
        value += '\b';
        break;
      case 'f':
        value += '\f';
        break;
      case 'v':
        value += '\v';
        break;
      case 'a':
        value += '\a';
        break;
      case '0':
        value += '\0';
        break;
      case '\\':
        value += '\\';
        break;
      case '\'':
        value += '\'';
        break;
      case '"':
        value += '"';
        break;
      case '\n':
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (q + n > src_.size()) fail("truncated \\" + std::string(1, e) + " escape", q);
        std::string hex = src_.substr(q, n);
        if (!std::all_of(hex.begin(), hex.end(),
                         [](char h) { return std::isxdigit(static_cast<unsigned char>(h)); }))
          fail("bad \\" + std::string(1, e) + " escape", q);
        uint32_t cp = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
        if (cp > 0x10FFFF) fail("escape out of range", q);
        append_utf8(value, cp);
        q += n;
        break;
      }
      default:
        value += '\\';
        value += e;
    }
  }
  out_.push_back(make(Tok::kString, value, p));
  return q + 1;
}

}  // namespace

// jinja2 reads the source as "\n".join(source.splitlines()): every line break (\r\n, \r, \v, \f,
// \x1c-\x1e, U+0085, U+2028, U+2029) becomes "\n" and one trailing line break is dropped.
std::string normalize_newlines(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
      out += '\n';
    } else if (c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) {
      out += '\n';
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
      out += '\n';
      ++i;
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += '\n';
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::vector<Token> lex(const std::string& source, const LexOptions& options) {
  std::string normalized = normalize_newlines(source);
  return Lexer(normalized, options).run();
}

}  // namespace hearth::tmpl
