// Recursive-descent parser following jinja2's grammar:
//   cond: or ['if' or ['else' cond]]       or: and ('or' and)*      and: not ('and' not)*
//   not: 'not' not | compare               compare: math1 ((== != < > <= >= in, not in) math1)*
//   math1: concat ((+|-) concat)*          concat: math2 ('~' math2)*
//   math2: pow ((*|/|//|%) pow)*           pow: unary ('**' unary)*
//   unary: ('-'|'+') unary | primary postfix* ('|' filter | 'is' test | call)*
#include "template/parser.h"

#include <set>

namespace hearth::tmpl {
namespace {

constexpr int kMaxDepth = 200;
constexpr int kMaxLinks = 400;

class Parser {
 public:
  explicit Parser(const std::vector<Token>& t) : t_(t) {}

  Body parse_template() {
    std::string end;
    Body body = parse_body({}, end);
    return body;
  }

 private:
  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(i_ + n, t_.size() - 1)]; }
  [[noreturn]] void fail(const std::string& msg, const Token& at) const {
    throw TemplateError("TemplateSyntaxError: " + msg, at.line, at.col);
  }
  [[noreturn]] void fail(const std::string& msg) const { fail(msg, cur()); }
  bool is_op(const char* op) const { return cur().type == Tok::kOp && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::kName && cur().text == n; }
  bool accept_op(const char* op) {
    if (!is_op(op)) return false;
    ++i_;
    return true;
  }
  bool accept_name(const char* n) {
    if (!is_name(n)) return false;
    ++i_;
    return true;
  }
  void expect_op(const char* op) {
    if (!accept_op(op)) fail(std::string("expected '") + op + "', got " + describe(cur()));
  }
  std::string expect_name() {
    if (cur().type != Tok::kName) fail("expected a name, got " + describe(cur()));
    return t_[i_++].text;
  }
  void expect_block_end(const std::string& tag) {
    if (cur().type != Tok::kBlockEnd)
      fail("expected end of '" + tag + "' statement, got " + describe(cur()));
    ++i_;
  }
  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::kEof:
        return "end of template";
      case Tok::kBlockEnd:
        return "'%}'";
      case Tok::kVarEnd:
        return "'}}'";
      case Tok::kString:
        return "string";
      case Tok::kInt:
      case Tok::kFloat:
        return "number " + t.text;
      default:
        return "'" + t.text + "'";
    }
  }
  ExprPtr node(Expr::Kind kind, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->col = at.col;
    return e;
  }
  // Each operator, filter, test, call or subscript in a chain nests the tree one level deeper.
  void link() {
    if (++links_ > kMaxLinks)
      fail("expression too long (more than " + std::to_string(kMaxLinks) + " chained operations)");
  }
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p(p) {
      if (++p.depth_ > kMaxDepth) p.fail("template nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
    Parser& p;
  };

  Body parse_body(const std::set<std::string>& ends, std::string& found);
  StmtPtr parse_statement(const Token& begin);
  StmtPtr parse_if(const Token& at);
  StmtPtr parse_for(const Token& at);
  StmtPtr parse_set(const Token& at);
  StmtPtr parse_macro(const Token& at, bool call_block);
  StmtPtr parse_filter_block(const Token& at);
  std::vector<MacroParam> parse_params();

  ExprPtr parse_expr();
  ExprPtr parse_tuple_or_expr();
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_binary(int level);
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  ExprPtr parse_postfix(ExprPtr e);
  ExprPtr parse_filter_expr(ExprPtr e);
  ExprPtr parse_subscript(ExprPtr e, const Token& at);
  void parse_call_args(Expr& e);

  const std::vector<Token>& t_;
  size_t i_ = 0;
  int depth_ = 0;
  int links_ = 0;
};

