// Methods of str, dict and list values (`s.strip()`, `d.get(k)`), under jinja2's immutable
// sandbox: methods that would modify a list or dict raise a SecurityError.
#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "template/interpreter.h"
#include "template/strings.h"

namespace hearth::tmpl {
namespace {

using Method = Value (*)(const Value& self, CallArgs& a);

std::string arg_str(const CallArgs& a, const char* name, size_t pos) {
  Value v = a.get(name, pos);
  if (v.is_undefined())
    throw TemplateError(std::string("TypeError: missing argument '") + name + "'");
  if (!v.is_string()) throw TemplateError("TypeError: must be str, not " + type_name(v));
  return v.str();
}

int64_t arg_int(const CallArgs& a, const char* name, size_t pos, int64_t def) {
  Value v = a.get(name, pos, Value(def));
  if (v.is_none()) return def;
  if (!v.is_int())
    throw TemplateError("TypeError: '" + type_name(v) +
                        "' object cannot be interpreted as an integer");
  return v.as_int();
}

Value str_list(const std::vector<std::string>& parts) {
  std::vector<Value> items;
  for (const auto& p : parts) items.emplace_back(p);
  return Value(make_list(std::move(items)));
}

bool affix(const Value& self, const CallArgs& a, bool prefix) {
  Value what = a.get("prefix", 0);
  std::vector<Value> options = what.is_list() && what.list()->kind == ListKind::kTuple
                                   ? what.list()->items
                                   : std::vector<Value>{what};
  const std::string& s = self.str();
  for (const auto& o : options) {
    if (!o.is_string())
      throw TemplateError("TypeError: startswith/endswith first arg must be str or a tuple of str");
    const std::string& x = o.str();
    if (x.size() <= s.size() && (prefix ? s.compare(0, x.size(), x) == 0
                                        : s.compare(s.size() - x.size(), x.size(), x) == 0))
      return true;
  }
  return false;
}

int64_t cp_index(const std::string& s, size_t byte) {
  return static_cast<int64_t>(utf8_length(s.substr(0, byte)));
}

Value str_count(const Value& s, CallArgs& a) {
  std::string sub = arg_str(a, "sub", 0);
  if (sub.empty()) return Value(static_cast<int64_t>(utf8_length(s.str()) + 1));
  int64_t n = 0;
  for (size_t p = s.str().find(sub); p != std::string::npos; p = s.str().find(sub, p + sub.size()))
    ++n;
  return Value(n);
}

Value str_join(const Value& s, CallArgs& a) {
  std::string out;
  bool first = true;
  for (const auto& item : iterate(a.get("iterable", 0))) {
    if (!item.is_string())
      throw TemplateError("TypeError: sequence item: expected str instance, " + type_name(item) +
                          " found");
    if (!first) out += s.str();
    first = false;
    out += item.str();
  }
  return Value(out);
}

bool all_chars(const std::string& s, int (*pred)(int)) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!pred(c)) return false;
  return true;
}

Value str_removeprefix(const Value& s, CallArgs& a) {
  std::string p = arg_str(a, "prefix", 0);
  return Value(s.str().compare(0, p.size(), p) == 0 ? s.str().substr(p.size()) : s.str());
}

Value str_removesuffix(const Value& s, CallArgs& a) {
  std::string p = arg_str(a, "suffix", 0);
  const std::string& t = s.str();
  bool ends =
      !p.empty() && p.size() <= t.size() && t.compare(t.size() - p.size(), p.size(), p) == 0;
  return Value(ends ? t.substr(0, t.size() - p.size()) : t);
}

const std::unordered_map<std::string, Method>& str_methods() {
  static const std::unordered_map<std::string, Method> k = {
      {"strip",
       [](const Value& s, CallArgs& a) {
         return Value(py_strip(s.str(), a.get("chars", 0), true, true));
       }},
      {"lstrip",
       [](const Value& s, CallArgs& a) {
         return Value(py_strip(s.str(), a.get("chars", 0), true, false));
       }},
      {"rstrip",
       [](const Value& s, CallArgs& a) {
         return Value(py_strip(s.str(), a.get("chars", 0), false, true));
       }},
      {"split",
       [](const Value& s, CallArgs& a) {
         return str_list(py_split(s.str(), a.get("sep", 0), arg_int(a, "maxsplit", 1, -1)));
       }},
      {"splitlines", [](const Value& s, CallArgs&) { return str_list(split_lines(s.str())); }},
      {"startswith", [](const Value& s, CallArgs& a) { return Value(affix(s, a, true)); }},
      {"endswith", [](const Value& s, CallArgs& a) { return Value(affix(s, a, false)); }},
      {"replace",
       [](const Value& s, CallArgs& a) {
         return Value(py_replace(s.str(), arg_str(a, "old", 0), arg_str(a, "new", 1),
                                 arg_int(a, "count", 2, -1)));
       }},
      {"upper", [](const Value& s, CallArgs&) { return Value(py_upper(s.str())); }},
      {"lower", [](const Value& s, CallArgs&) { return Value(py_lower(s.str())); }},
      {"title", [](const Value& s, CallArgs&) { return Value(py_title(s.str())); }},
      {"capitalize", [](const Value& s, CallArgs&) { return Value(py_capitalize(s.str())); }},
      {"format", [](const Value& s, CallArgs& a) { return Value(str_format(s.str(), a)); }},
      {"find",
       [](const Value& s, CallArgs& a) {
         size_t p = s.str().find(arg_str(a, "sub", 0));
         return Value(p == std::string::npos ? int64_t{-1} : cp_index(s.str(), p));
       }},
      {"rfind",
       [](const Value& s, CallArgs& a) {
         size_t p = s.str().rfind(arg_str(a, "sub", 0));
         return Value(p == std::string::npos ? int64_t{-1} : cp_index(s.str(), p));
       }},
      {"count", str_count},
      {"join", str_join},
      {"isdigit", [](const Value& s, CallArgs&) { return Value(all_chars(s.str(), ::isdigit)); }},
      {"isalpha", [](const Value& s, CallArgs&) { return Value(all_chars(s.str(), ::isalpha)); }},
      {"isspace", [](const Value& s, CallArgs&) { return Value(all_chars(s.str(), ::isspace)); }},
      {"removeprefix", str_removeprefix},
      {"removesuffix", str_removesuffix},
  };
  return k;
}

