// `hearth perplexity -m MODEL -f TEXT [-c CTX]`: llama.cpp's perplexity. The tokenized text
// (with BOS if the vocabulary adds one) is cut into chunks of CTX tokens; each chunk is run
// from an empty cache with its first token replaced by BOS, and the second half of each chunk
// is scored. `--kl-divergence-base FILE` saves the scored logits; `--kl-divergence` compares
// this model against them (mean KL divergence, top-1 agreement).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli_util.h"
#include "command.h"
#include "core/mapped_file.h"
#include "kld_file.h"
#include "model_loader.h"
#include "ppl_util.h"

namespace hearth::tools {
namespace {

struct PplArgs {
  std::string model_path, text_path, kld_base, kld_compare;
  int n_ctx = 512, threads = 0, chunks = -1;
};

int run_perplexity(const PplArgs& a, LoadedModel& lm, const std::vector<int32_t>& tokens) {
  const int64_t n_ctx = a.n_ctx, first = n_ctx / 2;
  int64_t n_chunk = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (a.chunks >= 0) n_chunk = std::min<int64_t>(n_chunk, a.chunks);
  const int64_t nv = lm.model->config().n_vocab;
  KldWriter base;
  KldReader cmp;
  if (!a.kld_base.empty())
    if (Status s = base.open(a.kld_base, n_ctx, nv, tokens, n_chunk); !s.ok())
      return fail("perplexity", s);
  if (!a.kld_compare.empty())
    if (Status s = cmp.open(a.kld_compare, n_ctx, nv, tokens, n_chunk); !s.ok())
      return fail("perplexity", s);

  ThreadPool pool(resolve_threads(a.threads, *lm.model));
  model::Session session(*lm.model, pool, n_ctx);
  PplAccumulator acc;
  KldStats kld;
  std::fprintf(stderr, "perplexity: %lld chunks of %d tokens, scoring the last %lld of each\n",
               static_cast<long long>(n_chunk), a.n_ctx, static_cast<long long>(n_ctx - 1 - first));
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t c = 0; c < n_chunk; ++c) {
    std::vector<int32_t> chunk = text_chunk(tokens, c, n_ctx, *lm.tokenizer);
    session.truncate(0);
    if (Status s = session.eval(chunk, model::Logits::kAll); !s.ok()) return fail("perplexity", s);
    for (int64_t j = first; j < n_ctx - 1; ++j) {
      std::span<const float> row = session.logits().subspan(j * nv, nv);  // (n_vocab)
      const int32_t target = tokens[c * n_ctx + j + 1];
      acc.add(-log_prob(row, target));
      if (base.is_open()) base.write_row(row);
      if (cmp.is_open())
        if (Status s = cmp.compare_row(row, target, kld); !s.ok()) return fail("perplexity", s);
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\r[%lld/%lld] PPL %.4f  (%.1f s, %.0f t/s)",
                 static_cast<long long>(c + 1), static_cast<long long>(n_chunk), acc.ppl(), secs,
                 (c + 1) * n_ctx / secs);
  }
  std::fprintf(stderr, "\n");
  if (base.is_open())
    if (Status s = base.close(); !s.ok()) return fail("perplexity", s);
  std::printf("Final estimate: PPL = %.4f +/- %.5f\n", acc.ppl(), acc.ppl_err());
  if (cmp.is_open()) std::printf("%s", kld.report().c_str());
  return 0;
}

int cmd_perplexity(int argc, char** argv) {
  CLI::App app{"Perplexity of a model on a text file (llama.cpp's method)", "perplexity"};
  PplArgs a;
  app.add_option("-m,--model", a.model_path, "GGUF model file")->required();
  app.add_option("-f,--file", a.text_path, "text file")->required();
  app.add_option("-c,--ctx-size", a.n_ctx, "tokens per chunk")->check(CLI::Range(8, 1 << 20));
  app.add_option("-t,--threads", a.threads, "threads (0: automatic)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--chunks", a.chunks, "score at most this many chunks (-1: all)")
      ->check(CLI::Range(-1, 1 << 30));
  app.add_option("--kl-divergence-base", a.kld_base, "save the scored logits to this file");
  app.add_option("--kl-divergence", a.kld_compare,
                 "compare against logits saved with --kl-divergence-base");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (!a.kld_base.empty() && !a.kld_compare.empty()) {
    std::fprintf(stderr,
                 "hearth perplexity: use one of --kl-divergence-base and --kl-divergence\n");
    return 2;
  }
  auto text = read_file_to_string(a.text_path);
  if (!text.ok()) return fail("perplexity", text.status());
  auto lm = load_model_and_tokenizer(a.model_path);
  if (!lm.ok()) return fail("perplexity", lm.status());
  if (a.n_ctx > lm->model->config().n_ctx_train)
    std::fprintf(stderr,
                 "hearth perplexity: warning: -c %d exceeds the model's training context %lld\n",
                 a.n_ctx, static_cast<long long>(lm->model->config().n_ctx_train));
  std::vector<int32_t> tokens = lm->tokenizer->encode(*text, /*add_special=*/true);
  if (static_cast<int64_t>(tokens.size()) < 2 * a.n_ctx)
    return fail("perplexity", invalid_argument(a.text_path, " has ", tokens.size(),
                                               " tokens; at least 2 x ctx = ", 2 * a.n_ctx,
                                               " are needed (lower -c)"));
  return run_perplexity(a, *lm, tokens);
}

}  // namespace
HEARTH_COMMAND("perplexity", "measure perplexity on a text file (llama.cpp's method)", 50,
               cmd_perplexity);
}  // namespace hearth::tools
