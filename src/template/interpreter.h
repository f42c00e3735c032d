// Tree-walking interpreter: evaluates expressions and runs statements into an output string.
// Semantics follow jinja2's ImmutableSandboxedEnvironment with the default Undefined.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "template/ast.h"
#include "template/value.h"

namespace hearth::tmpl {

struct Limits {
  size_t max_output = 64u << 20;    // bytes of rendered text
  int max_call_depth = 200;         // nested macro / caller calls
  size_t max_range = 1'000'000;     // elements of range(), a * n, ...
  uint64_t max_steps = 50'000'000;  // evaluated nodes and loop iterations
};

struct Scope {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;
  const Value* find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent.get()) {
      auto it = s->vars.find(name);
      if (it != s->vars.end()) return &it->second;
    }
    return nullptr;
  }
};
using ScopePtr = std::shared_ptr<Scope>;

class Interpreter {
 public:
  Interpreter(std::optional<std::tm> now, Limits limits) : now_(now), limits_(limits) {}
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;
  // Namespaces are the only mutable values, so the only way to build a reference cycle; they
  // are emptied when the render ends so that no cycle outlives it.
  void track_namespace(const DictPtr& ns) { namespaces_.push_back(ns); }

  // Renders `body` with `globals` as the outermost scope.
  std::string render(const Body& body, ScopePtr globals);

  Value eval(const Expr& e);
  Value call(const Value& fn, CallArgs& args);
  // Applies filter `name` to `input` (used by map('name'), select('test'), ...).
  Value apply_filter(const std::string& name, const Value& input, CallArgs& args);
  bool apply_test(const std::string& name, const Value& input, CallArgs& args);
  // The time strftime_now formats.
  std::tm now() const;
  const Limits& limits() const { return limits_; }
  void step();

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  Flow exec_body(const Body& body, std::string& out);
  Flow exec(const Stmt& s, std::string& out);
  Flow exec_for(const Stmt& s, std::string& out);
  void exec_set(const Stmt& s, std::string& out);
  void assign(const Expr& target, const Value& value);
  Value make_macro(const Stmt& s, ScopePtr scope, Value caller);
  std::string render_body_in(const Body& body, ScopePtr scope);
  void append(std::string& out, const std::string& text);

  Value eval_impl(const Expr& e);
  Value eval_name(const Expr& e);
  Value eval_call(const Expr& e);
  Value eval_binary(const Expr& e);
  Value eval_compare(const Expr& e);
  CallArgs eval_args(const Expr& e);

  std::optional<std::tm> now_;
  Limits limits_;
  ScopePtr scope_;
  int depth_ = 0;
  uint64_t steps_ = 0;
  std::vector<std::weak_ptr<DictObj>> namespaces_;
  // Scopes holding a macro: the macro captures its scope, a cycle broken when the render ends.
  std::vector<std::weak_ptr<Scope>> macro_scopes_;
};

// Value operations shared by the evaluator and the filters (throw TemplateError).
Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
Value binary_op(const std::string& op, const Value& a, const Value& b, const Limits& limits);
bool contains(const Value& container, const Value& needle);
// The items a for loop / filter iterates: list items, dict keys, string characters.
std::vector<Value> iterate(const Value& v);
[[noreturn]] void throw_undefined(const Value& v);
// Python's `fmt % args`.
std::string percent_format(const std::string& fmt, const Value& args);
// Python's str.format.
std::string str_format(const std::string& fmt, const CallArgs& args);
// A bound method of a str / dict / list, or undefined when there is none.
Value get_method(const Value& obj, const std::string& name);
Value make_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);

}  // namespace hearth::tmpl
