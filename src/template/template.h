// Chat templates: a Jinja interpreter that renders the templates models ship with
// (tokenizer.chat_template) exactly as Python's jinja2 does under Hugging Face's settings:
// sandboxed, trim_blocks and lstrip_blocks on, loop controls, `{% generation %}` blocks,
// tojson with ensure_ascii=False, and the globals raise_exception(msg) and strftime_now(fmt).
//
//   HEARTH_ASSIGN_OR_RETURN(auto tmpl, tmpl::Template::parse(source));
//   HEARTH_ASSIGN_OR_RETURN(std::string prompt, tmpl.render(context));
#pragma once

#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/status.h"
#include "template/interpreter.h"

namespace hearth::tmpl {

struct RenderOptions {
  std::optional<std::tm> now;  // the clock of strftime_now; unset = local time
  Limits limits;
};

class Template {
 public:
  // A syntax error names the line and column: "line 3, column 7: TemplateSyntaxError: ...".
  static Result<Template> parse(const std::string& source);
  // `context` holds the variables (messages, tools, add_generation_prompt, bos_token, ...).
  // A runtime error (raise_exception, undefined use, type errors, limits) names line and column.
  Result<std::string> render(const nlohmann::ordered_json& context,
                             const RenderOptions& options = {}) const;

 private:
  std::shared_ptr<const Body> body_;
};

// Parses "2026-01-02T03:04:05" (or "2026-01-02 03:04:05", or a date alone) as a local time.
Result<std::tm> parse_time(const std::string& text);

}  // namespace hearth::tmpl
