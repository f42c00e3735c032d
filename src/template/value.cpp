// Value basics: Python-style printing, equality, ordering, dicts and JSON conversion.
#include "template/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace hearth::tmpl {

double Value::number() const {
  if (is_bool()) return as_bool() ? 1.0 : 0.0;
  if (is_int()) return static_cast<double>(as_int());
  return as_float();
}

namespace {

// Bounds the recursion of repr / equals / compare, which could otherwise follow a namespace that
// contains itself forever.
struct RecursionGuard {
  RecursionGuard() {
    if (++depth() > kMaxNesting + 8)
      throw TemplateError("TemplateRuntimeError: value nested too deeply (or contains itself)");
  }
  ~RecursionGuard() { --depth(); }
  static int& depth() {
    thread_local int d = 0;
    return d;
  }
};

// Dict index key: values Python considers equal (1, 1.0, True) share a key.
std::string key_of(const Value& v) {
  if (v.is_string()) return "s" + v.str();
  if (v.is_number()) {
    double d = v.number();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e18)
      return "n" + std::to_string(static_cast<int64_t>(d));
    return "f" + float_repr(d);
  }
  if (v.is_none()) return "N";
  return "r" + repr(v);
}

}  // namespace

const Value* DictObj::find(const Value& key) const {
  auto it = index_.find(key_of(key));
  return it == index_.end() ? nullptr : &entries[it->second].second;
}

int nesting(const Value& v) {
  if (v.is_list()) return v.list()->depth;
  if (v.is_dict()) return v.dict()->depth;
  return 0;
}

namespace {
int checked_depth(int child) {
  if (child + 1 > kMaxNesting)
    throw TemplateError("TemplateRuntimeError: value nested deeper than " +
                        std::to_string(kMaxNesting) + " levels");
  return child + 1;
}
}  // namespace

void DictObj::set(const Value& key, Value value) {
  depth = std::max(depth, checked_depth(std::max(nesting(key), nesting(value))));
  std::string k = key_of(key);
  auto it = index_.find(k);
  if (it != index_.end()) {
    entries[it->second].second = std::move(value);
    return;
  }
  index_[k] = entries.size();
  entries.emplace_back(key, std::move(value));
}

bool DictObj::erase(const Value& key) {
  auto it = index_.find(key_of(key));
  if (it == index_.end()) return false;
  entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < entries.size(); ++i) index_[key_of(entries[i].first)] = i;
  return true;
}

Value CallArgs::get(const std::string& name, size_t pos, Value fallback) const {
  for (const auto& [k, v] : kwargs)
    if (k == name) return v;
  if (pos < args.size()) return args[pos];
  return fallback;
}

bool CallArgs::has(const std::string& name, size_t pos) const {
  for (const auto& kv : kwargs)
    if (kv.first == name) return true;
  return pos < args.size();
}

ListPtr make_list(std::vector<Value> items, ListKind kind) {
  auto l = std::make_shared<ListObj>();
  l->items = std::move(items);
  int child = 0;
  for (const auto& item : l->items) child = std::max(child, nesting(item));
  l->depth = checked_depth(child);
  l->kind = kind;
  return l;
}

DictPtr make_dict() {
  return std::make_shared<DictObj>();
}

Value make_function(std::string name, std::function<Value(Interpreter&, CallArgs&)> fn) {
  auto f = std::make_shared<FunctionObj>();
  f->name = std::move(name);
  f->call = std::move(fn);
  return Value(f);
}

std::string type_name(const Value& v) {
  switch (v.type()) {
    case Value::Type::kUndefined:
      return "Undefined";
    case Value::Type::kNone:
      return "NoneType";
    case Value::Type::kBool:
      return "bool";
    case Value::Type::kInt:
      return "int";
    case Value::Type::kFloat:
      return "float";
    case Value::Type::kString:
      return "str";
    case Value::Type::kList:
      switch (v.list()->kind) {
        case ListKind::kTuple:
          return "tuple";
        case ListKind::kGenerator:
          return "generator";
        case ListKind::kItems:
          return "dict_items";
        case ListKind::kKeys:
          return "dict_keys";
        case ListKind::kValues:
          return "dict_values";
        default:
          return "list";
      }
    case Value::Type::kDict:
      return v.dict()->is_namespace ? "Namespace" : "dict";
    case Value::Type::kFunction:
      return "function";
  }
  return "object";
}

