// All matrix-vector products of one generated token of a tinyllama-1.1b-shaped model (dim 2048,
// 22 layers, 4 KV heads of 64, ffn 5632, vocabulary 32000), every weight in one type: the
// weight-streaming part of tg128. Reports GB/s of weights, matmul-only tokens/s, and the share
// of the read bandwidth measured in the same process (`roofline_pct`).
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "kernels/bandwidth.h"
#include "kernels/kernels.h"
#include "kernels/repack.h"
#include "quant/type_traits.h"

namespace {

using hearth::ThreadPool;
using hearth::kernels::Isa;
using hearth::kernels::Matrix;
using hearth::quant::GgmlType;

struct Shape {
  int64_t rows, cols;
};

// One layer's weights (q, k, v, o, gate, up, down), then the output matrix.
std::vector<Shape> tinyllama_shapes() {
  std::vector<Shape> s;
  for (int l = 0; l < 22; ++l) {
    for (Shape m : {Shape{2048, 2048}, Shape{256, 2048}, Shape{256, 2048}, Shape{2048, 2048},
                    Shape{5632, 2048}, Shape{5632, 2048}, Shape{2048, 5632}}) {
      s.push_back(m);
    }
  }
  s.push_back({32000, 2048});
  return s;
}

struct Model {
  std::vector<std::unique_ptr<uint8_t[]>> bytes;  // one buffer per matrix, (rows, row_bytes)
  std::vector<Matrix> mats;
  size_t total_bytes = 0;
};

Model make_model(GgmlType type, bool repack = false) {
  const auto& tt = hearth::quant::type_traits(type);
  const uint16_t scale = hearth::float_to_fp16(0.01f);
  size_t scale_off = 0;  // where d sits in a block: K-quants with d last are set separately
  if (type == GgmlType::kQ6_K) scale_off = 208;
  Model m;
  std::mt19937 rng(3);
  for (Shape s : tinyllama_shapes()) {
    const size_t row_bytes = static_cast<size_t>(s.cols / tt.block_size) * tt.type_size;
    const size_t n = row_bytes * s.rows;
    auto buf = std::make_unique<uint8_t[]>(n);
    for (size_t i = 0; i + 4 <= n; i += 4) {
      const uint32_t r = rng();
      std::memcpy(&buf[i], &r, 4);
    }
    for (size_t b = 0; b < n / tt.type_size; ++b) {
      std::memcpy(&buf[b * tt.type_size + scale_off], &scale, 2);
      if (type == GgmlType::kQ4_K) std::memcpy(&buf[b * tt.type_size + 2], &scale, 2);
    }
    m.mats.push_back(
        Matrix{static_cast<uint32_t>(type), buf.get(), s.rows, s.cols, row_bytes, nullptr});
    if (repack) {  // the loader's layout; the GGUF rows stay allocated here but are not read
      m.mats.back().repacked = hearth::kernels::repack_matrix(m.mats.back());
    }
    m.total_bytes += n;
    m.bytes.push_back(std::move(buf));
  }
  return m;
}

void token_matmuls(benchmark::State& state, GgmlType type) {
  ThreadPool pool(static_cast<int>(state.range(0)));  // threads
  const Isa isa = hearth::kernels::detected_isa();
  hearth::kernels::set_active_isa(isa);
  const Model model = make_model(type, state.range(1) != 0);
  std::vector<float> x(5632, 0.1f), y(32000);  // (max cols), (max rows)
  for (const Matrix& w : model.mats) hearth::kernels::matmul(pool, w, x.data(), 1, y.data());
  for (auto _ : state) {
    for (const Matrix& w : model.mats) hearth::kernels::matmul(pool, w, x.data(), 1, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  const double bw = hearth::kernels::measure_read_bandwidth(pool, 1ull << 30, 3);
  state.counters["GB/s"] = benchmark::Counter(1e-9 * state.iterations() * model.total_bytes,
                                              benchmark::Counter::kIsRate);
  state.counters["tok/s"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
  state.counters["read_GB/s"] = bw;
  state.counters["weights_GB"] = 1e-9 * model.total_bytes;
  state.SetLabel(hearth::kernels::isa_name(isa));
}

// All matrix products of a 64-token prompt batch (prompt processing, matmul part only).
void prompt_matmuls(benchmark::State& state, GgmlType type) {
  ThreadPool pool(2);
  hearth::kernels::set_active_isa(hearth::kernels::detected_isa());
  const Model model = make_model(type);
  const int64_t n_tokens = 64;
  std::vector<float> x(n_tokens * 5632, 0.1f), y(n_tokens * 32000);  // (n_tokens, max cols|rows)
  double flops = 0;
  for (const Matrix& w : model.mats) flops += 2.0 * w.rows * w.cols * n_tokens;
  for (auto _ : state) {
    for (const Matrix& w : model.mats) {
      hearth::kernels::matmul(pool, w, x.data(), n_tokens, y.data());
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(1e-9 * flops * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["tok/s"] =
      benchmark::Counter(double(n_tokens) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(prompt_matmuls, Q4_0, GgmlType::kQ4_0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(prompt_matmuls, Q4_K, GgmlType::kQ4_K)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(prompt_matmuls, Q8_0, GgmlType::kQ8_0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

BENCHMARK_CAPTURE(token_matmuls, Q4_0, GgmlType::kQ4_0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0)
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->ArgNames({"threads", "repacked"});
BENCHMARK_CAPTURE(token_matmuls, Q4_K, GgmlType::kQ4_K)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0)
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->ArgNames({"threads", "repacked"});
BENCHMARK_CAPTURE(token_matmuls, Q6_K, GgmlType::kQ6_K)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0)
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->ArgNames({"threads", "repacked"});
BENCHMARK_CAPTURE(token_matmuls, Q8_0, GgmlType::kQ8_0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0)
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->ArgNames({"threads", "repacked"});

}  // namespace