const std::unordered_map<std::string, Method>& dict_methods() {
  static const std::unordered_map<std::string, Method> k = {
      {"items",
       [](const Value& d, CallArgs&) {
         std::vector<Value> out;
         for (const auto& [key, v] : d.dict()->entries)
           out.emplace_back(make_list({key, v}, ListKind::kTuple));
         return Value(make_list(std::move(out), ListKind::kItems));
       }},
      {"keys",
       [](const Value& d, CallArgs&) {
         std::vector<Value> out;
         for (const auto& kv : d.dict()->entries) out.push_back(kv.first);
         return Value(make_list(std::move(out), ListKind::kKeys));
       }},
      {"values",
       [](const Value& d, CallArgs&) {
         std::vector<Value> out;
         for (const auto& kv : d.dict()->entries) out.push_back(kv.second);
         return Value(make_list(std::move(out), ListKind::kValues));
       }},
      {"get",
       [](const Value& d, CallArgs& a) {
         const Value* v = d.dict()->find(a.get("key", 0));
         return v ? *v : a.get("default", 1, Value(None{}));
       }},
      {"copy",
       [](const Value& d, CallArgs&) {
         auto c = make_dict();
         for (const auto& [key, v] : d.dict()->entries) c->set(key, v);
         return Value(c);
       }},
  };
  return k;
}

const std::unordered_map<std::string, Method>& list_methods() {
  static const std::unordered_map<std::string, Method> k = {
      {"index",
       [](const Value& l, CallArgs& a) {
         Value x = a.get("value", 0);
         const auto& items = l.list()->items;
         for (size_t i = 0; i < items.size(); ++i)
           if (equals(items[i], x)) return Value(static_cast<int64_t>(i));
         throw TemplateError("ValueError: " + repr(x) + " is not in list");
       }},
      {"count",
       [](const Value& l, CallArgs& a) {
         Value x = a.get("value", 0);
         int64_t n = 0;
         for (const auto& item : l.list()->items) n += equals(item, x);
         return Value(n);
       }},
  };
  return k;
}

const std::unordered_set<std::string>& unsafe_methods(bool dict) {
  static const std::unordered_set<std::string> kList = {"append", "extend", "insert", "pop",
                                                        "remove", "clear",  "sort",   "reverse"};
  static const std::unordered_set<std::string> kDict = {"pop", "popitem", "update", "setdefault",
                                                        "clear"};
  return dict ? kDict : kList;
}

Value bind(const Value& self, const std::string& name, Method m) {
  return make_function(name, [self, m](Interpreter&, CallArgs& a) { return m(self, a); });
}

}  // namespace

Value get_method(const Value& obj, const std::string& name) {
  const std::unordered_map<std::string, Method>* table = nullptr;
  if (obj.is_string())
    table = &str_methods();
  else if (obj.is_dict() && !obj.dict()->is_namespace)
    table = &dict_methods();
  else if (obj.is_list() && is_sequence_kind(obj.list()->kind))
    table = &list_methods();
  else
    return Value::undefined("'" + type_name(obj) + " object' has no attribute '" + name + "'");
  auto it = table->find(name);
  if (it != table->end()) return bind(obj, name, it->second);
  if (!obj.is_string() && unsafe_methods(obj.is_dict()).count(name)) {
    std::string msg = "SecurityError: access to attribute '" + name + "' of '" + type_name(obj) +
                      "' object is unsafe.";
    return make_function(name,
                         [msg](Interpreter&, CallArgs&) -> Value { throw TemplateError(msg); });
  }
  return Value::undefined("'" + type_name(obj) + " object' has no attribute '" + name + "'");
}

}  // namespace hearth::tmpl
