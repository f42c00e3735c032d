// Loading a model and its tokenizer for the run / logits / perplexity subcommands.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/status.h"
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
