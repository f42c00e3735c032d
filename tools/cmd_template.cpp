// `hearth template --template FILE --context CONTEXT.json [--now 2026-01-02T03:04:05]`:
// renders a chat template with the variables in CONTEXT.json and prints exactly the rendering.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli_util.h"
#include "command.h"
#include "template/template.h"

namespace hearth::tools {
namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open ", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int cmd_template(int argc, char** argv) {
  CLI::App app{"Render a chat template (Jinja) with a JSON context", "template"};
  std::string template_path, context_path, now;
  app.add_option("--template", template_path, "Jinja template file")->required();
  app.add_option("--context", context_path,
                 "JSON object with the variables (messages, tools, add_generation_prompt, "
                 "bos_token, ...)")
      ->required();
  app.add_option("--now", now, "fix strftime_now's clock, e.g. 2026-01-02T03:04:05");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;

  auto source = read_file(template_path);
  if (!source.ok()) return fail("template", source.status());
  auto context_text = read_file(context_path);
  if (!context_text.ok()) return fail("template", context_text.status());
  nlohmann::ordered_json context =
      nlohmann::ordered_json::parse(*context_text, nullptr, /*allow_exceptions=*/false);
  if (context.is_discarded() || !context.is_object())
    return fail("template", invalid_argument(context_path, ": not a JSON object"));

  tmpl::RenderOptions options;
  if (!now.empty()) {
    auto t = tmpl::parse_time(now);
    if (!t.ok()) return fail("template", t.status());
    options.now = *t;
  }
  auto parsed = tmpl::Template::parse(*source);
  if (!parsed.ok()) return fail("template", parsed.status().with_context(template_path));
  auto rendered = parsed->render(context, options);
  if (!rendered.ok()) return fail("template", rendered.status().with_context(template_path));
  std::fwrite(rendered->data(), 1, rendered->size(), stdout);
  return 0;
}

}  // namespace
HEARTH_COMMAND("template", "render a chat template with a JSON context", 60, cmd_template);
}  // namespace hearth::tools
