// `hearth perplexity -m MODEL -f TEXT [-c CTX]`: llama.cpp's perplexity. The tokenized text
// (with BOS if the vocabulary adds one) is cut into chunks of CTX tokens; each chunk is run
// from an empty cache with its first token replaced by BOS, and the second half of each chunk
// is scored. `--kl-divergence-base FILE` saves the scored logits; `--kl-divergence` compares
// this model against them (mean KL divergence, top-1 agreement).
#include <CLI/CLI.hpp>
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

int run_perplexity(const PplArgs& a, const ChunkedText& ct) {
  const int64_t n_ctx = ct.n_ctx, first = n_ctx / 2, n_chunk = ct.n_chunk;
  const int64_t nv = ct.lm.model->config().n_vocab;
  KldWriter base;
  KldReader cmp;
  if (!a.kld_base.empty())
    if (Status s = base.open(a.kld_base, n_ctx, nv, ct.tokens, n_chunk); !s.ok())
      return fail("perplexity", s);
  if (!a.kld_compare.empty())
    if (Status s = cmp.open(a.kld_compare, n_ctx, nv, ct.tokens, n_chunk); !s.ok())
      return fail("perplexity", s);

  ThreadPool pool(resolve_threads(a.threads, *ct.lm.model));
  model::Session session(*ct.lm.model, pool, n_ctx);
  PplAccumulator acc;
  KldStats kld;
  std::fprintf(stderr, "perplexity: %lld chunks of %d tokens, scoring the last %lld of each\n",
               static_cast<long long>(n_chunk), a.n_ctx, static_cast<long long>(n_ctx - 1 - first));
  ChunkProgress progress(ct);
  for (int64_t c = 0; c < n_chunk; ++c) {
    if (Status s = eval_chunk(session, ct, c, model::Logits::kAll); !s.ok())
      return fail("perplexity", s);
    for (int64_t j = first; j < n_ctx - 1; ++j) {
      std::span<const float> row = session.logits().subspan(j * nv, nv);  // (n_vocab)
      const int32_t target = ct.tokens[c * n_ctx + j + 1];
      acc.add(-log_prob(row, target));
      if (base.is_open()) base.write_row(row);
      if (cmp.is_open())
        if (Status s = cmp.compare_row(row, target, kld); !s.ok()) return fail("perplexity", s);
    }
    char ppl[48];
    std::snprintf(ppl, sizeof ppl, "PPL %.4f  ", acc.ppl());
    progress.print(c + 1, ppl);
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
  // llama.cpp's perplexity needs 2 x ctx tokens.
  auto ct = load_chunked_text(a.model_path, a.text_path, a.n_ctx, a.chunks, 2, "perplexity");
  if (!ct.ok()) return fail("perplexity", ct.status());
  return run_perplexity(a, *ct);
}

}  // namespace
HEARTH_COMMAND("perplexity", "measure perplexity on a text file (llama.cpp's method)", 50,
               cmd_perplexity);
}  // namespace hearth::tools
