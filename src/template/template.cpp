// Public entry points: parse, render with the globals Hugging Face provides.
#include "template/template.h"

#include <cstdio>

#include "template/lexer.h"
#include "template/parser.h"

namespace hearth::tmpl {
namespace {

std::string located(const TemplateError& e) {
  if (e.line <= 0) return e.what();
  return "line " + std::to_string(e.line) + ", column " + std::to_string(e.col) + ": " + e.what();
}

Value g_raise_exception(Interpreter&, CallArgs& a) {
  throw TemplateError("TemplateError: " + to_str(a.get("message", 0)));
}

Value g_strftime_now(Interpreter& in, CallArgs& a) {
  Value fmt = a.get("format", 0);
  if (!fmt.is_string()) throw TemplateError("TypeError: strftime_now() argument must be str");
  std::tm tm = in.now();
  if (fmt.str().empty()) return Value("");
  std::string buf(fmt.str().size() * 8 + 256, '\0');
  size_t n = std::strftime(buf.data(), buf.size(), fmt.str().c_str(), &tm);
  buf.resize(n);
  return Value(buf);
}

Value g_range(Interpreter& in, CallArgs& a) {
  int64_t v[3] = {0, 0, 1};
  if (a.args.empty() || a.args.size() > 3)
    throw TemplateError("TypeError: range expected 1 to 3 arguments");
  for (const auto& x : a.args)
    if (!x.is_int() && !x.is_bool())
      throw TemplateError("TypeError: '" + type_name(x) +
                          "' object cannot be interpreted as an integer");
  auto num = [](const Value& x) {
    return x.is_bool() ? static_cast<int64_t>(x.as_bool()) : x.as_int();
  };
  if (a.args.size() == 1)
    v[1] = num(a.args[0]);
  else
    for (size_t i = 0; i < a.args.size(); ++i) v[i] = num(a.args[i]);
  if (v[2] == 0) throw TemplateError("ValueError: range() arg 3 must not be zero");
  std::vector<Value> out;
  for (int64_t i = v[0]; v[2] > 0 ? i < v[1] : i > v[1]; i += v[2]) {
    if (out.size() >= in.limits().max_range)
      throw TemplateError("OverflowError: range too big, maximum length is " +
                          std::to_string(in.limits().max_range));
    out.emplace_back(i);
  }
  return Value(make_list(std::move(out)));
}

Value g_dict(Interpreter& in, CallArgs& a, bool ns) {
  auto d = make_dict();
  d->is_namespace = ns;
  if (ns) in.track_namespace(d);
  for (const auto& x : a.args) {
    if (x.is_dict()) {
      for (const auto& [k, v] : x.dict()->entries) d->set(k, v);
    } else {
      for (const auto& pair : iterate(x)) {
        auto kv = iterate(pair);
        if (kv.size() != 2)
          throw TemplateError("ValueError: dictionary update sequence element has wrong length");
        d->set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [k, v] : a.kwargs) d->set(Value(k), v);
  return Value(d);
}

}  // namespace

Result<Template> Template::parse(const std::string& source) {
  try {
    Template t;
    t.body_ = std::make_shared<const Body>(tmpl::parse(lex(source)));
    return t;
  } catch (const TemplateError& e) {
    return invalid_argument(located(e));
  }
}

Result<std::string> Template::render(const nlohmann::ordered_json& context,
                                     const RenderOptions& options) const {
  if (!context.is_object() && !context.is_null())
    return invalid_argument("template context must be a JSON object");
  auto globals = std::make_shared<Scope>();
  globals->vars["raise_exception"] = make_function("raise_exception", g_raise_exception);
  globals->vars["strftime_now"] = make_function("strftime_now", g_strftime_now);
  globals->vars["range"] = make_function("range", g_range);
  globals->vars["dict"] =
      make_function("dict", [](Interpreter& in, CallArgs& a) { return g_dict(in, a, false); });
  globals->vars["namespace"] =
      make_function("namespace", [](Interpreter& in, CallArgs& a) { return g_dict(in, a, true); });
  auto vars = std::make_shared<Scope>();
  vars->parent = globals;
  auto scope = std::make_shared<Scope>();
  scope->parent = vars;
  try {
    if (context.is_object())
      for (auto it = context.begin(); it != context.end(); ++it)
        vars->vars[it.key()] = from_json(it.value());
    Interpreter interpreter(options.now, options.limits);
    return interpreter.render(*body_, scope);
  } catch (const TemplateError& e) {
    return invalid_argument(located(e));
  }
}

Result<std::tm> parse_time(const std::string& text) {
  std::tm tm{};
  int n = std::sscanf(text.c_str(), "%d-%d-%d%*1[T ]%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
  if (n != 3 && n != 6)
    return invalid_argument("bad time '", text, "': expected YYYY-MM-DDTHH:MM:SS");
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
    return invalid_argument("bad time '", text, "': a field is out of range");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::tm copy = tm;
  std::time_t t = timegm(&copy);  // fills weekday and day of year
  gmtime_r(&t, &tm);
  return tm;
}

}  // namespace hearth::tmpl
