// Filters (`x | name(args)`), as jinja2 defines them, with Hugging Face's tojson.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "template/interpreter.h"
#include "template/strings.h"

namespace hearth::tmpl {
namespace {

using FilterFn = Value (*)(Interpreter&, const Value&, CallArgs&);

// attribute="a.b.0": jinja2's make_attrgetter (dots walk, integer parts index).
Value attr_path(const Value& v, const Value& attribute) {
  if (!attribute.is_string()) return get_item(v, attribute);
  Value cur = v;
  std::string path = attribute.str();
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                               [](unsigned char c) { return std::isdigit(c); });
    cur = digits ? get_item(cur, Value(static_cast<int64_t>(std::stoll(part))))
                 : get_item(cur, Value(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

std::string need_str(const Value& v) {
  if (v.is_undefined()) return "";
  return to_str(v);
}

Value gen(std::vector<Value> items) {
  return Value(make_list(std::move(items), ListKind::kGenerator));
}

Value f_length(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_string()) return Value(static_cast<int64_t>(utf8_length(v.str())));
  if (v.is_list() && v.list()->kind != ListKind::kGenerator)
    return Value(static_cast<int64_t>(v.list()->items.size()));
  if (v.is_dict() && !v.dict()->is_namespace) return Value(static_cast<int64_t>(v.dict()->size()));
  if (v.is_undefined()) return Value(0);
  throw TemplateError("TypeError: object of type '" + type_name(v) + "' has no len()");
}

Value f_tojson(Interpreter&, const Value& v, CallArgs& a) {
  JsonOptions o;
  Value indent = a.get("indent", 0, Value(None{}));
  if (indent.is_int())
    o.indent = static_cast<int>(std::clamp<int64_t>(indent.as_int(), 0, 64));
  else if (!indent.is_none() && !indent.is_undefined())
    throw TemplateError("TypeError: tojson indent must be an integer");
  if (o.indent >= 0) o.item_sep = ",";
  o.ensure_ascii = truthy(a.get("ensure_ascii", 1, Value(false)));
  Value seps = a.get("separators", 2, Value(None{}));
  if (seps.is_list() && seps.list()->items.size() == 2) {
    o.item_sep = to_str(seps.list()->items[0]);
    o.key_sep = to_str(seps.list()->items[1]);
  }
  o.sort_keys = truthy(a.get("sort_keys", 3, Value(false)));
  return Value(to_json(v, o));
}

Value f_default(Interpreter&, const Value& v, CallArgs& a) {
  Value def = a.get("default_value", 0, Value(""));
  bool boolean = truthy(a.get("boolean", 1, Value(false)));
  if (v.is_undefined() || (boolean && !truthy(v))) return def;
  return v;
}

Value f_join(Interpreter&, const Value& v, CallArgs& a) {
  std::string sep = need_str(a.get("d", 0, Value("")));
  Value attribute = a.get("attribute", 1, Value(None{}));
  std::string out;
  bool first = true;
  for (const auto& item : iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += to_str(attribute.is_none() ? item : attr_path(item, attribute));
  }
  return Value(out);
}

Value f_first(Interpreter&, const Value& v, CallArgs&) {
  auto items = iterate(v);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value f_last(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_list() && v.list()->kind == ListKind::kGenerator)
    throw TemplateError("TypeError: 'generator' object is not reversible");
  auto items = iterate(v);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value f_items(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_undefined()) return gen({});
  if (!v.is_dict()) throw TemplateError("TypeError: Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.dict()->entries)
    out.emplace_back(make_list({k, val}, ListKind::kTuple));
  return gen(std::move(out));
}

Value f_list(Interpreter&, const Value& v, CallArgs&) {
  return Value(make_list(iterate(v)));
}

// map(attribute='x', default=...) or map('filter', args...)
Value f_map(Interpreter& in, const Value& v, CallArgs& a) {
  std::vector<Value> out;
  if (a.has("attribute", 99)) {
    Value attribute = a.get("attribute", 99);
    Value def = a.get("default", 99);
    for (const auto& item : iterate(v)) {
      Value x = attr_path(item, attribute);
      out.push_back(x.is_undefined() && !def.is_undefined() ? def : x);
    }
    return gen(std::move(out));
  }
  if (a.args.empty()) throw TemplateError("FilterArgumentError: map requires a filter argument");
  std::string name = to_str(a.args[0]);
  CallArgs rest;
  rest.args.assign(a.args.begin() + 1, a.args.end());
  rest.kwargs = a.kwargs;
  for (const auto& item : iterate(v)) out.push_back(in.apply_filter(name, item, rest));
  return gen(std::move(out));
}

Value select_impl(Interpreter& in, const Value& v, CallArgs& a, bool by_attr, bool keep) {
  size_t first = by_attr ? 1 : 0;
  if (by_attr && a.args.empty()) throw TemplateError("TypeError: missing attribute argument");
  std::vector<Value> out;
  CallArgs rest;
  if (a.args.size() > first + 1)
    rest.args.assign(a.args.begin() + static_cast<std::ptrdiff_t>(first + 1), a.args.end());
  rest.kwargs = a.kwargs;
  for (const auto& item : iterate(v)) {
    Value x = by_attr ? attr_path(item, a.args[0]) : item;
    bool ok = a.args.size() > first ? in.apply_test(to_str(a.args[first]), x, rest) : truthy(x);
    if (ok == keep) out.push_back(item);
  }
  return gen(std::move(out));
}

Value f_select(Interpreter& in, const Value& v, CallArgs& a) {
  return select_impl(in, v, a, false, true);
}
Value f_reject(Interpreter& in, const Value& v, CallArgs& a) {
  return select_impl(in, v, a, false, false);
}
Value f_selectattr(Interpreter& in, const Value& v, CallArgs& a) {
  return select_impl(in, v, a, true, true);
}
Value f_rejectattr(Interpreter& in, const Value& v, CallArgs& a) {
  return select_impl(in, v, a, true, false);
}

Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(py_lower(v.str()));
  return v;
}

Value f_sort(Interpreter&, const Value& v, CallArgs& a) {
  bool reverse = truthy(a.get("reverse", 0, Value(false)));
  bool cs = truthy(a.get("case_sensitive", 1, Value(false)));
  Value attribute = a.get("attribute", 2, Value(None{}));
  std::vector<Value> items = iterate(v);
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& item : items)
    keyed.emplace_back(sort_key(attribute.is_none() ? item : attr_path(item, attribute), cs), item);
  std::stable_sort(keyed.begin(), keyed.end(), [reverse](const auto& x, const auto& y) {
    return reverse ? compare(y.first, x.first, "<") < 0 : compare(x.first, y.first, "<") < 0;
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(kv.second);
  return Value(make_list(std::move(out)));
}

Value f_dictsort(Interpreter&, const Value& v, CallArgs& a) {
  if (!v.is_dict()) throw TemplateError("TypeError: dictsort expects a mapping");
  bool cs = truthy(a.get("case_sensitive", 0, Value(false)));
  std::string by = need_str(a.get("by", 1, Value("key")));
  bool reverse = truthy(a.get("reverse", 2, Value(false)));
  if (by != "key" && by != "value")
    throw TemplateError("FilterArgumentError: You can only sort by either \"key\" or \"value\"");
  std::vector<std::pair<Value, Value>> entries = v.dict()->entries;
  size_t pos = by == "key" ? 0 : 1;
  std::stable_sort(entries.begin(), entries.end(), [&](const auto& x, const auto& y) {
    Value kx = sort_key(pos ? x.second : x.first, cs), ky = sort_key(pos ? y.second : y.first, cs);
    return reverse ? compare(ky, kx, "<") < 0 : compare(kx, ky, "<") < 0;
  });
  std::vector<Value> out;
  for (auto& [k, val] : entries) out.emplace_back(make_list({k, val}, ListKind::kTuple));
  return Value(make_list(std::move(out)));
}

Value f_unique(Interpreter&, const Value& v, CallArgs& a) {
  bool cs = truthy(a.get("case_sensitive", 0, Value(false)));
  Value attribute = a.get("attribute", 1, Value(None{}));
  std::vector<Value> seen, out;
  for (const auto& item : iterate(v)) {
    Value key = sort_key(attribute.is_none() ? item : attr_path(item, attribute), cs);
    bool dup = false;
    for (const auto& s : seen) dup = dup || equals(s, key);
    if (dup) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return gen(std::move(out));
}

Value f_reverse(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_string()) {
    auto chars = utf8_chars(v.str());
    std::string s;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) s += *it;
    return Value(s);
  }
  auto items = iterate(v);
  std::reverse(items.begin(), items.end());
  return gen(std::move(items));
}

Value f_string(Interpreter&, const Value& v, CallArgs&) {
  return Value(to_str(v));
}

Value f_int(Interpreter&, const Value& v, CallArgs& a) {
  Value def = a.get("default", 0, Value(0));
  if (v.is_int()) return v;
  if (v.is_bool()) return Value(static_cast<int64_t>(v.as_bool()));
  if (v.is_float()) {
    if (!std::isfinite(v.as_float())) return def;
    return Value(static_cast<int64_t>(std::trunc(v.as_float())));
  }
  if (v.is_string()) {
    auto n = parse_python_int(v.str());
    if (n) return Value(*n);
    auto f = parse_python_float(v.str());
    if (f && std::isfinite(*f)) return Value(static_cast<int64_t>(std::trunc(*f)));
  }
  return def;
}

Value f_float(Interpreter&, const Value& v, CallArgs& a) {
  Value def = a.get("default", 0, Value(0.0));
  if (v.is_number()) return Value(v.number());
  if (v.is_string()) {
    auto f = parse_python_float(v.str());
    if (f) return Value(*f);
  }
  return def;
}

Value f_round(Interpreter&, const Value& v, CallArgs& a) {
  int64_t precision =
      a.get("precision", 0, Value(0)).is_int() ? a.get("precision", 0, Value(0)).as_int() : 0;
  std::string method = need_str(a.get("method", 1, Value("common")));
  if (!v.is_number()) throw TemplateError("TypeError: round expects a number, got " + type_name(v));
  if (method == "common" && !v.is_float()) return Value(static_cast<int64_t>(v.number()));
  if (method == "common" && precision >= 0 && precision <= 300 && std::isfinite(v.number())) {
    // Python rounds the exact binary value half to even, as printf does.
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), v.number());
    return Value(std::strtod(buf, nullptr));
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double x = v.number() * scale;
  double r;
  if (method == "common")
    r = std::nearbyint(x);  // Python round(): half to even
  else if (method == "ceil")
    r = std::ceil(x);
  else if (method == "floor")
    r = std::floor(x);
  else
    throw TemplateError("FilterArgumentError: method must be common, ceil or floor");
  return Value(r / scale);
}

Value f_abs(Interpreter& in, const Value& v, CallArgs&) {
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_number()) {
    int64_t i = v.is_bool() ? v.as_bool() : v.as_int();
    return i < 0 ? binary_op("-", Value(0), Value(i), in.limits()) : Value(i);
  }
  throw TemplateError("TypeError: bad operand type for abs(): '" + type_name(v) + "'");
}

Value f_indent(Interpreter&, const Value& v, CallArgs& a) {
  Value width = a.get("width", 0, Value(4));
  std::string pad = width.is_string()
                        ? width.str()
                        : std::string(static_cast<size_t>(std::clamp<int64_t>(
                                          width.is_int() ? width.as_int() : 4, 0, 1024)),
                                      ' ');
  bool first = truthy(a.get("first", 1, Value(false)));
  bool blank = truthy(a.get("blank", 2, Value(false)));
  std::vector<std::string> lines = split_lines(to_str(v) + "\n");
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\n";
    if (i > 0 && (blank || !lines[i].empty())) out += pad;
    out += lines[i];
  }
  if (first) out = pad + out;
  return Value(out);
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs&) {
  int64_t n = 0;
  bool in_word = false;
  for (unsigned char c : to_str(v)) {
    bool w = std::isalnum(c) || c == '_' || c >= 0x80;
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value(n);
}

Value f_batch(Interpreter&, const Value& v, CallArgs& a) {
  Value size = a.get("linecount", 0);
  if (!size.is_int() || size.as_int() <= 0)
    throw TemplateError("ValueError: batch size must be positive");
  Value fill = a.get("fill_with", 1, Value(None{}));
  std::vector<Value> out, cur;
  for (const auto& item : iterate(v)) {
    cur.push_back(item);
    if (static_cast<int64_t>(cur.size()) == size.as_int())
      out.emplace_back(make_list(std::move(cur))), cur.clear();
  }
  if (!cur.empty()) {
    if (!fill.is_none())
      while (static_cast<int64_t>(cur.size()) < size.as_int()) cur.push_back(fill);
    out.emplace_back(make_list(std::move(cur)));
  }
  return gen(std::move(out));
}

Value minmax(const Value& v, CallArgs& a, bool want_max) {
  bool cs = truthy(a.get("case_sensitive", 0, Value(false)));
  Value attribute = a.get("attribute", 1, Value(None{}));
  auto items = iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    Value x = sort_key(attribute.is_none() ? items[i] : attr_path(items[i], attribute), cs);
    Value y = sort_key(attribute.is_none() ? items[best] : attr_path(items[best], attribute), cs);
    int c = compare(x, y, "<");
    if (want_max ? c > 0 : c < 0) best = i;
  }
  return items[best];
}

