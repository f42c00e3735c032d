// Python string helpers: case mapping, strip/split/replace, `%` formatting and str.format.
#include "template/strings.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "template/interpreter.h"

namespace hearth::tmpl {
namespace {

bool py_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

}  // namespace

namespace {

// Simple (one-to-one) case mapping for Latin-1, Latin Extended-A, Greek and Cyrillic, the
// scripts chat templates and their messages meet; other code points map to themselves.
uint32_t upper_cp(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 0x20;
  if (c == 0xFF) return 0x178;
  if (c == 0xB5) return 0x39C;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x131) return 'I';
    if (c == 0x17F) return 'S';
    bool odd_lower = (c < 0x138) || (c >= 0x14A && c < 0x178);
    if (odd_lower) return (c & 1) ? c - 1 : c;
    if (c >= 0x139 && c <= 0x148) return (c & 1) ? c : c - 1;
    if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c : c - 1;
    return c;
  }
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 0x20;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 0x3F;
  if (c == 0x3C2) return 0x3A3;
  if (c >= 0x3AC && c <= 0x3AF) return c == 0x3AC ? 0x386 : c - 0x25;
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  return c;
}

uint32_t lower_cp(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c == 0x178) return 0xFF;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x130) return 'i';
    bool odd_lower = (c < 0x138) || (c >= 0x14A && c < 0x178);
    if (odd_lower) return (c & 1) ? c : c + 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
    return c;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 0x3F;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 0x25;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

bool cased(uint32_t c) {
  return upper_cp(c) != c || lower_cp(c) != c;
}

std::vector<uint32_t> decode(const std::string& s) {
  std::vector<uint32_t> out;
  for (const std::string& ch : utf8_chars(s)) {
    unsigned char b = static_cast<unsigned char>(ch[0]);
    uint32_t cp = ch.size() == 1   ? b
                  : ch.size() == 2 ? (b & 0x1F)
                  : ch.size() == 3 ? (b & 0x0F)
                                   : (b & 0x07);
    for (size_t i = 1; i < ch.size(); ++i)
      cp = (cp << 6) | (static_cast<unsigned char>(ch[i]) & 0x3F);
    out.push_back(ch.size() == 1 && b >= 0x80 ? 0xFFFD0000u | b : cp);  // keep stray bytes
  }
  return out;
}

