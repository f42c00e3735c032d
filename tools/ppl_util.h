// Shared by `hearth perplexity` and `hearth quality`: the negative log-likelihood accumulator
// and llama.cpp's chunking of a tokenized text.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

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

}  // namespace hearth::tools
