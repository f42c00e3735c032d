// The generation loop shared by `hearth run` and the demo: prompt -> sampled tokens -> text
// pieces handed to `emit` as soon as they are complete UTF-8 and cannot start a stop string.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/model.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace hearth::tools {

struct GenerateOptions {
  int n_predict = 128;             // tokens to generate at most (< 0: until EOG or context end)
  std::vector<std::string> stops;  // stop strings (not printed)
  bool ignore_eos = false;
};

struct GenerateStats {
  int64_t n_prompt = 0;
  double prompt_seconds = 0;
  int64_t n_generated = 0;
  double generate_seconds = 0;
  bool context_full = false;
  std::string summary() const;  // "prompt: 8 tokens, 812.3 t/s | generation: 64 tokens, 95.1 t/s"
};

// Evaluates `prompt` (appended to what `session` already holds) and samples until EOG, a stop
// string, n_predict tokens or a full context.
Status generate(model::Session& session, const tokenizer::Tokenizer& tok,
                sampling::Sampler& sampler, std::span<const int32_t> prompt,
                const GenerateOptions& options, const std::function<void(std::string_view)>& emit,
                GenerateStats& stats);

}  // namespace hearth::tools
