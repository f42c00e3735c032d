// Engine decode steps without HTTP: N sequences (Arg 0) with 128-token random prompts are
// prefilled, then each benchmark iteration is one Engine::step() in which every sequence decodes
// one token (greedy, ignore_eos). The model is HEARTH_BENCH_MODEL (default
// /work/models/tinyllama-q4_k_m.gguf), threads HEARTH_BENCH_THREADS (default 2).
//
// Time is the process CPU time (all pool threads), so the figure holds on a loaded machine;
// counters: `tok_per_cpu_s` (decoded tokens per CPU second of the whole process),
// `overhead_ms` (engine-thread CPU ms per step outside the forward: scheduling, batch build,
// sampling, stop checks), `main_share` (the step thread's share of the process CPU: 1/threads
// when all work is split evenly, more when work runs on the step thread alone).
#include <benchmark/benchmark.h>
#include <time.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "engine/engine.h"
#include "engine/model_forward.h"
#include "kv/kv_cache_manager.h"
#include "model/model.h"

namespace {

using namespace hearth;

class PlainVocab : public engine::Vocab {
 public:
  std::string token_piece(int32_t) const override { return "x"; }
  bool is_eog(int32_t) const override { return false; }
};

constexpr int kPromptTokens = 128;
constexpr int kWarmSteps = 2;  // pure decode steps before timing

struct Loaded {
  std::unique_ptr<model::Model> model;
  std::string error;
};

const Loaded& loaded_model() {
  static Loaded l = [] {
    Loaded r;
    const char* env = std::getenv("HEARTH_BENCH_MODEL");
    const std::string path = env ? env : "/work/models/tinyllama-q4_k_m.gguf";
    auto m = model::Model::load(path);
    if (!m.ok())
      r.error = m.status().message() + " (set HEARTH_BENCH_MODEL to a GGUF model)";
    else
      r.model = std::move(m).value();
    return r;
  }();
  return l;
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double thread_cpu_seconds() {
  return cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
}
double process_cpu_seconds() {
  return cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

int bench_threads() {
  const char* env = std::getenv("HEARTH_BENCH_THREADS");
  return env ? std::max(1, std::atoi(env)) : 2;
}

void engine_decode_step(benchmark::State& state) {
  const Loaded& l = loaded_model();
  if (!l.model) return state.SkipWithError(l.error.c_str());
  const int n_seqs = static_cast<int>(state.range(0));
  const int max_steps = static_cast<int>(state.max_iterations) + kWarmSteps + 64;
  engine::EngineConfig ec;
  ec.sched.max_num_seqs = n_seqs;
  ec.sched.max_model_len = kPromptTokens + max_steps + 1;
  ec.sched.max_tokens_per_step = std::max(512, n_seqs + 64);
  ec.n_blocks = n_seqs * kv::KVCacheManager::blocks_for(ec.sched.max_model_len);
  ec.prefix_cache = false;
  ThreadPool pool(bench_threads());
  engine::ModelForward forward(*l.model, pool, ec.n_blocks);
  PlainVocab vocab;
  engine::Engine eng(ec, forward, vocab);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> tok(3, static_cast<int32_t>(forward.n_vocab()) - 1);
  for (int s = 0; s < n_seqs; ++s) {
    auto req = std::make_shared<engine::Request>();
    req->prompt.resize(kPromptTokens);  // (kPromptTokens) random ids
    for (int32_t& t : req->prompt) t = tok(rng);
    req->params.temperature = 0;
    req->params.ignore_eos = true;
    req->params.max_tokens = max_steps;
    if (!eng.submit(req).ok()) return state.SkipWithError("submit failed");
  }
  // Prefill, then decode steps until kWarmSteps in a row decode every sequence and nothing else.
  for (int clean = 0; clean < kWarmSteps;) {
    const engine::EngineStats a = eng.stats();
    if (!eng.step()) return state.SkipWithError("the engine stopped before decoding");
    const engine::EngineStats b = eng.stats();
    const bool pure = b.prompt_tokens == a.prompt_tokens &&
                      b.generated_tokens - a.generated_tokens == static_cast<uint64_t>(n_seqs);
    clean = pure ? clean + 1 : 0;
  }
  const engine::EngineStats before = eng.stats();
  const double main_cpu0 = thread_cpu_seconds(), process_cpu0 = process_cpu_seconds();
  for (auto _ : state) eng.step();
  const double main_cpu = thread_cpu_seconds() - main_cpu0;
  const double process_cpu = process_cpu_seconds() - process_cpu0;
  const engine::EngineStats after = eng.stats();
  const double steps = static_cast<double>(after.steps - before.steps);
  const double tokens = static_cast<double>(after.generated_tokens - before.generated_tokens);
  if (tokens != steps * n_seqs) state.SkipWithError("a step did not decode every sequence");
  state.counters["tok_per_cpu_s"] =
      benchmark::Counter(tokens, benchmark::Counter::kIsRate);  // per CPU second
  state.counters["main_share"] = main_cpu / process_cpu;
  state.counters["overhead_ms"] =
      1e3 * (after.overhead_cpu_seconds - before.overhead_cpu_seconds) / steps;
}

BENCHMARK(engine_decode_step)
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Iterations(24)
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
