// Attention of one generated token over a tinyllama-1.1b-shaped KV cache (32 query heads, 4 KV
// heads of 64, f16 cache), one layer, single thread: the grouped kernel per ISA against calling
// the per-head entry point 32 times. Arg = context length (positions attended to). Reports the
// K/V bytes streamed per second and the time for all 22 layers of one token (`ms_per_token`).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "kernels/attention.h"
#include "kernels/kernels.h"

namespace {

using hearth::fp16_t;
using hearth::kernels::AttentionHeadArgs;
using hearth::kernels::Isa;

constexpr int64_t kHeads = 32, kKvHeads = 4, kDim = 64, kLayers = 22;

struct Layer {
  std::vector<fp16_t> k, v;  // (n_ctx, kKvHeads * kDim)
  std::vector<float> q;      // (kHeads * kDim)
  std::vector<float> out;    // (kHeads * kDim)
};

Layer make_layer(int64_t n_ctx) {
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Layer l;
  l.k.resize(n_ctx * kKvHeads * kDim);
  l.v.resize(n_ctx * kKvHeads * kDim);
  l.q.resize(kHeads * kDim);
  l.out.resize(kHeads * kDim);
  for (auto& x : l.k) x = hearth::float_to_fp16(dist(rng));
  for (auto& x : l.v) x = hearth::float_to_fp16(dist(rng));
  for (auto& x : l.q) x = dist(rng);
  return l;
}

AttentionHeadArgs args(const Layer& l, int64_t kvh, int64_t n_ctx) {
  AttentionHeadArgs a;
  a.k = l.k.data() + kvh * kDim;
  a.v = l.v.data() + kvh * kDim;
  a.k_stride = a.v_stride = kKvHeads * kDim;
  a.n_kv = n_ctx;
  a.head_dim_k = a.head_dim_v = kDim;
  a.scale = 1.0f / std::sqrt(static_cast<float>(kDim));
  return a;
}

void report(benchmark::State& state, int64_t n_ctx, Isa isa) {
  const double kv_bytes = 2.0 * n_ctx * kKvHeads * kDim * sizeof(fp16_t);  // K and V
  state.counters["GB/s"] =
      benchmark::Counter(1e-9 * kv_bytes * state.iterations(), benchmark::Counter::kIsRate);
  // shown as CPU seconds / value = ms of all layers per token
  state.counters["ms_per_token"] =
      benchmark::Counter(state.iterations() / (1e3 * kLayers),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(hearth::kernels::isa_name(isa));
}

void attention_grouped(benchmark::State& state, Isa isa) {
  const Isa active = hearth::kernels::set_active_isa(isa);
  const int64_t n_ctx = state.range(0);
  Layer l = make_layer(n_ctx);
  const int64_t group = kHeads / kKvHeads;
  for (auto _ : state) {
    for (int64_t kvh = 0; kvh < kKvHeads; ++kvh) {
      AttentionHeadArgs a = args(l, kvh, n_ctx);
      a.q = l.q.data() + kvh * group * kDim;
      hearth::kernels::attention_group(a, group, kDim, l.out.data() + kvh * group * kDim, kDim);
    }
    benchmark::DoNotOptimize(l.out.data());
  }
  report(state, n_ctx, active);
}

void attention_per_head(benchmark::State& state, Isa isa) {
  const Isa active = hearth::kernels::set_active_isa(isa);
  const int64_t n_ctx = state.range(0);
  Layer l = make_layer(n_ctx);
  std::vector<float> scratch(2 * kDim);  // (head_dim_k + head_dim_v)
  for (auto _ : state) {
    for (int64_t h = 0; h < kHeads; ++h) {
      AttentionHeadArgs a = args(l, h / (kHeads / kKvHeads), n_ctx);
      a.q = l.q.data() + h * kDim;
      hearth::kernels::attention_head(a, scratch.data(), l.out.data() + h * kDim);
    }
    benchmark::DoNotOptimize(l.out.data());
  }
  report(state, n_ctx, active);
}

BENCHMARK_CAPTURE(attention_grouped, scalar, Isa::kScalar)->Arg(640)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(attention_grouped, avx2, Isa::kAvx2)
    ->Arg(64)
    ->Arg(640)
    ->Arg(4096)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(attention_per_head, avx2, Isa::kAvx2)->Arg(640)->Unit(benchmark::kMicrosecond);

}  // namespace
