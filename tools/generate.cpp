#include "generate.h"

#include <chrono>

#include "sampling/stop.h"

namespace hearth::tools {

std::string GenerateStats::summary() const {
  auto rate = [](int64_t n, double s) { return s > 0 ? n / s : 0.0; };
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "prompt: %lld tokens, %.1f t/s | generation: %lld tokens, %.1f t/s",
                static_cast<long long>(n_prompt), rate(n_prompt, prompt_seconds),
                static_cast<long long>(n_generated), rate(n_generated, generate_seconds));
  return buf;
}

Status generate(model::Session& session, const tokenizer::Tokenizer& tok,
                sampling::Sampler& sampler, std::span<const int32_t> prompt,
                const GenerateOptions& options, const std::function<void(std::string_view)>& emit,
                GenerateStats& stats) {
  using Clock = std::chrono::steady_clock;
  if (prompt.empty()) return invalid_argument("the prompt has no tokens");
  if (session.n_past() + static_cast<int64_t>(prompt.size()) >= session.n_ctx())
    return invalid_argument("the prompt (", prompt.size(), " tokens, ", session.n_past(),
                            " already in context) does not fit in the context of ", session.n_ctx(),
                            " tokens (raise -c)");
  auto t0 = Clock::now();
  HEARTH_RETURN_IF_ERROR(session.eval(prompt));
  for (int32_t t : prompt) sampler.accept(t);
  stats.n_prompt += prompt.size();
  stats.prompt_seconds += std::chrono::duration<double>(Clock::now() - t0).count();

  tokenizer::StreamDecoder decoder(tok);
  sampling::StopMatcher stops(options.stops);
  auto t1 = Clock::now();
  for (int i = 0; options.n_predict < 0 || i < options.n_predict; ++i) {
    const int32_t next = sampler.sample(session.last_logits());
    if (!options.ignore_eos && tok.is_eog(next)) break;
    sampler.accept(next);
    ++stats.n_generated;
    std::string text = stops.push(decoder.feed(next));
    if (!text.empty()) emit(text);
    if (stops.stopped()) break;
    if (session.n_past() >= session.n_ctx()) {
      stats.context_full = true;
      break;
    }
    const int32_t one[1] = {next};
    HEARTH_RETURN_IF_ERROR(session.eval(one));
  }
  if (!stops.stopped()) {
    std::string rest = stops.push(decoder.flush());
    rest += stops.flush();
    if (!rest.empty()) emit(rest);
  }
  stats.generate_seconds += std::chrono::duration<double>(Clock::now() - t1).count();
  return Status::Ok();
}

}  // namespace hearth::tools
