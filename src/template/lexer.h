// Lexer for Jinja chat templates: text, tags and expression tokens, with whitespace control
// (`{%-`, `-%}`, `{{-`, `-}}`, `{%+`) and trim_blocks + lstrip_blocks as Hugging Face renders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::tmpl {

enum class Tok {
  kText,
  kVarBegin,
  kVarEnd,
  kBlockBegin,
  kBlockEnd,
  kName,
  kInt,
  kFloat,
  kString,
  kOp,
  kEof
};

struct Token {
  Tok type;
  std::string text;  // text, name, operator, or the decoded string literal
  int line = 1;
  int col = 1;
  int64_t ival = 0;
  double fval = 0;
};

struct LexOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// Throws TemplateError (with line and column) on an unterminated tag, string or bad character.
std::vector<Token> lex(const std::string& source, const LexOptions& options = {});

}  // namespace hearth::tmpl