Body Parser::parse_body(const std::set<std::string>& ends, std::string& found) {
  DepthGuard guard(*this);
  Body body;
  while (true) {
    const Token& t = cur();
    if (t.type == Tok::kEof) {
      if (!ends.empty()) {
        std::string end = *ends.rbegin();  // the "end..." tag: endif, endfor, ...
        fail("unexpected end of template, expected '" + end + "' to close the '" + end.substr(3) +
                 "' block",
             t);
      }
      return body;
    }
    links_ = 0;
    if (t.type == Tok::kText) {
      auto s = std::make_unique<Stmt>();
      s->kind = Stmt::Kind::kText;
      s->text = t.text;
      s->line = t.line;
      s->col = t.col;
      body.push_back(std::move(s));
      ++i_;
    } else if (t.type == Tok::kVarBegin) {
      ++i_;
      auto s = std::make_unique<Stmt>();
      s->kind = Stmt::Kind::kOutput;
      s->line = t.line;
      s->col = t.col;
      s->expr = parse_tuple_or_expr();
      if (cur().type != Tok::kVarEnd) fail("expected '}}', got " + describe(cur()));
      ++i_;
      body.push_back(std::move(s));
    } else if (t.type == Tok::kBlockBegin) {
      const Token& name = peek();
      if (name.type == Tok::kName && ends.count(name.text)) {
        i_ += 2;
        found = name.text;
        return body;
      }
      ++i_;
      body.push_back(parse_statement(t));
    } else {
      fail("unexpected " + describe(t), t);
    }
  }
}

StmtPtr Parser::parse_statement(const Token& begin) {
  const Token& at = cur();
  std::string tag = expect_name();
  if (tag == "if") return parse_if(at);
  if (tag == "for") return parse_for(at);
  if (tag == "set") return parse_set(at);
  if (tag == "macro") return parse_macro(at, false);
  if (tag == "call") return parse_macro(at, true);
  if (tag == "filter") return parse_filter_block(at);
  auto s = std::make_unique<Stmt>();
  s->line = at.line;
  s->col = at.col;
  if (tag == "break" || tag == "continue") {
    s->kind = tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
    expect_block_end(tag);
    return s;
  }
  if (tag == "generation") {
    s->kind = Stmt::Kind::kGeneration;
    expect_block_end(tag);
    std::string found;
    s->body = parse_body({"endgeneration"}, found);
    expect_block_end(found);
    return s;
  }
  fail("unknown tag '" + tag + "'", at);
}

StmtPtr Parser::parse_if(const Token& at) {
  auto s = std::make_unique<Stmt>();
  s->kind = Stmt::Kind::kIf;
  s->line = at.line;
  s->col = at.col;
  s->cond = parse_tuple_or_expr();
  expect_block_end("if");
  std::string found;
  s->body = parse_body({"elif", "else", "endif"}, found);
  if (found == "elif") {
    const Token& elif_at = t_[i_ - 1];
    s->else_body.push_back(parse_if(elif_at));
    return s;
  }
  if (found == "else") {
    expect_block_end("else");
    s->else_body = parse_body({"endif"}, found);
  }
  expect_block_end(found);
  return s;
}

StmtPtr Parser::parse_for(const Token& at) {
  auto s = std::make_unique<Stmt>();
  s->kind = Stmt::Kind::kFor;
  s->line = at.line;
  s->col = at.col;
  do {
    if (accept_op("(")) {
      do s->loop_vars.push_back(expect_name());
      while (accept_op(","));
      expect_op(")");
    } else {
      s->loop_vars.push_back(expect_name());
    }
  } while (accept_op(","));
  if (!accept_name("in")) fail("expected 'in' in for loop");
  s->expr = parse_or();
  if (accept_name("if")) s->cond = parse_expr();
  if (accept_name("recursive")) fail("recursive loops are not supported", at);
  expect_block_end("for");
  std::string found;
  s->body = parse_body({"else", "endfor"}, found);
  if (found == "else") {
    expect_block_end("else");
    s->else_body = parse_body({"endfor"}, found);
  }
  expect_block_end(found);
  return s;
}

