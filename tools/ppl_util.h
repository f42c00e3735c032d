// Shared by `hearth perplexity`, `hearth imatrix` and `hearth quality`: loading a model with a
// tokenized text cut into llama.cpp's chunks, running one chunk, progress lines, and the
// negative log-likelihood accumulator.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "model_loader.h"
#include "tokenizer/tokenizer.h"

namespace hearth::tools {

struct PplAccumulator {
  double nll = 0, nll2 = 0;
  int64_t count = 0;
  void add(double v) {
    nll += v;
    nll2 += v * v;
    ++count;
  }
  double ppl() const { return std::exp(nll / count); }
  double ppl_err() const {  // llama.cpp: stderr of the mean NLL, scaled by PPL
    double mean = nll / count, var = nll2 / count - mean * mean;
    return var > 0 && count > 1 ? std::sqrt(var / (count - 1)) * ppl() : 0.0;
  }
};

// log p(token) under softmax(logits (n_vocab)), in double.
inline double log_prob(std::span<const float> logits, int32_t token) {
  float max_logit = logits[0];
  for (float l : logits) max_logit = std::max(max_logit, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max_logit));
  return static_cast<double>(logits[token] - max_logit) - std::log(sum);
}

// Chunk c (n_ctx tokens) of `tokens`, its first token replaced by BOS when the vocabulary adds
// one (llama.cpp's perplexity and imatrix).
inline std::vector<int32_t> text_chunk(const std::vector<int32_t>& tokens, int64_t c, int64_t n_ctx,
                                       const tokenizer::Tokenizer& tok) {
  std::vector<int32_t> chunk(tokens.begin() + c * n_ctx, tokens.begin() + (c + 1) * n_ctx);
  if (tok.add_bos()) chunk[0] = tok.bos();
  return chunk;
}

// A model, its tokenizer and a text tokenized as llama.cpp's perplexity / imatrix do (BOS added
// when the vocabulary adds one), cut into n_chunk chunks of n_ctx tokens.
struct ChunkedText {
  LoadedModel lm;
  std::vector<int32_t> tokens;  // (n_tokens) the whole text
  int64_t n_ctx = 0, n_chunk = 0;
};

// Reads `text_path`, loads `model_path`, tokenizes; n_chunk = tokens / n_ctx, at most
// `max_chunks` (< 0: no limit). Fewer than `min_chunks` whole chunks is an error naming what
// is needed. `cmd` ("perplexity") prefixes the warning for a context past the trained one.
inline Result<ChunkedText> load_chunked_text(const std::string& model_path,
                                             const std::string& text_path, int64_t n_ctx,
                                             int64_t max_chunks, int64_t min_chunks,
                                             const char* cmd) {
  HEARTH_ASSIGN_OR_RETURN(std::string text, read_file_to_string(text_path));
  ChunkedText ct;
  HEARTH_ASSIGN_OR_RETURN(ct.lm, load_model_and_tokenizer(model_path));
  if (n_ctx > ct.lm.model->config().n_ctx_train)
    std::fprintf(stderr, "hearth %s: warning: -c %lld exceeds the model's training context %lld\n",
                 cmd, static_cast<long long>(n_ctx),
                 static_cast<long long>(ct.lm.model->config().n_ctx_train));
  ct.tokens = ct.lm.tokenizer->encode(text, /*add_special=*/true);
  ct.n_ctx = n_ctx;
  const int64_t whole = static_cast<int64_t>(ct.tokens.size()) / n_ctx;
  if (whole < min_chunks)
    return invalid_argument(text_path, " has ", ct.tokens.size(), " tokens; at least ",
                            min_chunks * n_ctx, " (", min_chunks, " x -c ", n_ctx,
                            ") are needed (lower -c or use a longer text)");
  ct.n_chunk = max_chunks >= 0 ? std::min(whole, max_chunks) : whole;
  return ct;
}

// Runs chunk c of `ct` through `session` from an empty cache.
inline Status eval_chunk(model::Session& session, const ChunkedText& ct, int64_t c,
                         model::Logits logits) {
  session.truncate(0);
  return session.eval(text_chunk(ct.tokens, c, ct.n_ctx, *ct.lm.tokenizer), logits);
}

// "\r[c/n] <extra> (secs s, t/s)" progress on stderr since construction.
class ChunkProgress {
 public:
  explicit ChunkProgress(const ChunkedText& ct) : ct_(ct) {}
  void print(int64_t done, const char* extra = "") const {
    const double secs = seconds();
    std::fprintf(stderr, "\r[%lld/%lld] %s(%.1f s, %.0f t/s)", static_cast<long long>(done),
                 static_cast<long long>(ct_.n_chunk), extra, secs,
                 secs > 0 ? static_cast<double>(done * ct_.n_ctx) / secs : 0.0);
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  const ChunkedText& ct_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace hearth::tools
