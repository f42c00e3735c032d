// Loading a model and its tokenizer for the run / logits / perplexity subcommands.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/status.h"
#include "fit/plan.h"
#include "fit/units.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace hearth::tools {

struct LoadedModel {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

inline Result<LoadedModel> load_model_and_tokenizer(const std::string& path) {
  LoadedModel m;
  HEARTH_ASSIGN_OR_RETURN(m.model, model::Model::load(path));
  auto tok = tokenizer::Tokenizer::from_gguf(m.model->file());
  if (!tok.ok()) return tok.status().with_context("loading the tokenizer of " + path);
  m.tokenizer = std::move(tok).value();
  if (m.tokenizer->n_vocab() != m.model->config().n_vocab)
    return invalid_argument(path, ": the tokenizer has ", m.tokenizer->n_vocab(),
                            " tokens but the model's output has ", m.model->config().n_vocab);
  return m;
}

// The context and parallel sequences for `hearth run` / `hearth serve`, from the header of the
// GGUF at `path` alone (before loading it): 0 for `n_ctx` / `n_parallel` means "choose" (the
// trained context up to `max_ctx`, the most of `max_parallel` halving down that fit). `memory` is
// the budget as typed ("12GB"); empty: this machine's MemAvailable. A setup that cannot fit is a
// kResourceExhausted error naming what it needs, what is available and what would fit.
inline Result<fit::Plan> plan_context(const std::string& path, int64_t n_ctx, int64_t n_parallel,
                                      const std::string& memory, int64_t max_ctx,
                                      int64_t max_parallel) {
  fit::PlanRequest request;
  request.n_ctx = n_ctx;
  request.n_parallel = n_parallel;
  request.default_max_ctx = max_ctx;
  request.max_parallel = max_parallel;
  if (!memory.empty()) {
    auto bytes = fit::parse_bytes(memory);
    if (!bytes.ok()) return bytes.status().with_context("--memory");
    if (*bytes == 0) return invalid_argument("--memory must be more than 0 bytes");
    request.memory_bytes = *bytes;
  }
  return fit::plan_for_file(path, request);
}

// Threads for `model`: `requested` if > 0; else 1 for tiny models (under 64 MiB of weights a
// matrix multiply takes microseconds and waking other threads costs more than it saves), else
// all hardware threads up to 8.
inline int resolve_threads(int requested, const model::Model& model) {
  if (requested > 0) return requested;
  if (model.weight_bytes() < (64u << 20)) return 1;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw < 8 ? hw : 8);
}

}  // namespace hearth::tools
