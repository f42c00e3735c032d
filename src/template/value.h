// Values of the chat-template interpreter: the Python objects a Jinja template sees.
// Lists and dicts have reference semantics (shared), dicts keep insertion order like Python's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace hearth::tmpl {

// A template error; line/col (1-based) are filled by the innermost node that saw it.
class TemplateError : public std::runtime_error {
 public:
  explicit TemplateError(const std::string& message, int line = 0, int col = 0)
      : std::runtime_error(message), line(line), col(col) {}
  int line;
  int col;
};

class Value;
struct ListObj;
struct DictObj;
struct FunctionObj;
using ListPtr = std::shared_ptr<ListObj>;
using DictPtr = std::shared_ptr<DictObj>;
using FunctionPtr = std::shared_ptr<FunctionObj>;

struct Undefined {
  std::string hint;  // the error message if used where jinja2 raises: "'x' is undefined"
};
struct None {};

class Value {
 public:
  enum class Type { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kFunction };

  Value() : v_(Undefined{}) {}
  Value(None) : v_(None{}) {}                    // NOLINT
  Value(bool b) : v_(b) {}                       // NOLINT
  Value(int i) : v_(static_cast<int64_t>(i)) {}  // NOLINT
  Value(int64_t i) : v_(i) {}                    // NOLINT
  Value(double d) : v_(d) {}                     // NOLINT
  Value(std::string s) : v_(std::move(s)) {}     // NOLINT
  Value(const char* s) : v_(std::string(s)) {}   // NOLINT
  Value(ListPtr l) : v_(std::move(l)) {}         // NOLINT
  Value(DictPtr d) : v_(std::move(d)) {}         // NOLINT
  Value(FunctionPtr f) : v_(std::move(f)) {}     // NOLINT
  static Value undefined(std::string hint) { return Value(Undefined{std::move(hint)}); }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_undefined() const { return type() == Type::kUndefined; }
  bool is_none() const { return type() == Type::kNone; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_float() const { return type() == Type::kFloat; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return type() == Type::kString; }
  bool is_list() const { return type() == Type::kList; }
  bool is_dict() const { return type() == Type::kDict; }
  bool is_function() const { return type() == Type::kFunction; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  const std::string& str() const { return std::get<std::string>(v_); }
  const ListPtr& list() const { return std::get<ListPtr>(v_); }
  const DictPtr& dict() const { return std::get<DictPtr>(v_); }
  const FunctionPtr& function() const { return std::get<FunctionPtr>(v_); }
  const std::string& undefined_hint() const { return std::get<Undefined>(v_).hint; }
  // Numeric value of a bool/int/float.
  double number() const;

 private:
  explicit Value(Undefined u) : v_(std::move(u)) {}
  std::variant<Undefined, None, bool, int64_t, double, std::string, ListPtr, DictPtr, FunctionPtr>
      v_;
};

// kGenerator: what map/select/reverse/items return (iterable once, no len, not JSON);
// kItems/kKeys/kValues: dict views (len, iteration, but no indexing).
enum class ListKind { kList, kTuple, kGenerator, kItems, kKeys, kValues };
inline bool is_sequence_kind(ListKind k) {
  return k == ListKind::kList || k == ListKind::kTuple;
}

// Containers deeper than this are refused (TemplateError), so printing, comparing and freeing
// values never recurses without bound, even for a namespace that contains itself.
inline constexpr int kMaxNesting = 256;
// 0 for scalars, else 1 + the deepest element (an upper bound for namespaces).
int nesting(const Value& v);

struct ListObj {
  std::vector<Value> items;
  ListKind kind = ListKind::kList;
  int depth = 1;
};

// Insertion-ordered dict; keys are Values (strings almost always). A namespace() is a dict
// whose attributes can be assigned with `{% set ns.x = ... %}`.
struct DictObj {
  bool is_namespace = false;
  int depth = 1;
  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const { return find(Value(key)); }
  void set(const Value& key, Value value);
  bool erase(const Value& key);
  size_t size() const { return entries.size(); }
  void clear() {
    entries.clear();
    index_.clear();
  }
  std::vector<std::pair<Value, Value>> entries;

 private:
  std::unordered_map<std::string, size_t> index_;
};

struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
  // Keyword `name`, else positional `pos`, else `fallback`.
  Value get(const std::string& name, size_t pos, Value fallback = Value()) const;
  bool has(const std::string& name, size_t pos) const;
};

class Interpreter;
struct FunctionObj {
  std::string name;
  std::function<Value(Interpreter&, CallArgs&)> call;
};

ListPtr make_list(std::vector<Value> items = {}, ListKind kind = ListKind::kList);
DictPtr make_dict();
Value make_function(std::string name, std::function<Value(Interpreter&, CallArgs&)> fn);

// Python's type name: 'str', 'int', 'dict', 'list', 'NoneType', ...
std::string type_name(const Value& v);
bool truthy(const Value& v);
// str(v) as Python prints it inside {{ }} (undefined prints as "").
std::string to_str(const Value& v);
// repr(v) as Python prints nested values: 'a', [1, 'b'], {'k': None}.
std::string repr(const Value& v);
// Python float repr: 1.0, 0.1, 1e-05, 1e+16, inf, nan.
std::string float_repr(double d);
// ==, as Python compares (1 == 1.0 == True, deep for lists/dicts).
bool equals(const Value& a, const Value& b);
// <0, 0, >0 for a < b; throws TemplateError for unorderable types (op names the operator).
int compare(const Value& a, const Value& b, const char* op);

Value from_json(const nlohmann::ordered_json& j);
// json.dumps(v, ensure_ascii=false, indent, separators, sort_keys) as Python prints it.
struct JsonOptions {
  int indent = -1;  // -1: no newlines
  std::string item_sep = ", ";
  std::string key_sep = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};
std::string to_json(const Value& v, const JsonOptions& options);

// UTF-8 helpers: strings are indexed by code point like Python's str.
std::vector<std::string> utf8_chars(const std::string& s);
size_t utf8_length(const std::string& s);

}  // namespace hearth::tmpl
