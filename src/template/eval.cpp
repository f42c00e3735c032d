// Expression evaluation and the Python operators on values.
#include <cmath>

#include "template/interpreter.h"

namespace hearth::tmpl {

[[noreturn]] void throw_undefined(const Value& v) {
  throw TemplateError("UndefinedError: " + v.undefined_hint());
}

std::vector<Value> iterate(const Value& v) {
  switch (v.type()) {
    case Value::Type::kUndefined:
      return {};
    case Value::Type::kList:
      return v.list()->items;
    case Value::Type::kDict: {
      if (v.dict()->is_namespace) break;
      std::vector<Value> keys;
      for (const auto& kv : v.dict()->entries) keys.push_back(kv.first);
      return keys;
    }
    case Value::Type::kString: {
      std::vector<Value> chars;
      for (auto& c : utf8_chars(v.str())) chars.emplace_back(std::move(c));
      return chars;
    }
    default:
      break;
  }
  throw TemplateError("TypeError: '" + type_name(v) + "' object is not iterable");
}

bool contains(const Value& container, const Value& needle) {
  if (needle.is_undefined() && !container.is_undefined()) {
    if (container.is_string()) throw_undefined(needle);
  }
  switch (container.type()) {
    case Value::Type::kUndefined:
      return false;
    case Value::Type::kString:
      if (!needle.is_string())
        throw TemplateError("TypeError: 'in <string>' requires string as left operand, not " +
                            type_name(needle));
      return container.str().find(needle.str()) != std::string::npos;
    case Value::Type::kList:
      for (const auto& item : container.list()->items)
        if (equals(item, needle)) return true;
      return false;
    case Value::Type::kDict:
      return container.dict()->find(needle) != nullptr;
    default:
      throw TemplateError("TypeError: argument of type '" + type_name(container) +
                          "' is not iterable");
  }
}

Value get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) throw_undefined(obj);
  if (obj.is_dict()) {
    if (!obj.dict()->is_namespace) {
      Value m = get_method(obj, name);
      if (!m.is_undefined()) return m;
    }
    if (const Value* v = obj.dict()->find(name)) return *v;
    return Value::undefined("'" + std::string(obj.dict()->is_namespace ? "Namespace" : "dict") +
                            " object' has no attribute '" + name + "'");
  }
  Value m = get_method(obj, name);
  if (!m.is_undefined()) return m;
  if (obj.is_none()) return Value::undefined("'None' has no attribute '" + name + "'");
  return Value::undefined("'" + type_name(obj) + " object' has no attribute '" + name + "'");
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) throw_undefined(obj);
  if (obj.is_dict()) {
    if (const Value* v = obj.dict()->find(key)) return *v;
    if (key.is_string() && !obj.dict()->is_namespace) {
      Value m = get_method(obj, key.str());
      if (!m.is_undefined()) return m;
    }
    return Value::undefined("'dict object' has no attribute '" + to_str(key) + "'");
  }
  if ((obj.is_list() && is_sequence_kind(obj.list()->kind)) || obj.is_string()) {
    if (key.is_int() || key.is_bool()) {
      int64_t i = key.is_bool() ? key.as_bool() : key.as_int();
      if (obj.is_list()) {
        auto n = static_cast<int64_t>(obj.list()->items.size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return obj.list()->items[static_cast<size_t>(i)];
      } else {
        auto chars = utf8_chars(obj.str());
        auto n = static_cast<int64_t>(chars.size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return Value(chars[static_cast<size_t>(i)]);
      }
      return Value::undefined("'" + type_name(obj) + " object' has no element " + to_str(key));
    }
  }
  if (key.is_string()) return get_attr(obj, key.str());
  return Value::undefined("'" + type_name(obj) + " object' has no element " + repr(key));
}

Value make_slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_undefined()) throw_undefined(obj);
  auto idx = [](const Value& v, int64_t def) -> int64_t {
    if (v.is_undefined() || v.is_none()) return def;
    if (!v.is_int() && !v.is_bool())
      throw TemplateError("TypeError: slice indices must be integers or None");
    return v.is_bool() ? v.as_bool() : v.as_int();
  };
  std::vector<Value> items;
  bool is_str = obj.is_string();
  if (is_str) {
    for (auto& c : utf8_chars(obj.str())) items.emplace_back(std::move(c));
  } else if (obj.is_list()) {
    items = obj.list()->items;
  } else {
    throw TemplateError("TypeError: '" + type_name(obj) + "' object is not subscriptable");
  }
  auto n = static_cast<int64_t>(items.size());
  int64_t st = idx(step, 1);
  if (st == 0) throw TemplateError("ValueError: slice step cannot be zero");
  auto norm = [&](int64_t i, bool is_start) {
    if (i < 0) i += n;
    if (st > 0) return std::clamp<int64_t>(i, 0, n);
    return std::clamp<int64_t>(i, -1, n - 1);
    (void)is_start;
  };
  int64_t b =
      start.is_undefined() || start.is_none() ? (st > 0 ? 0 : n - 1) : norm(idx(start, 0), true);
  int64_t e = stop.is_undefined() || stop.is_none() ? (st > 0 ? n : -1) : norm(idx(stop, 0), false);
  std::vector<Value> out;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) out.push_back(items[static_cast<size_t>(i)]);
  if (is_str) {
    std::string s;
    for (const auto& v : out) s += v.str();
    return Value(s);
  }
  return Value(make_list(
      std::move(out), obj.list()->kind == ListKind::kTuple ? ListKind::kTuple : ListKind::kList));
}

