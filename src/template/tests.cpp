// `is` tests, as jinja2 defines them.
#include <cctype>
#include <cmath>
#include <unordered_map>

#include "template/interpreter.h"

namespace hearth::tmpl {
namespace {

using TestFn = bool (*)(Interpreter&, const Value&, CallArgs&);

bool is_int_like(const Value& v) {
  return v.is_int();
}

Value arg0(const CallArgs& a, const char* test) {
  if (a.args.empty() && a.kwargs.empty())
    throw TemplateError(std::string("TypeError: test '") + test + "' needs an argument");
  return a.get("", 0, a.kwargs.empty() ? Value() : a.kwargs[0].second);
}

int64_t int_of(const Value& v, const char* test) {
  if (v.is_undefined()) throw_undefined(v);
  if (v.is_int()) return v.as_int();
  if (v.is_bool()) return v.as_bool();
  throw TemplateError(std::string("TypeError: test '") + test + "' needs an integer, got " +
                      type_name(v));
}

bool all_case(const std::string& s, bool upper) {
  bool cased = false;
  for (unsigned char c : s) {
    if (std::isalpha(c)) {
      cased = true;
      if (upper ? std::islower(c) : std::isupper(c)) return false;
    }
  }
  return cased;
}

const std::unordered_map<std::string, TestFn>& tests() {
  static const std::unordered_map<std::string, TestFn> kTests = {
      {"defined", [](Interpreter&, const Value& v, CallArgs&) { return !v.is_undefined(); }},
      {"undefined", [](Interpreter&, const Value& v, CallArgs&) { return v.is_undefined(); }},
      {"none", [](Interpreter&, const Value& v, CallArgs&) { return v.is_none(); }},
      {"string", [](Interpreter&, const Value& v, CallArgs&) { return v.is_string(); }},
      {"mapping", [](Interpreter&, const Value& v,
                     CallArgs&) { return v.is_dict() && !v.dict()->is_namespace; }},
      {"iterable",
       [](Interpreter&, const Value& v, CallArgs&) {
         return v.is_undefined() || v.is_string() || v.is_list() ||
                (v.is_dict() && !v.dict()->is_namespace);
       }},
      {"sequence",
       [](Interpreter&, const Value& v, CallArgs&) {
         return v.is_string() || (v.is_list() && is_sequence_kind(v.list()->kind)) ||
                (v.is_dict() && !v.dict()->is_namespace);
       }},
      {"number", [](Interpreter&, const Value& v, CallArgs&) { return v.is_number(); }},
      {"integer", [](Interpreter&, const Value& v, CallArgs&) { return is_int_like(v); }},
      {"float", [](Interpreter&, const Value& v, CallArgs&) { return v.is_float(); }},
      {"boolean", [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool(); }},
      {"true", [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && v.as_bool(); }},
      {"false",
       [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && !v.as_bool(); }},
      {"callable", [](Interpreter&, const Value& v, CallArgs&) { return v.is_function(); }},
      {"odd", [](Interpreter&, const Value& v, CallArgs&) { return int_of(v, "odd") % 2 != 0; }},
      {"even", [](Interpreter&, const Value& v, CallArgs&) { return int_of(v, "even") % 2 == 0; }},
      {"divisibleby",
       [](Interpreter&, const Value& v, CallArgs& a) {
         int64_t d = int_of(arg0(a, "divisibleby"), "divisibleby");
         if (d == 0) throw TemplateError("ZeroDivisionError: integer division or modulo by zero");
         return int_of(v, "divisibleby") % d == 0;
       }},
      {"sameas",
       [](Interpreter&, const Value& v, CallArgs& a) {
         Value o = arg0(a, "sameas");
         if (v.type() != o.type()) return false;
         if (v.is_list()) return v.list() == o.list();
         if (v.is_dict()) return v.dict() == o.dict();
         if (v.is_function()) return v.function() == o.function();
         if (v.is_none() || v.is_bool()) return equals(v, o);
         return false;
       }},
      {"eq", [](Interpreter&, const Value& v, CallArgs& a) { return equals(v, arg0(a, "eq")); }},
      {"ne", [](Interpreter&, const Value& v, CallArgs& a) { return !equals(v, arg0(a, "ne")); }},
      {"lt", [](Interpreter&, const Value& v,
                CallArgs& a) { return compare(v, arg0(a, "lt"), "<") < 0; }},
      {"le", [](Interpreter&, const Value& v,
                CallArgs& a) { return compare(v, arg0(a, "le"), "<=") <= 0; }},
      {"gt", [](Interpreter&, const Value& v,
                CallArgs& a) { return compare(v, arg0(a, "gt"), ">") > 0; }},
      {"ge", [](Interpreter&, const Value& v,
                CallArgs& a) { return compare(v, arg0(a, "ge"), ">=") >= 0; }},
      {"in", [](Interpreter&, const Value& v, CallArgs& a) { return contains(arg0(a, "in"), v); }},
      {"lower", [](Interpreter&, const Value& v,
                   CallArgs&) { return v.is_string() && all_case(v.str(), false); }},
      {"upper", [](Interpreter&, const Value& v,
                   CallArgs&) { return v.is_string() && all_case(v.str(), true); }},
      {"escaped", [](Interpreter&, const Value&, CallArgs&) { return false; }},
  };
  return kTests;
}

}  // namespace

bool Interpreter::apply_test(const std::string& name, const Value& input, CallArgs& args) {
  static const std::unordered_map<std::string, std::string> kAliases = {
      {"equalto", "eq"}, {"==", "eq"},          {"!=", "ne"}, {"lessthan", "lt"}, {"<", "lt"},
      {"<=", "le"},      {"greaterthan", "gt"}, {">", "gt"},  {">=", "ge"}};
  auto alias = kAliases.find(name);
  const std::string& key = alias == kAliases.end() ? name : alias->second;
  auto it = tests().find(key);
  if (it == tests().end())
    throw TemplateError("TemplateAssertionError: No test named '" + name + "'.");
  return it->second(*this, input, args);
}

}  // namespace hearth::tmpl
