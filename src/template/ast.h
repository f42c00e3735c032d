// Syntax tree of a parsed template.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "template/value.h"

namespace hearth::tmpl {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,  // value
    kName,     // name
    kList,     // items
    kTuple,    // items
    kDict,     // items: key, value, key, value, ...
    kGetAttr,  // a.name
    kGetItem,  // a[b]
    kSlice,    // a[items[0]:items[1]:items[2]] (null = omitted)
    kCall,     // a(items, kwargs)
    kFilter,   // a | name(items, kwargs); a is null inside {% filter %}
    kTest,     // a is [not] name(items)
    kUnary,    // op a: "-", "+", "not"
    kBinary,   // a op b: + - * / // % ** ~ and or
    kCompare,  // a ops[0] items[0] ops[1] items[1] ...: == != < > <= >= in notin
    kCond,     // b if a else c (c may be null)
  };
  Kind kind;
  int line = 0;
  int col = 0;
  Value value;
  std::string name;  // name, attribute, filter, test, or operator
  bool negated = false;
  ExprPtr a, b, c;
  std::vector<ExprPtr> items;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: required
};

struct Stmt {
  enum class Kind {
    kText,         // text
    kOutput,       // {{ expr }}
    kIf,           // if expr: body else else_body (elif nests an If in else_body)
    kFor,          // for targets in expr [if cond]: body else else_body
    kSet,          // set target = expr  (target: kName, kTuple of names, or kGetAttr ns.x)
    kSetBlock,     // set target %} body {% endset (expr: optional filter chain, a = null)
    kMacro,        // macro name(params): body
    kCallBlock,    // call(params) expr: body  (body becomes `caller`)
    kFilterBlock,  // filter expr: body
    kBreak,
    kContinue,
    kGeneration,  // generation: body
  };
  Kind kind;
  int line = 0;
  int col = 0;
  std::string text;  // text, macro name
  ExprPtr target;
  ExprPtr expr;
  ExprPtr cond;
  std::vector<std::string> loop_vars;
  std::vector<MacroParam> params;
  Body body;
  Body else_body;
};

}  // namespace hearth::tmpl