StmtPtr Parser::parse_set(const Token& at) {
  auto s = std::make_unique<Stmt>();
  s->line = at.line;
  s->col = at.col;
  const Token& tt = cur();
  std::string first = expect_name();
  if (accept_op(".")) {
    s->target = node(Expr::Kind::kGetAttr, tt);
    s->target->a = node(Expr::Kind::kName, tt);
    s->target->a->name = first;
    s->target->name = expect_name();
  } else if (is_op(",")) {
    s->target = node(Expr::Kind::kTuple, tt);
    auto n = node(Expr::Kind::kName, tt);
    n->name = first;
    s->target->items.push_back(std::move(n));
    while (accept_op(",")) {
      auto m = node(Expr::Kind::kName, cur());
      m->name = expect_name();
      s->target->items.push_back(std::move(m));
    }
  } else {
    s->target = node(Expr::Kind::kName, tt);
    s->target->name = first;
  }
  if (accept_op("=")) {
    s->kind = Stmt::Kind::kSet;
    s->expr = parse_tuple_or_expr();
    expect_block_end("set");
    return s;
  }
  s->kind = Stmt::Kind::kSetBlock;
  if (is_op("|")) s->expr = parse_filter_expr(nullptr);
  expect_block_end("set");
  std::string found;
  s->body = parse_body({"endset"}, found);
  expect_block_end(found);
  return s;
}

std::vector<MacroParam> Parser::parse_params() {
  std::vector<MacroParam> params;
  expect_op("(");
  while (!accept_op(")")) {
    if (!params.empty()) expect_op(",");
    if (accept_op(")")) break;
    MacroParam p;
    p.name = expect_name();
    if (accept_op("=")) p.default_value = parse_expr();
    params.push_back(std::move(p));
  }
  return params;
}

StmtPtr Parser::parse_macro(const Token& at, bool call_block) {
  auto s = std::make_unique<Stmt>();
  s->line = at.line;
  s->col = at.col;
  std::string found;
  if (call_block) {
    s->kind = Stmt::Kind::kCallBlock;
    if (is_op("(")) s->params = parse_params();
    s->expr = parse_expr();
    if (s->expr->kind != Expr::Kind::kCall) fail("expected a call in 'call' block", at);
    expect_block_end("call");
    s->body = parse_body({"endcall"}, found);
  } else {
    s->kind = Stmt::Kind::kMacro;
    s->text = expect_name();
    s->params = parse_params();
    expect_block_end("macro");
    s->body = parse_body({"endmacro"}, found);
  }
  if (cur().type == Tok::kName) ++i_;  // {% endmacro name %}
  expect_block_end(found);
  return s;
}

StmtPtr Parser::parse_filter_block(const Token& at) {
  auto s = std::make_unique<Stmt>();
  s->kind = Stmt::Kind::kFilterBlock;
  s->line = at.line;
  s->col = at.col;
  // `{% filter upper | trim %}`: the chain starts without a leading '|'.
  const Token& ft = cur();
  auto f = node(Expr::Kind::kFilter, ft);
  f->name = expect_name();
  if (is_op("(")) parse_call_args(*f);
  s->expr = parse_filter_expr(std::move(f));
  expect_block_end("filter");
  std::string found;
  s->body = parse_body({"endfilter"}, found);
  expect_block_end(found);
  return s;
}

ExprPtr Parser::parse_tuple_or_expr() {
  const Token& at = cur();
  ExprPtr e = parse_expr();
  if (!is_op(",")) return e;
  auto t = node(Expr::Kind::kTuple, at);
  t->items.push_back(std::move(e));
  while (accept_op(",")) {
    if (cur().type == Tok::kVarEnd || cur().type == Tok::kBlockEnd || is_op(")")) break;
    t->items.push_back(parse_expr());
  }
  return t;
}

ExprPtr Parser::parse_expr() {
  DepthGuard guard(*this);
  const Token& at = cur();
  ExprPtr e = parse_or();
  while (accept_name("if")) {
    link();
    auto c = node(Expr::Kind::kCond, at);
    c->b = std::move(e);
    c->a = parse_or();
    if (accept_name("else")) c->c = parse_expr();
    e = std::move(c);
  }
  return e;
}

ExprPtr Parser::parse_or() {
  ExprPtr e = parse_and();
  while (is_name("or")) {
    link();
    auto b = node(Expr::Kind::kBinary, cur());
    ++i_;
    b->name = "or";
    b->a = std::move(e);
    b->b = parse_and();
    e = std::move(b);
  }
  return e;
}

ExprPtr Parser::parse_and() {
  ExprPtr e = parse_not();
  while (is_name("and")) {
    link();
    auto b = node(Expr::Kind::kBinary, cur());
    ++i_;
    b->name = "and";
    b->a = std::move(e);
    b->b = parse_not();
    e = std::move(b);
  }
  return e;
}

