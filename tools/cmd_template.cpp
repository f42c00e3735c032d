// `hearth template (--template FILE | -m MODEL.gguf) --context CONTEXT.json [--now ...]`:
// renders a chat template with the variables in CONTEXT.json and prints exactly the rendering.
// With -m the template is the model's own `tokenizer.chat_template`, and bos_token / eos_token
// default to the model's tokens when the context does not set them.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli_util.h"
#include "command.h"
#include "gguf/gguf.h"
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

// The text of token `id_key` (e.g. tokenizer.ggml.bos_token_id), or "" when the model has none.
std::string special_token(const gguf::File& file, const char* id_key) {
  auto id = file.get_int(id_key);
  auto tokens = file.get_array("tokenizer.ggml.tokens");
  if (!id.ok() || !tokens.ok() || *id < 0) return "";
  const auto& items = (*tokens)->items;
  if (static_cast<size_t>(*id) >= items.size() || !items[static_cast<size_t>(*id)].is_string())
    return "";
  return items[static_cast<size_t>(*id)].as_string();
}

// Reads the template (and default special tokens) from a GGUF model.
Status load_model_template(const std::string& path, std::string& source,
                           nlohmann::ordered_json& context) {
  HEARTH_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path));
  auto text = file.get_string("tokenizer.chat_template");
  if (!text.ok())
    return not_found(path, " has no chat template (tokenizer.chat_template); pass --template");
  source = *text;
  if (!context.contains("bos_token"))
    context["bos_token"] = special_token(file, "tokenizer.ggml.bos_token_id");
  if (!context.contains("eos_token"))
    context["eos_token"] = special_token(file, "tokenizer.ggml.eos_token_id");
  return Status::Ok();
}

int cmd_template(int argc, char** argv) {
  CLI::App app{"Render a chat template (Jinja) with a JSON context", "template"};
  std::string template_path, model_path, context_path, now;
  auto* tmpl_opt = app.add_option("--template", template_path, "Jinja template file");
  app.add_option("-m,--model", model_path, "use this GGUF model's own chat template")
      ->excludes(tmpl_opt);
  app.add_option("--context", context_path,
                 "JSON object with the variables (messages, tools, add_generation_prompt, "
                 "bos_token, ...)")
      ->required();
  app.add_option("--now", now, "fix strftime_now's clock, e.g. 2026-01-02T03:04:05");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (template_path.empty() == model_path.empty()) {
    std::fprintf(stderr, "hearth template: give --template FILE or -m MODEL\n");
    return 2;
  }

  auto context_text = read_file(context_path);
  if (!context_text.ok()) return fail("template", context_text.status());
  nlohmann::ordered_json context =
      nlohmann::ordered_json::parse(*context_text, nullptr, /*allow_exceptions=*/false);
  if (context.is_discarded() || !context.is_object())
    return fail("template", invalid_argument(context_path, ": not a JSON object"));

  std::string source;
  std::string name = template_path.empty() ? model_path : template_path;
  if (!template_path.empty()) {
    auto text = read_file(template_path);
    if (!text.ok()) return fail("template", text.status());
    source = std::move(*text);
  } else if (Status s = load_model_template(model_path, source, context); !s.ok()) {
    return fail("template", s);
  }

  tmpl::RenderOptions options;
  if (!now.empty()) {
    auto t = tmpl::parse_time(now);
    if (!t.ok()) return fail("template", t.status());
    options.now = *t;
  }
  auto parsed = tmpl::Template::parse(source);
  if (!parsed.ok()) return fail("template", parsed.status().with_context(name));
  auto rendered = parsed->render(context, options);
  if (!rendered.ok()) return fail("template", rendered.status().with_context(name));
  std::fwrite(rendered->data(), 1, rendered->size(), stdout);
  return 0;
}

}  // namespace
HEARTH_COMMAND("template", "render a chat template with a JSON context", 60, cmd_template);
}  // namespace hearth::tools