namespace {

[[noreturn]] void bad_operands(const std::string& op, const Value& a, const Value& b) {
  if (op == "+" && a.is_string())
    throw TemplateError("TypeError: can only concatenate str (not \"" + type_name(b) +
                        "\") to str");
  if (op == "+" && a.is_list() && b.is_list() == false)
    throw TemplateError("TypeError: can only concatenate list (not \"" + type_name(b) +
                        "\") to list");
  throw TemplateError("TypeError: unsupported operand type(s) for " + op + ": '" + type_name(a) +
                      "' and '" + type_name(b) + "'");
}

int64_t as_i(const Value& v) {
  return v.is_bool() ? v.as_bool() : v.as_int();
}

Value int_op(const std::string& op, int64_t x, int64_t y) {
  int64_t r = 0;
  bool overflow = false;
  if (op == "+")
    overflow = __builtin_add_overflow(x, y, &r);
  else if (op == "-")
    overflow = __builtin_sub_overflow(x, y, &r);
  else if (op == "*")
    overflow = __builtin_mul_overflow(x, y, &r);
  else if (op == "//" || op == "%") {
    if (y == 0) throw TemplateError("ZeroDivisionError: integer division or modulo by zero");
    if (x == INT64_MIN && y == -1)
      overflow = true;
    else {
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      r = op == "//" ? q : m;
    }
  } else if (op == "**") {
    if (y < 0) return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
    r = 1;
    for (int64_t i = 0; i < y && !overflow; ++i) overflow = __builtin_mul_overflow(r, x, &r);
  }
  if (overflow) throw TemplateError("OverflowError: integer result out of range");
  return Value(r);
}

Value float_op(const std::string& op, double x, double y) {
  if (op == "+") return Value(x + y);
  if (op == "-") return Value(x - y);
  if (op == "*") return Value(x * y);
  if (op == "/") {
    if (y == 0) throw TemplateError("ZeroDivisionError: division by zero");
    return Value(x / y);
  }
  if (op == "//" || op == "%") {
    if (y == 0) throw TemplateError("ZeroDivisionError: float modulo");
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    return op == "%" ? Value(m) : Value(std::floor((x - m) / y + 0.5));
  }
  return Value(std::pow(x, y));
}

Value repeat(const Value& seq, int64_t n, const Limits& limits) {
  if (n < 0) n = 0;
  size_t unit = seq.is_string() ? seq.str().size() : seq.list()->items.size();
  if (unit && static_cast<uint64_t>(n) > limits.max_range / unit + 1)
    throw TemplateError("ValueError: repetition too large");
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return Value(out);
  }
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i)
    out.insert(out.end(), seq.list()->items.begin(), seq.list()->items.end());
  return Value(make_list(std::move(out), seq.list()->kind));
}

}  // namespace

Value binary_op(const std::string& op, const Value& a, const Value& b, const Limits& limits) {
  if (a.is_undefined()) throw_undefined(a);
  if (b.is_undefined()) throw_undefined(b);
  if (a.is_number() && b.is_number()) {
    if (op == "/") return float_op(op, a.number(), b.number());
    if (a.is_float() || b.is_float()) return float_op(op, a.number(), b.number());
    return int_op(op, as_i(a), as_i(b));
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) return Value(a.str() + b.str());
    if (a.is_list() && b.is_list() && a.list()->kind == b.list()->kind &&
        is_sequence_kind(a.list()->kind)) {
      std::vector<Value> out = a.list()->items;
      out.insert(out.end(), b.list()->items.begin(), b.list()->items.end());
      return Value(make_list(std::move(out), a.list()->kind));
    }
  }
  if (op == "*") {
    bool a_seq = a.is_string() || (a.is_list() && is_sequence_kind(a.list()->kind));
    bool b_seq = b.is_string() || (b.is_list() && is_sequence_kind(b.list()->kind));
    if (a_seq && (b.is_int() || b.is_bool())) return repeat(a, as_i(b), limits);
    if (b_seq && (a.is_int() || a.is_bool())) return repeat(b, as_i(a), limits);
  }
  if (op == "%" && a.is_string()) return Value(percent_format(a.str(), b));
  bad_operands(op, a, b);
}

Value Interpreter::eval(const Expr& e) {
  try {
    step();
    return eval_impl(e);
  } catch (TemplateError& err) {
    if (err.line == 0) {
      err.line = e.line;
      err.col = e.col;
    }
    throw;
  }
}

