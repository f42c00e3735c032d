// `hearth logits -m MODEL -p PROMPT [--top K] [--greedy N]`: the prompt's tokens, the K best
// logits at every position and an optional greedy continuation, as one JSON object in the shape
// of ../shared/testdata/reference/*.logits.json (one element of those arrays).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli_util.h"
#include "command.h"
#include "model_loader.h"
#include "sampling/sampler.h"

namespace hearth::tools {
namespace {

nlohmann::json top_k_json(std::span<const float> logits, int k) {
  std::vector<int32_t> order(logits.size());  // (n_vocab)
  std::iota(order.begin(), order.end(), 0);
  k = std::min<int>(k, static_cast<int>(order.size()));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  nlohmann::json top = nlohmann::json::array();
  for (int r = 0; r < k; ++r) top.push_back({order[r], logits[order[r]]});
  return top;
}

int cmd_logits(int argc, char** argv) {
  CLI::App app{"Print a prompt's tokens, top logits per position and greedy continuation as JSON",
               "logits"};
  std::string model_path, prompt;
  int top = 5, greedy = 0, threads = 0;
  app.add_option("-m,--model", model_path, "GGUF model file")->required();
  app.add_option("-p,--prompt", prompt, "prompt text")->required();
  app.add_option("--top", top, "logits to list per position")->check(CLI::Range(1, 1000));
  app.add_option("--greedy", greedy, "greedy tokens to generate after the prompt")
      ->check(CLI::Range(0, 100000));
  app.add_option("-t,--threads", threads, "threads (0: automatic)")->check(CLI::NonNegativeNumber);
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;

  auto loaded = load_model_and_tokenizer(model_path);
  if (!loaded.ok()) return fail("logits", loaded.status());
  const auto& tok = *loaded->tokenizer;
  const model::Model& m = *loaded->model;
  std::vector<int32_t> tokens = tok.encode(prompt, /*add_special=*/true);
  if (tokens.empty()) return fail("logits", invalid_argument("the prompt has no tokens"));
  const int64_t n_ctx = static_cast<int64_t>(tokens.size()) + greedy;
  ThreadPool pool(resolve_threads(threads, m));
  model::Session session(m, pool, n_ctx);
  if (Status s = session.eval(tokens, model::Logits::kAll); !s.ok()) return fail("logits", s);

  const int64_t nv = m.config().n_vocab;
  nlohmann::json out;
  out["prompt"] = prompt;
  out["tokens"] = tokens;
  out["positions"] = nlohmann::json::array();
  for (size_t i = 0; i < tokens.size(); ++i)
    out["positions"].push_back({{"top", top_k_json(session.logits().subspan(i * nv, nv), top)}});
  if (greedy > 0) {
    std::vector<int32_t> gen;  // (greedy)
    std::string text;
    for (int i = 0; i < greedy; ++i) {
      gen.push_back(sampling::argmax(session.last_logits()));
      text += tok.token_to_piece(gen.back());
      if (i + 1 < greedy)
        if (Status s = session.eval(std::span(gen).last(1)); !s.ok()) return fail("logits", s);
    }
    out["greedy"] = gen;
    out["greedy_text"] = text;
  }
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace
HEARTH_COMMAND("logits", "print top logits per prompt position as JSON (golden tests)", 40,
               cmd_logits);
}  // namespace hearth::tools