std::string encode(const std::vector<uint32_t>& cps) {
  std::string out;
  for (uint32_t cp : cps) {
    if ((cp & 0xFFFF0000u) == 0xFFFD0000u) {
      out += static_cast<char>(cp & 0xFF);
    } else if (cp < 0x80) {
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
  return out;
}

bool ascii_only(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

}  // namespace

std::string py_lower(const std::string& s) {
  if (ascii_only(s)) {
    std::string out = s;
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  auto cps = decode(s);
  for (auto& c : cps) c = lower_cp(c);
  return encode(cps);
}

std::string py_upper(const std::string& s) {
  if (ascii_only(s)) {
    std::string out = s;
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  }
  auto cps = decode(s);
  for (auto& c : cps) c = upper_cp(c);
  return encode(cps);
}

std::string py_capitalize(const std::string& s) {
  auto cps = decode(s);
  for (size_t i = 0; i < cps.size(); ++i) cps[i] = i == 0 ? upper_cp(cps[i]) : lower_cp(cps[i]);
  return encode(cps);
}

std::string py_title(const std::string& s) {
  auto cps = decode(s);
  bool prev_cased = false;
  for (auto& c : cps) {
    bool is_cased = cased(c);
    if (is_cased) c = prev_cased ? lower_cp(c) : upper_cp(c);
    prev_cased = is_cased;
  }
  return encode(cps);
}

std::string jinja_title(const std::string& s) {
  // Words begin after whitespace, '-', '(', '{', '[' or '<'.
  auto cps = decode(s);
  bool start = true;
  for (auto& c : cps) {
    bool sep = (c < 0x80 && py_space(static_cast<unsigned char>(c))) || c == '-' || c == '(' ||
               c == '{' || c == '[' || c == '<';
    if (sep) {
      start = true;
      continue;
    }
    c = start ? upper_cp(c) : lower_cp(c);
    start = false;
  }
  return encode(cps);
}

std::string py_strip(const std::string& s, const Value& chars, bool left, bool right) {
  bool ws = chars.is_none() || chars.is_undefined();
  std::string set = ws ? "" : to_str(chars);
  auto strip_char = [&](unsigned char c) {
    return ws ? py_space(c) : set.find(static_cast<char>(c)) != std::string::npos;
  };
  size_t b = 0, e = s.size();
  if (left)
    while (b < e && strip_char(static_cast<unsigned char>(s[b]))) ++b;
  if (right)
    while (e > b && strip_char(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& rep,
                       int64_t count) {
  std::string out;
  if (old.empty()) {
    auto chars = utf8_chars(s);
    int64_t done = 0;
    for (size_t i = 0; i <= chars.size(); ++i) {
      if (count < 0 || done < count) {
        out += rep;
        ++done;
      }
      if (i < chars.size()) out += chars[i];
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(old, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += rep;
    pos = hit + old.size();
    ++done;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

std::vector<std::string> py_split(const std::string& s, const Value& sep, int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep.is_none() || sep.is_undefined()) {
    size_t i = 0;
    while (true) {
      while (i < s.size() && py_space(static_cast<unsigned char>(s[i]))) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        size_t e = s.size();
        while (e > i && py_space(static_cast<unsigned char>(s[e - 1]))) --e;
        out.push_back(s.substr(i, e - i));
        break;
      }
      size_t j = i;
      while (j < s.size() && !py_space(static_cast<unsigned char>(s[j]))) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
    return out;
  }
  std::string d = to_str(sep);
  if (d.empty()) throw TemplateError("ValueError: empty separator");
  size_t pos = 0;
  while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
    size_t hit = s.find(d, pos);
    if (hit == std::string::npos) break;
    out.push_back(s.substr(pos, hit - pos));
    pos = hit + d.size();
  }
  out.push_back(s.substr(pos));
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      out.push_back(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

std::optional<int64_t> parse_python_int(const std::string& s) {
  std::string t = py_strip(s, Value(None{}), true, true);
  std::string digits;
  for (char c : t)
    if (c != '_') digits += c;
  if (digits.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(digits.c_str(), &end, 10);
  if (errno || *end) return std::nullopt;
  return v;
}

std::optional<double> parse_python_float(const std::string& s) {
  std::string t = py_strip(s, Value(None{}), true, true);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (*end) return std::nullopt;
  return v;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// One printf-style conversion of Python's `%` (flags, width, precision, type).
std::string convert(const std::string& spec, char type, const Value& v) {
  char buf[512];
  std::string f = "%" + spec;
  switch (type) {
    case 's': {
      std::string s = to_str(v);
      std::snprintf(buf, sizeof buf, (f + "s").c_str(), s.c_str());
      return s.size() + 64 > sizeof buf ? s : std::string(buf);
    }
    case 'r':
      return repr(v);
    case 'd':
    case 'i':
    case 'x':
    case 'X':
    case 'o': {
      if (!v.is_number())
        throw TemplateError("TypeError: %" + std::string(1, type) +
                            " format: a number is required, not " + type_name(v));
      long long i = v.is_float() ? static_cast<long long>(std::trunc(v.as_float()))
                                 : static_cast<long long>(v.number());
      std::snprintf(buf, sizeof buf, (f + "ll" + std::string(1, type == 'i' ? 'd' : type)).c_str(),
                    i);
      return buf;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (!v.is_number())
        throw TemplateError("TypeError: must be real number, not " + type_name(v));
      std::snprintf(buf, sizeof buf, (f + std::string(1, type)).c_str(), v.number());
      return buf;
    }
    default:
      throw TemplateError(std::string("ValueError: unsupported format character '") + type + "'");
  }
}

// Python's format-spec mini-language: [[fill]align][sign][#][0][width][,][.precision][type].
std::string format_spec(const Value& v, const std::string& spec) {
  size_t i = 0;
  char fill = ' ', align = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (spec.size() >= 2 && is_align(spec[1])) {
    fill = spec[0];
    align = spec[1];
    i = 2;
  } else if (!spec.empty() && is_align(spec[0])) {
    align = spec[0];
    i = 1;
  }
  std::string flags;
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) {
    if (spec[i] != '-') flags += spec[i];
    ++i;
  }
  if (i < spec.size() && spec[i] == '#') flags += spec[i++];
  if (i < spec.size() && spec[i] == '0') {
    if (!align) {
      fill = '0';
      align = '=';
    }
    ++i;
  }
  size_t width = 0;
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])) && width < 1000)
    width = width * 10 + static_cast<size_t>(spec[i++] - '0');
  std::string precision;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])) &&
           precision.size() < 3)
      precision += spec[i++];
  }
  char type = i < spec.size() ? spec[i++] : 0;
  if (i != spec.size()) throw TemplateError("ValueError: Invalid format specifier '" + spec + "'");
  std::string body;
  bool numeric = v.is_number();
  if (type == 's' || (!type && v.is_string()) || (!type && !numeric)) {
    if (numeric && type == 's')
      throw TemplateError("ValueError: Unknown format code 's' for object of type '" +
                          type_name(v) + "'");
    body = to_str(v);
    if (!precision.empty()) body = body.substr(0, std::stoul(precision));
  } else if (!type && !v.is_float() && precision.empty()) {
    body = convert(flags, 'd', v);
  } else if (!type && precision.empty()) {
    body = (flags.find('+') != std::string::npos && v.number() >= 0 ? "+" : "") + to_str(v);
  } else {
    char t = type ? type : 'g';
    std::string p = precision.empty() ? "" : "." + precision;
    if (t == '%') {
      body = convert(flags + p, 'f', Value(v.number() * 100)) + "%";
    } else if (t == 'b') {
      throw TemplateError("ValueError: format code 'b' is not supported");
    } else {
      body = convert(flags + p, t, v);
      // No type on a float: like 'g', but an integral result keeps its ".0".
      if (!type && v.is_float() && body.find_first_of(".eninf") == std::string::npos) body += ".0";
    }
  }
  if (!align) align = numeric ? '>' : '<';
  size_t len = utf8_length(body);
  if (len >= width) return body;
  size_t pad = width - len;
  std::string f(1, fill);
  auto rep = [&](size_t n) {
    std::string r;
    for (size_t k = 0; k < n; ++k) r += f;
    return r;
  };
  if (align == '<') return body + rep(pad);
  if (align == '^') return rep(pad / 2) + body + rep(pad - pad / 2);
  if (align == '=' && !body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' '))
    return body.substr(0, 1) + rep(pad) + body.substr(1);
  return rep(pad) + body;
}

}  // namespace