bool truthy(const Value& v) {
  switch (v.type()) {
    case Value::Type::kUndefined:
    case Value::Type::kNone:
      return false;
    case Value::Type::kBool:
      return v.as_bool();
    case Value::Type::kInt:
      return v.as_int() != 0;
    case Value::Type::kFloat:
      return v.as_float() != 0.0;
    case Value::Type::kString:
      return !v.str().empty();
    case Value::Type::kList:
      return v.list()->kind == ListKind::kGenerator || !v.list()->items.empty();
    case Value::Type::kDict:
      return v.dict()->is_namespace || v.dict()->size() > 0;
    case Value::Type::kFunction:
      return true;
  }
  return false;
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  int prec = 1;
  for (; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  // buf: [-]D.DDDDe[+-]XX -> digits and exponent
  std::string s(buf);
  bool neg = s[0] == '-';
  if (neg) s.erase(0, 1);
  size_t e = s.find('e');
  int exp = std::atoi(s.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (s[i] != '.') digits += s[i];
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exp >= -5 + 1 && exp < 16) {
    if (exp < 0) {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exp + 1) {
      out = digits + std::string(static_cast<size_t>(exp + 1) - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." +
            digits.substr(static_cast<size_t>(exp) + 1);
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  }
  return neg ? "-" + out : out;
}

namespace {

std::string repr_string(const std::string& s) {
  char quote = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == static_cast<unsigned char>(quote))
      out += std::string("\\") + quote;
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + quote;
}

}  // namespace

std::string repr(const Value& v) {
  RecursionGuard guard;
  switch (v.type()) {
    case Value::Type::kString:
      return repr_string(v.str());
    case Value::Type::kList: {
      const auto& l = *v.list();
      if (l.kind == ListKind::kGenerator) return "<generator object>";
      if (!is_sequence_kind(l.kind)) {
        auto plain = std::make_shared<ListObj>();
        plain->items = l.items;
        return type_name(v) + "(" + repr(Value(plain)) + ")";
      }
      std::string out = l.kind == ListKind::kTuple ? "(" : "[";
      for (size_t i = 0; i < l.items.size(); ++i) {
        if (i) out += ", ";
        out += repr(l.items[i]);
      }
      if (l.kind == ListKind::kTuple && l.items.size() == 1) out += ",";
      return out + (l.kind == ListKind::kTuple ? ")" : "]");
    }
    case Value::Type::kDict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, val] : v.dict()->entries) {
        if (!first) out += ", ";
        first = false;
        out += repr(k) + ": " + repr(val);
      }
      out += "}";
      return v.dict()->is_namespace ? "<Namespace " + out + ">" : out;
    }
    default:
      return to_str(v);
  }
}

std::string to_str(const Value& v) {
  switch (v.type()) {
    case Value::Type::kUndefined:
      return "";
    case Value::Type::kNone:
      return "None";
    case Value::Type::kBool:
      return v.as_bool() ? "True" : "False";
    case Value::Type::kInt:
      return std::to_string(v.as_int());
    case Value::Type::kFloat:
      return float_repr(v.as_float());
    case Value::Type::kString:
      return v.str();
    case Value::Type::kFunction:
      return "<function " + v.function()->name + ">";
    default:
      return repr(v);
  }
}

bool equals(const Value& a, const Value& b) {
  RecursionGuard guard;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.number() == b.number();
    return (a.is_bool() ? a.as_bool() : a.as_int()) == (b.is_bool() ? b.as_bool() : b.as_int());
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::kUndefined:
    case Value::Type::kNone:
      return true;
    case Value::Type::kString:
      return a.str() == b.str();
    case Value::Type::kList: {
      const auto& x = a.list()->items;
      const auto& y = b.list()->items;
      if ((a.list()->kind == ListKind::kTuple) != (b.list()->kind == ListKind::kTuple))
        return false;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!equals(x[i], y[i])) return false;
      return true;
    }
    case Value::Type::kDict: {
      if (a.dict() == b.dict()) return true;
      if (a.dict()->size() != b.dict()->size()) return false;
      for (const auto& [k, val] : a.dict()->entries) {
        const Value* other = b.dict()->find(k);
        if (!other || !equals(val, *other)) return false;
      }
      return true;
    }
    case Value::Type::kFunction:
      return a.function() == b.function();
    default:
      return false;
  }
}

int compare(const Value& a, const Value& b, const char* op) {
  RecursionGuard guard;
  if (a.is_number() && b.is_number()) {
    double x = a.number(), y = b.number();
    if (!a.is_float() && !b.is_float()) {
      int64_t i = a.is_bool() ? a.as_bool() : a.as_int();
      int64_t j = b.is_bool() ? b.as_bool() : b.as_int();
      return i < j ? -1 : (i > j ? 1 : 0);
    }
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && a.list()->kind == b.list()->kind) {
    const auto& x = a.list()->items;
    const auto& y = b.list()->items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (equals(x[i], y[i])) continue;
      return compare(x[i], y[i], op);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  throw TemplateError(std::string("TypeError: '") + op + "' not supported between instances of '" +
                      type_name(a) + "' and '" + type_name(b) + "'");
}

namespace {

Value from_json_at(const nlohmann::ordered_json& j, int depth);

}  // namespace

Value from_json(const nlohmann::ordered_json& j) {
  return from_json_at(j, 0);
}

namespace {

Value from_json_at(const nlohmann::ordered_json& j, int depth) {
  if (depth > kMaxNesting)
    throw TemplateError("TemplateRuntimeError: context value nested deeper than " +
                        std::to_string(kMaxNesting) + " levels");
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value(None{});
    case nlohmann::ordered_json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned:
      return Value(static_cast<int64_t>(j.get<uint64_t>()));
    case nlohmann::ordered_json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      for (const auto& e : j) items.push_back(from_json_at(e, depth + 1));
      return Value(make_list(std::move(items)));
    }
    case nlohmann::ordered_json::value_t::object: {
      auto d = make_dict();
      for (auto it = j.begin(); it != j.end(); ++it)
        d->set(Value(it.key()), from_json_at(it.value(), depth + 1));
      return Value(d);
    }
    default:
      return Value(None{});
  }
}

}  // namespace

}  // namespace hearth::tmpl