Value f_sum(Interpreter& in, const Value& v, CallArgs& a) {
  Value attribute = a.get("attribute", 0, Value(None{}));
  Value total = a.get("start", 1, Value(0));
  for (const auto& item : iterate(v))
    total =
        binary_op("+", total, attribute.is_none() ? item : attr_path(item, attribute), in.limits());
  return total;
}

const std::unordered_map<std::string, FilterFn>& filters() {
  static const std::unordered_map<std::string, FilterFn> kFilters = {
      {"length", f_length},
      {"count", f_length},
      {"tojson", f_tojson},
      {"default", f_default},
      {"d", f_default},
      {"join", f_join},
      {"first", f_first},
      {"last", f_last},
      {"items", f_items},
      {"list", f_list},
      {"map", f_map},
      {"select", f_select},
      {"reject", f_reject},
      {"selectattr", f_selectattr},
      {"rejectattr", f_rejectattr},
      {"sort", f_sort},
      {"dictsort", f_dictsort},
      {"unique", f_unique},
      {"reverse", f_reverse},
      {"string", f_string},
      {"int", f_int},
      {"float", f_float},
      {"round", f_round},
      {"abs", f_abs},
      {"indent", f_indent},
      {"wordcount", f_wordcount},
      {"batch", f_batch},
      {"sum", f_sum},
      {"min", [](Interpreter&, const Value& v, CallArgs& a) { return minmax(v, a, false); }},
      {"max", [](Interpreter&, const Value& v, CallArgs& a) { return minmax(v, a, true); }},
      {"safe", [](Interpreter&, const Value& v, CallArgs&) { return v; }},
      {"e", [](Interpreter&, const Value& v, CallArgs&) { return Value(html_escape(to_str(v))); }},
      {"escape",
       [](Interpreter&, const Value& v, CallArgs&) { return Value(html_escape(to_str(v))); }},
      {"attr", [](Interpreter&, const Value& v,
                  CallArgs& a) { return get_attr(v, need_str(a.get("name", 0))); }},
      {"upper",
       [](Interpreter&, const Value& v, CallArgs&) { return Value(py_upper(need_str(v))); }},
      {"lower",
       [](Interpreter&, const Value& v, CallArgs&) { return Value(py_lower(need_str(v))); }},
      {"capitalize",
       [](Interpreter&, const Value& v, CallArgs&) { return Value(py_capitalize(need_str(v))); }},
      {"title",
       [](Interpreter&, const Value& v, CallArgs&) { return Value(jinja_title(need_str(v))); }},
      {"trim",
       [](Interpreter&, const Value& v, CallArgs& a) {
         Value chars = a.get("chars", 0, Value(None{}));
         return Value(py_strip(need_str(v), chars, true, true));
       }},
      {"replace",
       [](Interpreter&, const Value& v, CallArgs& a) {
         Value count = a.get("count", 2, Value(None{}));
         return Value(py_replace(need_str(v), need_str(a.get("old", 0)), need_str(a.get("new", 1)),
                                 count.is_int() ? count.as_int() : -1));
       }},
      {"format",
       [](Interpreter&, const Value& v, CallArgs& a) {
         Value args = a.args.size() == 1 ? a.args[0] : Value(make_list(a.args, ListKind::kTuple));
         return Value(percent_format(need_str(v), args));
       }},
  };
  return kFilters;
}

}  // namespace

Value Interpreter::apply_filter(const std::string& name, const Value& input, CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end())
    throw TemplateError("TemplateAssertionError: No filter named '" + name + "'.");
  // Filters that stringify their input treat undefined as ""; the rest see it as is.
  return it->second(*this, input, args);
}

}  // namespace hearth::tmpl
