// `hearth run -m MODEL [-p PROMPT] ...`: with a prompt, prints only the generated text to stdout
// as it is produced (statistics to stderr); without one, an interactive session reading lines
// from stdin, each continuing the same context.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli_util.h"
#include "command.h"
#include "fit/proc_memory.h"
#include "generate.h"
#include "model_loader.h"

namespace hearth::tools {
namespace {

constexpr int64_t kMaxDefaultCtx = 4096;  // the context chosen when -c is not given, at most

struct RunArgs {
  std::string model_path, prompt, memory;
  int n_predict = 128, n_ctx = 0, threads = 0;
  bool ignore_eos = false;
  std::vector<std::string> stops;
  sampling::SamplerParams sp;
  int64_t seed = -1;
};

void emit_stdout(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

int interactive(model::Session& session, const tokenizer::Tokenizer& tok,
                sampling::Sampler& sampler, const GenerateOptions& options) {
  const bool tty = isatty(STDIN_FILENO);
  if (tty)
    std::fprintf(stderr, "hearth: interactive; each line continues the text (Ctrl-D ends)\n");
  std::string line;
  bool first = true;
  while (true) {
    if (tty) std::fprintf(stderr, "> ");
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    std::vector<int32_t> tokens = tok.encode(first ? line : " " + line, /*add_special=*/first);
    if (session.n_past() + static_cast<int64_t>(tokens.size()) + 1 >= session.n_ctx()) {
      std::fprintf(stderr, "hearth run: context full, starting over\n");
      session.truncate(0);
      sampler.reset();
      tokens = tok.encode(line, true);
    }
    GenerateStats stats;
    Status s = generate(session, tok, sampler, tokens, options, emit_stdout, stats);
    if (!s.ok()) {
      std::fprintf(stderr, "hearth run: %s\n", s.message().c_str());
      continue;
    }
    std::printf("\n");
    std::fflush(stdout);
    std::fprintf(stderr, "[%s]\n", stats.summary().c_str());
    first = false;
  }
  return 0;
}

void add_options(CLI::App& app, RunArgs& a) {
  app.add_option("-m,--model", a.model_path, "GGUF model file")->required();
  app.add_option("-p,--prompt", a.prompt, "prompt (omit for an interactive session)");
  app.add_option("-n,--n-predict", a.n_predict, "tokens to generate (-1: until end of text)")
      ->check(CLI::Range(-1, 1 << 30));
  app.add_option("-c,--ctx-size,--ctx", a.n_ctx,
                 "context size (0: the model's, at most 4096, less if that does not fit --memory)")
      ->check(CLI::Range(0, 1 << 24));
  app.add_option("--memory", a.memory,
                 "memory to fit in, e.g. 8GB (default: this machine's available memory)");
  app.add_option("-t,--threads", a.threads, "threads (0: automatic)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--temp", a.sp.temperature, "temperature (0: greedy)");
  app.add_option("--top-k", a.sp.top_k, "top-k (0: off)");
  app.add_option("--top-p", a.sp.top_p, "top-p (1: off)");
  app.add_option("--min-p", a.sp.min_p, "min-p (0: off)");
  app.add_option("--repeat-penalty", a.sp.repeat_penalty, "repetition penalty (1: off)");
  app.add_option("--repeat-last-n", a.sp.penalty_last_n, "tokens the penalties look back over");
  app.add_option("--presence-penalty", a.sp.presence_penalty, "presence penalty");
  app.add_option("--frequency-penalty", a.sp.frequency_penalty, "frequency penalty");
  app.add_option("--seed", a.seed, "random seed (-1: from the clock)");
  app.add_option("--stop", a.stops, "stop string (repeatable)");
  app.add_flag("--ignore-eos", a.ignore_eos, "keep generating after end-of-text tokens");
}

int cmd_run(int argc, char** argv) {
  CLI::App app{"Generate text with a model", "run"};
  RunArgs a;
  add_options(app, a);
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  a.sp.seed =
      a.seed >= 0
          ? static_cast<uint64_t>(a.seed)
          : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  if (Status s = sampling::validate(a.sp); !s.ok()) {
    std::fprintf(stderr, "hearth run: %s\n", s.message().c_str());
    return 2;
  }
  // One sequence; the context from src/fit's plan, refused here when it cannot fit.
  auto plan = plan_context(a.model_path, a.n_ctx, 1, a.memory, kMaxDefaultCtx, 1);
  if (!plan.ok()) return fail("run", plan.status());
  fit::report_memory_stage("planned");
  auto loaded = load_model_and_tokenizer(a.model_path);
  if (!loaded.ok()) return fail("run", loaded.status());
  const model::Model& m = *loaded->model;
  const int64_t n_ctx = plan->n_ctx;
  if (a.n_ctx == 0 && n_ctx < std::min<int64_t>(m.config().n_ctx_train, kMaxDefaultCtx))
    std::fprintf(stderr, "hearth run: context %lld (what fits in %s)\n",
                 static_cast<long long>(n_ctx), fit::format_bytes(plan->memory_bytes).c_str());
  ThreadPool pool(resolve_threads(a.threads, m));
  fit::report_memory_stage("model and tokenizer loaded");
  model::Session session(m, pool, n_ctx);
  fit::report_memory_stage("KV cache allocated");
  sampling::Sampler sampler(a.sp);
  GenerateOptions options{a.n_predict, a.stops, a.ignore_eos};
  if (a.prompt.empty()) return interactive(session, *loaded->tokenizer, sampler, options);

  std::vector<int32_t> tokens = loaded->tokenizer->encode(a.prompt, /*add_special=*/true);
  GenerateStats stats;
  Status s = generate(session, *loaded->tokenizer, sampler, tokens, options, emit_stdout, stats);
  std::printf("\n");
  fit::report_memory_stage("generated");
  if (!s.ok()) return fail("run", s);
  std::fprintf(stderr, "hearth run: %s%s\n", stats.summary().c_str(),
               stats.context_full ? " (context full)" : "");
  return 0;
}

}  // namespace
HEARTH_COMMAND("run", "generate text from a prompt, or chat in the terminal", 10, cmd_run);
}  // namespace hearth::tools
