// Micro-benchmarks of the tiled GEMM over repacked weights (kernels/repack.h): GFLOP/s per type
// and ISA for a 2048 x 2048 matrix (cache-resident per row group, like a tinyllama projection)
// at 64 and 512 tokens, and the GEMV case (1 token) in GB/s of weights; threads = 2.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "kernels/kernels.h"
#include "kernels/repack.h"
#include "quant/type_traits.h"

namespace {

using hearth::ThreadPool;
using hearth::kernels::Isa;
using hearth::kernels::Matrix;
using hearth::quant::GgmlType;

ThreadPool& pool2() {
  static ThreadPool p(2);
  return p;
}
ThreadPool& pool1() {
  static ThreadPool p(1);
  return p;
}

size_t scale_offset(GgmlType type) {  // the fp16 d of one block
  return type == GgmlType::kQ6_K ? 208 : 0;
}

// (rows, cols) random blocks with sane scales, repacked (or not, `repack` = false).
struct PackedMatrix {
  std::vector<uint8_t> bytes;  // (rows, row_bytes)
  Matrix m;
  PackedMatrix(GgmlType type, int64_t rows, int64_t cols, bool repack) {
    const auto& tt = hearth::quant::type_traits(type);
    const size_t row_bytes = static_cast<size_t>(cols / tt.block_size) * tt.type_size;
    bytes.resize(row_bytes * rows);
    std::mt19937 rng(1);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    const uint16_t scale = hearth::float_to_fp16(0.01f);
    for (size_t b = 0; b < bytes.size() / tt.type_size; ++b) {
      std::memcpy(&bytes[b * tt.type_size + scale_offset(type)], &scale, 2);
      if (type == GgmlType::kQ4_K) std::memcpy(&bytes[b * tt.type_size + 2], &scale, 2);
    }
    m = Matrix{static_cast<uint32_t>(type), bytes.data(), rows, cols, row_bytes, nullptr};
    if (repack) m.repacked = hearth::kernels::repack_matrix(m);
  }
};

// state.range(0): tokens; state.range(1): 1 = repacked, 0 = GGUF rows (for comparison).
void gemm_repacked(benchmark::State& state, GgmlType type, Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(hearth::kernels::detected_isa())) {
    state.SkipWithError("ISA not supported by this CPU");
    return;
  }
  hearth::kernels::set_active_isa(isa);
  const int64_t rows = 2048, cols = 2048, n_tokens = state.range(0);
  PackedMatrix w(type, rows, cols, state.range(1) != 0);
  std::vector<float> x(n_tokens * cols, 0.25f), y(n_tokens * rows);  // (n_tokens, cols|rows)
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.01f * static_cast<float>(i % 97) - 0.4f;
  for (auto _ : state) {
    hearth::kernels::matmul(pool2(), w.m, x.data(), n_tokens, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * rows * cols * n_tokens * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["GB/s"] =
      benchmark::Counter(1e-9 * state.iterations() * w.bytes.size(), benchmark::Counter::kIsRate);
}

// The one-token kernel's compute ceiling: ~1M weights (L2-resident), one thread, GB/s of
// weights per CPU second; state.range(0): 1 = repacked layout, 0 = GGUF rows; range(1): cols.
void gemv_l2_repacked(benchmark::State& state, GgmlType type, Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(hearth::kernels::detected_isa())) {
    state.SkipWithError("ISA not supported by this CPU");
    return;
  }
  hearth::kernels::set_active_isa(isa);
  const int64_t cols = state.range(1), rows = (512 * 2048) / cols / 16 * 16;
  PackedMatrix w(type, rows, cols, state.range(0) != 0);
  std::vector<float> x(cols), y(rows);  // (cols), (rows)
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.01f * static_cast<float>(i % 97) - 0.4f;
  for (auto _ : state) {
    hearth::kernels::matmul(pool1(), w.m, x.data(), 1, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GB/s"] =
      benchmark::Counter(1e-9 * state.iterations() * w.bytes.size(), benchmark::Counter::kIsRate);
}

// The one-token kernel streaming from memory: a 64000 x 2048 matrix (36-54 MB at 4.5-6.6
// bits, more than the 32 MiB L3), the repacked layout and the GGUF rows back to back in one
// process so the ratio holds on a loaded machine. state.range(0): 1 = repacked, 0 = GGUF rows;
// range(1): threads. GB/s of weights per second of the calling thread's CPU time (threads = 1:
// the calling thread runs every row; wall-clock on a shared machine would count other jobs).
void gemv_stream(benchmark::State& state, GgmlType type) {
  hearth::kernels::set_active_isa(hearth::kernels::detected_isa());
  const int64_t rows = 64000, cols = 2048;
  PackedMatrix w(type, rows, cols, state.range(0) != 0);
  if (state.range(0) != 0) {  // the repacked copy is what the loader keeps; free the rows
    std::vector<uint8_t>().swap(w.bytes);
    w.m.data = nullptr;
  }
  const size_t bytes = state.range(0) != 0 ? w.m.repacked->data.size() : w.m.row_bytes * rows;
  std::vector<float> x(cols), y(rows);  // (cols), (rows)
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.01f * static_cast<float>(i % 97) - 0.4f;
  ThreadPool& pool = state.range(1) == 1 ? pool1() : pool2();
  for (auto _ : state) {
    hearth::kernels::matmul(pool, w.m, x.data(), 1, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GB/s"] =
      benchmark::Counter(1e-9 * state.iterations() * bytes, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(gemv_stream, Q4_0, GgmlType::kQ4_0)
    ->ArgsProduct({{1, 0}, {1}})
    ->ArgNames({"repacked", "threads"});
BENCHMARK_CAPTURE(gemv_stream, Q4_K, GgmlType::kQ4_K)
    ->ArgsProduct({{1, 0}, {1}})
    ->ArgNames({"repacked", "threads"});
BENCHMARK_CAPTURE(gemv_stream, Q6_K, GgmlType::kQ6_K)
    ->ArgsProduct({{1, 0}, {1}})
    ->ArgNames({"repacked", "threads"});
BENCHMARK_CAPTURE(gemv_stream, Q8_0, GgmlType::kQ8_0)
    ->ArgsProduct({{1, 0}, {1}})
    ->ArgNames({"repacked", "threads"});

#define HEARTH_GEMV_L2(T, ISA)                                                \
  BENCHMARK_CAPTURE(gemv_l2_repacked, T##_##ISA, GgmlType::k##T, Isa::k##ISA) \
      ->ArgsProduct({{1, 0}, {2048, 5632}})                                   \
      ->ArgNames({"repacked", "cols"})

HEARTH_GEMV_L2(Q4_0, Avx512);
HEARTH_GEMV_L2(Q4_K, Avx512);
HEARTH_GEMV_L2(Q8_0, Avx512);
HEARTH_GEMV_L2(Q6_K, Avx512);
HEARTH_GEMV_L2(Q4_0, Avx2);
HEARTH_GEMV_L2(Q4_K, Avx2);
HEARTH_GEMV_L2(Q8_0, Avx2);
HEARTH_GEMV_L2(Q6_K, Avx2);

#define HEARTH_REPACKED_GEMM(T, ISA)                                       \
  BENCHMARK_CAPTURE(gemm_repacked, T##_##ISA, GgmlType::k##T, Isa::k##ISA) \
      ->ArgsProduct({{1, 64, 512}, {1, 0}})                                \
      ->ArgNames({"tokens", "repacked"})                                   \
      ->Unit(benchmark::kMillisecond)                                      \
      ->UseRealTime()

HEARTH_REPACKED_GEMM(Q4_0, Avx512);
HEARTH_REPACKED_GEMM(Q4_K, Avx512);
HEARTH_REPACKED_GEMM(Q8_0, Avx512);
HEARTH_REPACKED_GEMM(Q6_K, Avx512);
HEARTH_REPACKED_GEMM(Q4_0, Avx2);
HEARTH_REPACKED_GEMM(Q4_K, Avx2);
HEARTH_REPACKED_GEMM(Q8_0, Avx2);
HEARTH_REPACKED_GEMM(Q6_K, Avx2);

}  // namespace
