// Micro-benchmarks of the main kernels: GEMV read throughput (GB/s of weights) per type and
// ISA on a matrix larger than the last-level cache, GEMM throughput (GFLOP/s), and the
// machine's read bandwidth (the GEMV roofline). Threads = 2 (the project's target machine).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "kernels/bandwidth.h"
#include "kernels/kernels.h"
#include "quant/type_traits.h"

namespace {

using hearth::ThreadPool;
using hearth::kernels::Isa;
using hearth::kernels::Matrix;
using hearth::quant::GgmlType;

ThreadPool& pool() {
  static ThreadPool p(2);
  return p;
}
ThreadPool& pool1() {
  static ThreadPool p(1);
  return p;
}

// Byte offsets of the fp16 scale fields inside one block (so the data decodes to sane values).
std::vector<size_t> scale_offsets(GgmlType type) {
  switch (type) {
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
      return {0, 2};
    case GgmlType::kQ2_K:
      return {80, 82};
    case GgmlType::kQ3_K:
      return {108};
    case GgmlType::kQ6_K:
      return {208};
    default:
      return {0};
  }
}

// A (rows, cols) weight matrix of random blocks; plain types get small random values.
struct BenchMatrix {
  std::vector<uint8_t> bytes;  // (rows, row_bytes)
  Matrix m;
  BenchMatrix(GgmlType type, int64_t rows, int64_t cols) {
    const auto& tt = hearth::quant::type_traits(type);
    const size_t row_bytes = static_cast<size_t>(cols / tt.block_size) * tt.type_size;
    bytes.resize(row_bytes * rows);
    std::mt19937 rng(1);
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
      const uint32_t r = rng();
      std::memcpy(&bytes[i], &r, 4);
    }
    const uint16_t scale = hearth::float_to_fp16(0.01f);
    if (tt.is_quantized) {
      for (size_t b = 0; b < bytes.size() / tt.type_size; ++b) {
        for (size_t off : scale_offsets(type))
          std::memcpy(&bytes[b * tt.type_size + off], &scale, 2);
      }
    } else if (type == GgmlType::kF32) {
      auto* f = reinterpret_cast<float*>(bytes.data());
      for (size_t i = 0; i < bytes.size() / 4; ++i) f[i] = 0.01f * static_cast<float>(i % 7);
    } else {
      auto* h = reinterpret_cast<uint16_t*>(bytes.data());
      for (size_t i = 0; i < bytes.size() / 2; ++i) h[i] = scale;  // f16 / bf16 bits, finite
    }
    m = Matrix{static_cast<uint32_t>(type), bytes.data(), rows, cols, row_bytes, nullptr};
  }
};