ExprPtr Parser::parse_not() {
  if (is_name("not")) {
    DepthGuard guard(*this);
    auto u = node(Expr::Kind::kUnary, cur());
    ++i_;
    u->name = "not";
    u->a = parse_not();
    return u;
  }
  return parse_compare();
}

ExprPtr Parser::parse_compare() {
  const Token& at = cur();
  ExprPtr e = parse_binary(0);
  ExprPtr cmp;
  static const std::set<std::string> kOps = {"==", "!=", "<", ">", "<=", ">="};
  while (true) {
    std::string op;
    if (cur().type == Tok::kOp && kOps.count(cur().text)) {
      op = cur().text;
      ++i_;
    } else if (is_name("in")) {
      op = "in";
      ++i_;
    } else if (is_name("not") && peek().type == Tok::kName && peek().text == "in") {
      op = "notin";
      i_ += 2;
    } else {
      break;
    }
    link();
    if (!cmp) {
      cmp = node(Expr::Kind::kCompare, at);
      cmp->a = std::move(e);
    }
    cmp->ops.push_back(op);
    cmp->items.push_back(parse_binary(0));
  }
  return cmp ? std::move(cmp) : std::move(e);
}

// Levels: 0 (+ -), 1 (~), 2 (* / // %), 3 (**).
ExprPtr Parser::parse_binary(int level) {
  if (level == 4) return parse_unary(true);
  static const std::vector<std::set<std::string>> kLevels = {
      {"+", "-"}, {"~"}, {"*", "/", "//", "%"}, {"**"}};
  ExprPtr e = parse_binary(level + 1);
  while (cur().type == Tok::kOp && kLevels[static_cast<size_t>(level)].count(cur().text)) {
    link();
    auto b = node(Expr::Kind::kBinary, cur());
    b->name = t_[i_++].text;
    b->a = std::move(e);
    b->b = parse_binary(level + 1);
    e = std::move(b);
  }
  return e;
}

ExprPtr Parser::parse_unary(bool with_filter) {
  DepthGuard guard(*this);
  ExprPtr e;
  if (is_op("-") || is_op("+")) {
    e = node(Expr::Kind::kUnary, cur());
    e->name = t_[i_++].text;
    e->a = parse_unary(false);
  } else {
    e = parse_postfix(parse_primary());
  }
  return with_filter ? parse_filter_expr(std::move(e)) : std::move(e);
}

ExprPtr Parser::parse_primary() {
  const Token& t = cur();
  switch (t.type) {
    case Tok::kName: {
      ++i_;
      auto e = node(Expr::Kind::kLiteral, t);
      if (t.text == "true" || t.text == "True")
        e->value = Value(true);
      else if (t.text == "false" || t.text == "False")
        e->value = Value(false);
      else if (t.text == "none" || t.text == "None")
        e->value = Value(None{});
      else {
        e->kind = Expr::Kind::kName;
        e->name = t.text;
      }
      return e;
    }
    case Tok::kString: {
      auto e = node(Expr::Kind::kLiteral, t);
      std::string s;
      while (cur().type == Tok::kString) s += t_[i_++].text;  // adjacent literals concatenate
      e->value = Value(s);
      return e;
    }
    case Tok::kInt:
    case Tok::kFloat: {
      ++i_;
      auto e = node(Expr::Kind::kLiteral, t);
      e->value = t.type == Tok::kInt ? Value(t.ival) : Value(t.fval);
      return e;
    }
    default:
      break;
  }
  if (accept_op("(")) {
    if (accept_op(")")) return node(Expr::Kind::kTuple, t);
    ExprPtr e = parse_tuple_or_expr();
    expect_op(")");
    return e;
  }
  if (accept_op("[")) {
    auto e = node(Expr::Kind::kList, t);
    while (!accept_op("]")) {
      if (!e->items.empty()) expect_op(",");
      if (accept_op("]")) break;
      e->items.push_back(parse_expr());
    }
    return e;
  }
  if (accept_op("{")) {
    auto e = node(Expr::Kind::kDict, t);
    while (!accept_op("}")) {
      if (!e->items.empty()) expect_op(",");
      if (accept_op("}")) break;
      e->items.push_back(parse_expr());
      expect_op(":");
      e->items.push_back(parse_expr());
    }
    return e;
  }
  fail("unexpected " + describe(t));
}