Value Interpreter::eval_impl(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.value;
    case Expr::Kind::kName:
      return eval_name(e);
    case Expr::Kind::kList:
    case Expr::Kind::kTuple: {
      std::vector<Value> items;
      for (const auto& item : e.items) items.push_back(eval(*item));
      return Value(make_list(std::move(items),
                             e.kind == Expr::Kind::kTuple ? ListKind::kTuple : ListKind::kList));
    }
    case Expr::Kind::kDict: {
      auto d = make_dict();
      for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
        Value k = eval(*e.items[i]);
        d->set(k, eval(*e.items[i + 1]));
      }
      return Value(d);
    }
    case Expr::Kind::kGetAttr:
      return get_attr(eval(*e.a), e.name);
    case Expr::Kind::kGetItem:
      return get_item(eval(*e.a), eval(*e.b));
    case Expr::Kind::kSlice: {
      Value obj = eval(*e.a);
      Value parts[3];
      for (size_t i = 0; i < 3; ++i)
        if (e.items[i]) parts[i] = eval(*e.items[i]);
      return make_slice(obj, parts[0], parts[1], parts[2]);
    }
    case Expr::Kind::kCall:
      return eval_call(e);
    case Expr::Kind::kFilter: {
      Value input = eval(*e.a);
      CallArgs args = eval_args(e);
      return apply_filter(e.name, input, args);
    }
    case Expr::Kind::kTest: {
      Value input = eval(*e.a);
      CallArgs args = eval_args(e);
      return Value(apply_test(e.name, input, args) != e.negated);
    }
    case Expr::Kind::kUnary: {
      Value v = eval(*e.a);
      if (e.name == "not") return Value(!truthy(v));
      if (v.is_undefined()) throw_undefined(v);
      if (!v.is_number())
        throw TemplateError("TypeError: bad operand type for unary " + e.name + ": '" +
                            type_name(v) + "'");
      if (e.name == "+") return v.is_bool() ? Value(static_cast<int64_t>(v.as_bool())) : v;
      if (v.is_float()) return Value(-v.as_float());
      return binary_op("-", Value(0), v, limits_);
    }
    case Expr::Kind::kBinary:
      return eval_binary(e);
    case Expr::Kind::kCompare:
      return eval_compare(e);
    case Expr::Kind::kCond: {
      if (truthy(eval(*e.a))) return eval(*e.b);
      if (e.c) return eval(*e.c);
      return Value::undefined(
          "the inline if-expression evaluated to false and no else section "
          "was defined.");
    }
  }
  return Value();
}

Value Interpreter::eval_name(const Expr& e) {
  if (const Value* v = scope_->find(e.name)) return *v;
  return Value::undefined("'" + e.name + "' is undefined");
}

CallArgs Interpreter::eval_args(const Expr& e) {
  CallArgs args;
  for (const auto& item : e.items) args.args.push_back(eval(*item));
  for (const auto& [k, v] : e.kwargs) args.kwargs.emplace_back(k, eval(*v));
  return args;
}

Value Interpreter::eval_call(const Expr& e) {
  Value fn = eval(*e.a);
  CallArgs args = eval_args(e);
  return call(fn, args);
}

Value Interpreter::call(const Value& fn, CallArgs& args) {
  if (fn.is_undefined()) throw_undefined(fn);
  if (!fn.is_function())
    throw TemplateError("TypeError: '" + type_name(fn) + "' object is not callable");
  if (++depth_ > limits_.max_call_depth) {
    depth_ = 0;
    throw TemplateError("RecursionError: maximum call depth exceeded");
  }
  struct Unwind {
    int& d;
    ~Unwind() {
      if (d > 0) --d;
    }
  } unwind{depth_};
  return fn.function()->call(*this, args);
}

Value Interpreter::eval_binary(const Expr& e) {
  if (e.name == "and") {
    Value a = eval(*e.a);
    return truthy(a) ? eval(*e.b) : a;
  }
  if (e.name == "or") {
    Value a = eval(*e.a);
    return truthy(a) ? a : eval(*e.b);
  }
  Value a = eval(*e.a);
  Value b = eval(*e.b);
  if (e.name == "~") {
    std::string s = to_str(a) + to_str(b);
    if (s.size() > limits_.max_output) throw TemplateError("MemoryError: string too large");
    return Value(std::move(s));
  }
  return binary_op(e.name, a, b, limits_);
}

Value Interpreter::eval_compare(const Expr& e) {
  Value left = eval(*e.a);
  for (size_t i = 0; i < e.ops.size(); ++i) {
    Value right = eval(*e.items[i]);
    const std::string& op = e.ops[i];
    bool ok;
    if (op == "==")
      ok = equals(left, right);
    else if (op == "!=")
      ok = !equals(left, right);
    else if (op == "in")
      ok = contains(right, left);
    else if (op == "notin")
      ok = !contains(right, left);
    else {
      if (left.is_undefined()) throw_undefined(left);
      if (right.is_undefined()) throw_undefined(right);
      int c = compare(left, right, op.c_str());
      ok = op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0;
    }
    if (!ok) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

void Interpreter::step() {
  if (++steps_ > limits_.max_steps)
    throw TemplateError("TemplateRuntimeError: template exceeded its step budget (" +
                        std::to_string(limits_.max_steps) + " operations)");
}

}  // namespace hearth::tmpl
