// Statement execution: output, if, for (with loop.*), set, macros, call and filter blocks.
#include "template/interpreter.h"

namespace hearth::tmpl {

std::tm Interpreter::now() const {
  if (now_) return *now_;
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

Interpreter::~Interpreter() {
  for (auto& weak : namespaces_) {
    if (auto ns = weak.lock()) ns->clear();
  }
  for (auto& weak : macro_scopes_) {
    if (auto scope = weak.lock()) scope->vars.clear();
  }
}

void Interpreter::append(std::string& out, const std::string& text) {
  if (out.size() + text.size() > limits_.max_output)
    throw TemplateError("TemplateRuntimeError: output exceeds " +
                        std::to_string(limits_.max_output) + " bytes");
  out += text;
}

std::string Interpreter::render(const Body& body, ScopePtr globals) {
  scope_ = std::move(globals);
  std::string out;
  Flow flow = exec_body(body, out);
  (void)flow;
  return out;
}

Interpreter::Flow Interpreter::exec_body(const Body& body, std::string& out) {
  for (const auto& s : body) {
    Flow f = exec(*s, out);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

std::string Interpreter::render_body_in(const Body& body, ScopePtr scope) {
  ScopePtr saved = scope_;
  scope_ = std::move(scope);
  std::string out;
  try {
    exec_body(body, out);
  } catch (...) {
    scope_ = saved;
    throw;
  }
  scope_ = saved;
  return out;
}

Interpreter::Flow Interpreter::exec(const Stmt& s, std::string& out) {
  try {
    step();
    switch (s.kind) {
      case Stmt::Kind::kText:
        append(out, s.text);
        return Flow::kNormal;
      case Stmt::Kind::kOutput:
        append(out, to_str(eval(*s.expr)));
        return Flow::kNormal;
      case Stmt::Kind::kIf:
        return exec_body(truthy(eval(*s.cond)) ? s.body : s.else_body, out);
      case Stmt::Kind::kFor:
        return exec_for(s, out);
      case Stmt::Kind::kSet:
      case Stmt::Kind::kSetBlock:
        exec_set(s, out);
        return Flow::kNormal;
      case Stmt::Kind::kMacro:
        macro_scopes_.push_back(scope_);
        scope_->vars[s.text] = make_macro(s, scope_, Value());
        return Flow::kNormal;
      case Stmt::Kind::kCallBlock: {
        Value caller = make_macro(s, scope_, Value());
        const Expr& c = *s.expr;
        Value fn = eval(*c.a);
        CallArgs args;
        for (const auto& item : c.items) args.args.push_back(eval(*item));
        for (const auto& [k, v] : c.kwargs) args.kwargs.emplace_back(k, eval(*v));
        args.kwargs.emplace_back("caller", caller);
        append(out, to_str(call(fn, args)));
        return Flow::kNormal;
      }
      case Stmt::Kind::kFilterBlock: {
        auto inner = std::make_shared<Scope>();
        inner->parent = scope_;
        Value text(render_body_in(s.body, inner));
        Value result = text;
        std::vector<const Expr*> chain;
        for (const Expr* f = s.expr.get(); f; f = f->a.get()) chain.push_back(f);
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
          CallArgs args;
          for (const auto& item : (*it)->items) args.args.push_back(eval(*item));
          for (const auto& [k, v] : (*it)->kwargs) args.kwargs.emplace_back(k, eval(*v));
          result = apply_filter((*it)->name, result, args);
        }
        append(out, to_str(result));
        return Flow::kNormal;
      }
      case Stmt::Kind::kBreak:
        return Flow::kBreak;
      case Stmt::Kind::kContinue:
        return Flow::kContinue;
      case Stmt::Kind::kGeneration:
        return exec_body(s.body, out);
    }
  } catch (TemplateError& err) {
    if (err.line == 0) {
      err.line = s.line;
      err.col = s.col;
    }
    throw;
  }
  return Flow::kNormal;
}

namespace {

Value loop_object(const std::vector<Value>& items, size_t i) {
  auto d = make_dict();
  size_t n = items.size();
  d->set(Value("index"), Value(static_cast<int64_t>(i + 1)));
  d->set(Value("index0"), Value(static_cast<int64_t>(i)));
  d->set(Value("revindex"), Value(static_cast<int64_t>(n - i)));
  d->set(Value("revindex0"), Value(static_cast<int64_t>(n - i - 1)));
  d->set(Value("first"), Value(i == 0));
  d->set(Value("last"), Value(i + 1 == n));
  d->set(Value("length"), Value(static_cast<int64_t>(n)));
  d->set(Value("depth"), Value(1));
  d->set(Value("depth0"), Value(0));
  d->set(Value("previtem"), i > 0 ? items[i - 1] : Value::undefined("there is no previous item"));
  d->set(Value("nextitem"), i + 1 < n ? items[i + 1] : Value::undefined("there is no next item"));
  d->set(Value("cycle"), make_function("cycle", [i](Interpreter&, CallArgs& a) -> Value {
           if (a.args.empty()) throw TemplateError("TypeError: no items for cycling given");
           return a.args[i % a.args.size()];
         }));
  return Value(d);
}

}  // namespace

void Interpreter::assign(const Expr& target, const Value& value) {
  if (target.kind == Expr::Kind::kName) {
    scope_->vars[target.name] = value;
    return;
  }
  if (target.kind == Expr::Kind::kGetAttr) {
    Value ns = eval(*target.a);
    if (!ns.is_dict() || !ns.dict()->is_namespace)
      throw TemplateError("TemplateRuntimeError: cannot assign attribute on non-namespace object",
                          target.line, target.col);
    ns.dict()->set(Value(target.name), value);
    return;
  }
  std::vector<Value> items = iterate(value);
  if (items.size() != target.items.size())
    throw TemplateError("ValueError: cannot unpack " + std::to_string(items.size()) +
                            " values into " + std::to_string(target.items.size()),
                        target.line, target.col);
  for (size_t i = 0; i < items.size(); ++i) assign(*target.items[i], items[i]);
}

void Interpreter::exec_set(const Stmt& s, std::string& out) {
  if (s.kind == Stmt::Kind::kSet) {
    assign(*s.target, eval(*s.expr));
    return;
  }
  auto inner = std::make_shared<Scope>();
  inner->parent = scope_;
  Value result(render_body_in(s.body, inner));
  std::vector<const Expr*> chain;
  for (const Expr* f = s.expr.get(); f; f = f->a.get()) chain.push_back(f);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    CallArgs args;
    for (const auto& item : (*it)->items) args.args.push_back(eval(*item));
    for (const auto& [k, v] : (*it)->kwargs) args.kwargs.emplace_back(k, eval(*v));
    result = apply_filter((*it)->name, result, args);
  }
  assign(*s.target, result);
}

Interpreter::Flow Interpreter::exec_for(const Stmt& s, std::string& out) {
  Value seq = eval(*s.expr);
  if (seq.is_dict() && seq.dict()->is_namespace)
    throw TemplateError("TypeError: 'Namespace' object is not iterable");
  std::vector<Value> all = iterate(seq);
  ScopePtr outer = scope_;
  std::vector<Value> items;
  if (s.cond) {
    for (const auto& item : all) {
      auto probe = std::make_shared<Scope>();
      probe->parent = outer;
      scope_ = probe;
      Expr target_expr;
      if (s.loop_vars.size() == 1) {
        probe->vars[s.loop_vars[0]] = item;
      } else {
        std::vector<Value> parts = iterate(item);
        if (parts.size() != s.loop_vars.size()) {
          scope_ = outer;
          throw TemplateError("ValueError: cannot unpack loop item");
        }
        for (size_t k = 0; k < parts.size(); ++k) probe->vars[s.loop_vars[k]] = parts[k];
      }
      bool keep = false;
      try {
        keep = truthy(eval(*s.cond));
      } catch (...) {
        scope_ = outer;
        throw;
      }
      scope_ = outer;
      if (keep) items.push_back(item);
    }
  } else {
    items = std::move(all);
  }
  Flow result = Flow::kNormal;
  try {
    for (size_t i = 0; i < items.size(); ++i) {
      step();
      auto iter = std::make_shared<Scope>();
      iter->parent = outer;
      scope_ = iter;
      iter->vars["loop"] = loop_object(items, i);
      if (s.loop_vars.size() == 1) {
        iter->vars[s.loop_vars[0]] = items[i];
      } else {
        std::vector<Value> parts = iterate(items[i]);
        if (parts.size() != s.loop_vars.size())
          throw TemplateError("ValueError: cannot unpack " + std::to_string(parts.size()) +
                              " values into " + std::to_string(s.loop_vars.size()) +
                              " loop variables");
        for (size_t k = 0; k < parts.size(); ++k) iter->vars[s.loop_vars[k]] = parts[k];
      }
      Flow f = exec_body(s.body, out);
      if (f == Flow::kBreak) break;
    }
    scope_ = outer;
    if (items.empty()) result = exec_body(s.else_body, out);
  } catch (...) {
    scope_ = outer;
    throw;
  }
  return result;
}

Value Interpreter::make_macro(const Stmt& s, ScopePtr scope, Value caller) {
  const Stmt* def = &s;
  std::string name = s.kind == Stmt::Kind::kMacro ? s.text : "caller";
  return make_function(name, [def, scope, name](Interpreter& in, CallArgs& a) -> Value {
    auto frame = std::make_shared<Scope>();
    frame->parent = scope;
    const auto& params = def->params;
    if (a.args.size() > params.size())
      throw TemplateError("TypeError: macro '" + name + "' takes not more than " +
                          std::to_string(params.size()) + " argument(s)");
    for (size_t i = 0; i < a.args.size(); ++i) frame->vars[params[i].name] = a.args[i];
    for (const auto& [k, v] : a.kwargs) {
      bool known = k == "caller";
      for (const auto& p : params) known = known || p.name == k;
      if (!known)
        throw TemplateError("TypeError: macro '" + name + "' takes no keyword argument '" + k +
                            "'");
      frame->vars[k] = v;
    }
    ScopePtr saved = in.scope_;
    in.scope_ = frame;
    try {
      for (const auto& p : params) {
        if (frame->vars.count(p.name)) continue;
        frame->vars[p.name] = p.default_value
                                  ? in.eval(*p.default_value)
                                  : Value::undefined("parameter '" + p.name + "' was not provided");
      }
    } catch (...) {
      in.scope_ = saved;
      throw;
    }
    in.scope_ = saved;
    return Value(in.render_body_in(def->body, frame));
  });
}

}  // namespace hearth::tmpl