ExprPtr Parser::parse_postfix(ExprPtr e) {
  while (true) {
    const Token& at = cur();
    if (is_op(".") || is_op("[") || is_op("(")) link();
    if (accept_op(".")) {
      auto g = node(Expr::Kind::kGetAttr, at);
      g->a = std::move(e);
      if (cur().type == Tok::kInt) {
        g->kind = Expr::Kind::kGetItem;
        g->b = node(Expr::Kind::kLiteral, cur());
        g->b->value = Value(t_[i_++].ival);
      } else {
        g->name = expect_name();
      }
      e = std::move(g);
    } else if (accept_op("[")) {
      e = parse_subscript(std::move(e), at);
    } else if (is_op("(")) {
      auto c = node(Expr::Kind::kCall, at);
      c->line = e->line;  // a failing call points at its callee: `raise_exception(...)`
      c->col = e->col;
      c->a = std::move(e);
      parse_call_args(*c);
      e = std::move(c);
    } else {
      return e;
    }
  }
}

ExprPtr Parser::parse_subscript(ExprPtr e, const Token& at) {
  std::vector<ExprPtr> parts(1);
  bool slice = false;
  while (!accept_op("]")) {
    if (accept_op(":")) {
      slice = true;
      if (parts.size() >= 3) fail("too many ':' in slice");
      parts.emplace_back();
    } else if (!parts.back()) {
      parts.back() = parse_expr();
    } else {
      fail("expected ']' , got " + describe(cur()));
    }
  }
  if (!slice) {
    if (!parts[0]) fail("expected a subscript", at);
    auto g = node(Expr::Kind::kGetItem, at);
    g->a = std::move(e);
    g->b = std::move(parts[0]);
    return g;
  }
  auto s = node(Expr::Kind::kSlice, at);
  s->a = std::move(e);
  parts.resize(3);
  s->items = std::move(parts);
  return s;
}

void Parser::parse_call_args(Expr& e) {
  expect_op("(");
  bool first = true;
  while (!accept_op(")")) {
    if (!first) expect_op(",");
    first = false;
    if (accept_op(")")) break;
    if (cur().type == Tok::kName && peek().type == Tok::kOp && peek().text == "=") {
      std::string key = t_[i_].text;
      i_ += 2;
      e.kwargs.emplace_back(key, parse_expr());
    } else {
      if (!e.kwargs.empty()) fail("positional argument follows keyword argument");
      e.items.push_back(parse_expr());
    }
  }
}

ExprPtr Parser::parse_filter_expr(ExprPtr e) {
  while (true) {
    const Token& at = cur();
    if (is_op("|") || is_name("is") || (is_op("(") && e)) link();
    if (accept_op("|")) {
      auto f = node(Expr::Kind::kFilter, at);
      f->a = std::move(e);
      f->name = expect_name();
      while (accept_op(".")) f->name += "." + expect_name();
      if (is_op("(")) parse_call_args(*f);
      e = std::move(f);
    } else if (is_name("is")) {
      ++i_;
      auto t = node(Expr::Kind::kTest, at);
      t->negated = accept_name("not");
      t->a = std::move(e);
      t->name = expect_name();
      if (is_op("(")) {
        parse_call_args(*t);
      } else if ((cur().type == Tok::kName || cur().type == Tok::kString ||
                  cur().type == Tok::kInt || cur().type == Tok::kFloat || is_op("[") ||
                  is_op("{")) &&
                 !is_name("else") && !is_name("or") && !is_name("and") && !is_name("if") &&
                 !is_name("in") && !is_name("not") && !is_name("is")) {
        t->items.push_back(parse_postfix(parse_primary()));
      }
      e = std::move(t);
    } else if (is_op("(") && e) {
      auto c = node(Expr::Kind::kCall, at);
      c->a = std::move(e);
      parse_call_args(*c);
      e = std::move(c);
    } else {
      return e;
    }
  }
}

}  // namespace

Body parse(const std::vector<Token>& tokens) {
  return Parser(tokens).parse_template();
}

}  // namespace hearth::tmpl