std::string percent_format(const std::string& fmt, const Value& args) {
  std::vector<Value> values;
  const DictPtr* mapping = nullptr;
  if (args.is_list() && args.list()->kind == ListKind::kTuple)
    values = args.list()->items;
  else if (args.is_dict())
    mapping = &args.dict();
  else
    values.push_back(args);
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) throw TemplateError("ValueError: incomplete format");
    if (fmt[i] == '%') {
      out += '%';
      continue;
    }
    Value v;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos || !mapping)
        throw TemplateError("ValueError: incomplete format key");
      const Value* found = (*mapping)->find(fmt.substr(i + 1, close - i - 1));
      if (!found) throw TemplateError("KeyError: '" + fmt.substr(i + 1, close - i - 1) + "'");
      v = *found;
      i = close + 1;
    } else {
      if (next >= values.size())
        throw TemplateError("TypeError: not enough arguments for format string");
      v = mapping ? args : values[next++];
    }
    std::string spec;
    while (i < fmt.size() && std::string("-+ #0123456789.").find(fmt[i]) != std::string::npos &&
           spec.size() < 20)
      spec += fmt[i++];
    if (i >= fmt.size()) throw TemplateError("ValueError: incomplete format");
    out += convert(spec, fmt[i], v);
  }
  if (!mapping && next < values.size())
    throw TemplateError("TypeError: not all arguments converted during string formatting");
  return out;
}

std::string str_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}')
        ++i;
      else
        throw TemplateError("ValueError: Single '}' encountered in format string");
      out += '}';
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos)
      throw TemplateError("ValueError: Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    std::string spec;
    size_t colon = field.find(':');
    if (colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field.resize(colon);
    }
    Value v;
    if (field.empty()) {
      if (auto_index >= args.args.size())
        throw TemplateError("IndexError: Replacement index " + std::to_string(auto_index) +
                            " out of range for positional args tuple");
      v = args.args[auto_index++];
    } else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
      size_t k = std::stoul(field);
      if (k >= args.args.size())
        throw TemplateError("IndexError: Replacement index " + field +
                            " out of range for positional args tuple");
      v = args.args[k];
    } else {
      v = args.get(field, SIZE_MAX);
      if (v.is_undefined()) throw TemplateError("KeyError: '" + field + "'");
    }
    out += spec.empty() ? to_str(v) : format_spec(v, spec);
    i = close;
  }
  return out;
}

}  // namespace hearth::tmpl
