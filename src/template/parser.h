// Parser: tokens -> statement tree, with jinja2's operator precedence.
#pragma once

#include <vector>

#include "template/ast.h"
#include "template/lexer.h"

namespace hearth::tmpl {

// Throws TemplateError naming the line and column of the offending token.
Body parse(const std::vector<Token>& tokens);

}  // namespace hearth::tmpl