// rows == 0: ~200 MB of weights (memory-bound); otherwise `rows` rows (cache-resident).
void gemv_rows(benchmark::State& state, GgmlType type, Isa isa, int64_t fixed_rows) {
  if (static_cast<int>(isa) > static_cast<int>(hearth::kernels::detected_isa())) {
    state.SkipWithError("ISA not supported by this CPU");
    return;
  }
  hearth::kernels::set_active_isa(isa);
  const int64_t cols = 2048;
  const auto& tt = hearth::quant::type_traits(type);
  // ~200 MB of weights whatever the type: far beyond the 32 MiB L3
  const int64_t rows =
      fixed_rows > 0 ? fixed_rows : (200ll << 20) / (cols / tt.block_size * tt.type_size) / 16 * 16;
  BenchMatrix w(type, rows, cols);
  std::vector<float> x(cols, 0.5f), y(rows);  // (cols), (rows)
  ThreadPool& tp = fixed_rows > 0 ? pool1() : pool();  // cache-resident: one thread
  for (auto _ : state) {
    hearth::kernels::matmul(tp, w.m, x.data(), 1, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * w.bytes.size());
  state.counters["GB/s"] =
      benchmark::Counter(1e-9 * state.iterations() * w.bytes.size(), benchmark::Counter::kIsRate);
}
void gemv(benchmark::State& state, GgmlType type, Isa isa) {
  gemv_rows(state, type, isa, 0);
}
// 512 rows x 2048 cols stay in L2, one thread: the compute ceiling of one core.
void gemv_l2(benchmark::State& state, GgmlType type, Isa isa) {
  gemv_rows(state, type, isa, 512);
}

void gemm(benchmark::State& state, GgmlType type, Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(hearth::kernels::detected_isa())) {
    state.SkipWithError("ISA not supported by this CPU");
    return;
  }
  hearth::kernels::set_active_isa(isa);
  const int64_t rows = 2048, cols = 2048, n_tokens = state.range(0);
  BenchMatrix w(type, rows, cols);
  std::vector<float> x(n_tokens * cols, 0.25f), y(n_tokens * rows);  // (n_tokens, cols|rows)
  for (auto _ : state) {
    hearth::kernels::matmul(pool(), w.m, x.data(), n_tokens, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * rows * cols * n_tokens * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

void read_bandwidth(benchmark::State& state) {
  double gbs = 0;
  for (auto _ : state) gbs = hearth::kernels::measure_read_bandwidth(pool(), 1ull << 30, 3);
  state.counters["GB/s"] = gbs;
}
BENCHMARK(read_bandwidth)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

#define HEARTH_GEMV(T)                                              \
  BENCHMARK_CAPTURE(gemv, T##_scalar, GgmlType::k##T, Isa::kScalar) \
      ->Unit(benchmark::kMillisecond)                               \
      ->UseRealTime()                                               \
      ->MinTime(0.3);                                               \
  BENCHMARK_CAPTURE(gemv, T##_avx2, GgmlType::k##T, Isa::kAvx2)     \
      ->Unit(benchmark::kMillisecond)                               \
      ->UseRealTime();                                              \
  BENCHMARK_CAPTURE(gemv, T##_avx512, GgmlType::k##T, Isa::kAvx512) \
      ->Unit(benchmark::kMillisecond)                               \
      ->UseRealTime()

BENCHMARK_CAPTURE(gemv_l2, Q4_0_avx512, GgmlType::kQ4_0, Isa::kAvx512)->UseRealTime();
BENCHMARK_CAPTURE(gemv_l2, Q4_K_avx512, GgmlType::kQ4_K, Isa::kAvx512)->UseRealTime();
BENCHMARK_CAPTURE(gemv_l2, Q8_0_avx512, GgmlType::kQ8_0, Isa::kAvx512)->UseRealTime();
BENCHMARK_CAPTURE(gemv_l2, Q6_K_avx512, GgmlType::kQ6_K, Isa::kAvx512)->UseRealTime();
BENCHMARK_CAPTURE(gemv_l2, Q4_0_avx2, GgmlType::kQ4_0, Isa::kAvx2)->UseRealTime();
BENCHMARK_CAPTURE(gemv_l2, Q4_K_avx2, GgmlType::kQ4_K, Isa::kAvx2)->UseRealTime();

HEARTH_GEMV(Q4_0);
HEARTH_GEMV(Q4_K);
HEARTH_GEMV(Q8_0);
HEARTH_GEMV(Q6_K);
HEARTH_GEMV(Q5_K);
HEARTH_GEMV(Q3_K);
HEARTH_GEMV(Q2_K);
HEARTH_GEMV(Q5_0);
HEARTH_GEMV(Q4_1);
HEARTH_GEMV(Q5_1);
HEARTH_GEMV(IQ4_NL);
HEARTH_GEMV(IQ4_XS);
HEARTH_GEMV(F16);
HEARTH_GEMV(BF16);
HEARTH_GEMV(F32);

#define HEARTH_GEMM(T)                                              \
  BENCHMARK_CAPTURE(gemm, T##_avx2, GgmlType::k##T, Isa::kAvx2)     \
      ->Arg(64)                                                     \
      ->Unit(benchmark::kMillisecond)                               \
      ->UseRealTime();                                              \
  BENCHMARK_CAPTURE(gemm, T##_avx512, GgmlType::k##T, Isa::kAvx512) \
      ->Arg(64)                                                     \
      ->Unit(benchmark::kMillisecond)                               \
      ->UseRealTime()

HEARTH_GEMM(Q4_0);
HEARTH_GEMM(Q4_K);
HEARTH_GEMM(Q8_0);

}  // namespace
