// Python json.dumps-compatible serialization and UTF-8 helpers.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "template/value.h"

namespace hearth::tmpl {

std::vector<std::string> utf8_chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

namespace {

uint32_t decode_utf8(const std::string& ch) {
  unsigned char c = static_cast<unsigned char>(ch[0]);
  if (ch.size() == 1) return c;
  uint32_t cp = ch.size() == 2 ? (c & 0x1F) : ch.size() == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t i = 1; i < ch.size(); ++i)
    cp = (cp << 6) | (static_cast<unsigned char>(ch[i]) & 0x3F);
  return cp;
}

void json_string(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  char buf[16];
  for (const std::string& ch : utf8_chars(s)) {
    unsigned char c = static_cast<unsigned char>(ch[0]);
    if (ch.size() == 1) {
      switch (c) {
        case '"':
          out += "\\\"";
          continue;
        case '\\':
          out += "\\\\";
          continue;
        case '\n':
          out += "\\n";
          continue;
        case '\r':
          out += "\\r";
          continue;
        case '\t':
          out += "\\t";
          continue;
        case '\b':
          out += "\\b";
          continue;
        case '\f':
          out += "\\f";
          continue;
        default:
          break;
      }
      if (c < 0x20) {
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += ch;
      }
      continue;
    }
    if (!ensure_ascii) {
      out += ch;
      continue;
    }
    uint32_t cp = decode_utf8(ch);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
    } else {
      std::snprintf(buf, sizeof buf, "\\u%04x", cp);
    }
    out += buf;
  }
  out += '"';
}

std::string json_key(const Value& k) {
  if (k.is_string()) return k.str();
  if (k.is_bool()) return k.as_bool() ? "true" : "false";
  if (k.is_none()) return "null";
  if (k.is_int()) return std::to_string(k.as_int());
  if (k.is_float()) return float_repr(k.as_float());
  throw TemplateError("TypeError: keys must be str, int, float, bool or None, not " + type_name(k));
}

void newline(const JsonOptions& o, int depth, std::string& out) {
  if (o.indent < 0) return;
  out += '\n';
  out.append(static_cast<size_t>(o.indent) * static_cast<size_t>(depth), ' ');
}

void dump(const Value& v, const JsonOptions& o, int depth, std::string& out) {
  if (depth > 512) throw TemplateError("ValueError: value too deeply nested for tojson");
  switch (v.type()) {
    case Value::Type::kNone:
      out += "null";
      return;
    case Value::Type::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Type::kInt:
      out += std::to_string(v.as_int());
      return;
    case Value::Type::kFloat: {
      double d = v.as_float();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        out += float_repr(d);
      return;
    }
    case Value::Type::kString:
      json_string(v.str(), o.ensure_ascii, out);
      return;
    case Value::Type::kList: {
      if (!is_sequence_kind(v.list()->kind)) break;
      const auto& items = v.list()->items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += o.item_sep;
        newline(o, depth + 1, out);
        dump(items[i], o, depth + 1, out);
      }
      newline(o, depth, out);
      out += ']';
      return;
    }
    case Value::Type::kDict: {
      if (v.dict()->is_namespace) break;
      std::vector<std::pair<std::string, const Value*>> entries;
      for (const auto& [k, val] : v.dict()->entries) entries.emplace_back(json_key(k), &val);
      if (o.sort_keys)
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
      if (entries.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i) out += o.item_sep;
        newline(o, depth + 1, out);
        json_string(entries[i].first, o.ensure_ascii, out);
        out += o.key_sep;
        dump(*entries[i].second, o, depth + 1, out);
      }
      newline(o, depth, out);
      out += '}';
      return;
    }
    default:
      break;
  }
  throw TemplateError("TypeError: Object of type " + type_name(v) + " is not JSON serializable");
}

}  // namespace

std::string to_json(const Value& v, const JsonOptions& options) {
  std::string out;
  dump(v, options, 0, out);
  return out;
}

}  // namespace hearth::tmpl
