#include "fit/devices.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "core/mapped_file.h"

namespace hearth::fit {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kMiB = uint64_t{1} << 20;
// CUDA context, cuBLAS workspace and driver allocations outside the model's buffers.
constexpr uint64_t kGpuRuntimeReserve = 512 * kMiB;
// macOS lets the GPU wire about 3/4 of unified memory (Metal's recommendedMaxWorkingSetSize).
constexpr double kUnifiedUsableShare = 0.75;

struct Row {
  const char* id;
  const char* description;
  DeviceKind kind;
  double memory_gib;     // as sold (GPU "24 GB" is 24 GiB)
  double bandwidth_gbs;  // GB/s, published
  double tflops;         // dense FP16 matmul, FP32 accumulate (Apple: GPU FP32), published peak
};

// Published figures (vendor spec sheets); FLOP/s only bound prompt processing.
constexpr Row kRows[] = {
    {"rtx-3060", "NVIDIA GeForce RTX 3060 12 GB", DeviceKind::kGpu, 12, 360, 25.6},
    {"rtx-4060-ti", "NVIDIA GeForce RTX 4060 Ti 16 GB", DeviceKind::kGpu, 16, 288, 22.1},
    {"rtx-3090", "NVIDIA GeForce RTX 3090 24 GB", DeviceKind::kGpu, 24, 936, 35.6},
    {"rtx-4090", "NVIDIA GeForce RTX 4090 24 GB", DeviceKind::kGpu, 24, 1008, 82.6},
    {"rtx-5090", "NVIDIA GeForce RTX 5090 32 GB", DeviceKind::kGpu, 32, 1792, 104.8},
    {"a100-40gb", "NVIDIA A100 40 GB (SXM)", DeviceKind::kGpu, 40, 1555, 312},
    {"a100-80gb", "NVIDIA A100 80 GB (SXM)", DeviceKind::kGpu, 80, 2039, 312},
    {"h100-80gb", "NVIDIA H100 80 GB (SXM)", DeviceKind::kGpu, 80, 3350, 989},
    {"h200", "NVIDIA H200 141 GB (SXM)", DeviceKind::kGpu, 141, 4800, 989},
    {"m1-16gb", "Apple M1, 16 GB unified memory", DeviceKind::kUnified, 16, 68.25, 2.6},
    {"m2-pro-32gb", "Apple M2 Pro, 32 GB unified memory", DeviceKind::kUnified, 32, 200, 6.8},
    {"m3-max-128gb", "Apple M3 Max (40-core GPU), 128 GB", DeviceKind::kUnified, 128, 400, 16.4},
    {"m4-max-128gb", "Apple M4 Max (40-core GPU), 128 GB", DeviceKind::kUnified, 128, 546, 18.4},
    {"m2-ultra-192gb", "Apple M2 Ultra (76-core GPU), 192 GB", DeviceKind::kUnified, 192, 800,
     27.2},
};

Device to_device(const Row& r) {
  Device d;
  d.id = r.id;
  d.description = r.description;
  d.kind = r.kind;
  d.total_memory_bytes = static_cast<uint64_t>(r.memory_gib * static_cast<double>(kGiB));
  d.bandwidth_bytes_per_s = r.bandwidth_gbs * 1e9;
  d.flops = r.tflops * 1e12;
  if (r.kind == DeviceKind::kGpu) {
    d.runtime_reserve_bytes = kGpuRuntimeReserve;
    d.memory_bytes = d.total_memory_bytes - kGpuRuntimeReserve;
  } else {
    d.memory_bytes =
        static_cast<uint64_t>(static_cast<double>(d.total_memory_bytes) * kUnifiedUsableShare);
  }
  return d;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool means_this_machine(const std::string& id) {
  return id == "this" || id == "this-machine" || id == "cpu" || id == "local";
}

// Effective matmul throughput of one core: calibrated on hearth's own pp512 of tinyllama-1.1b
// shapes on 2 Zen 4 cores (docs/PERFORMANCE.md, 2026-11-25: 152.5 t/s Q4_K_M, 183.1 Q4_0, 166.2
// Q8_0 at ~2.1e9 FLOP per token = 3.2-3.9e11 FLOP/s, ~1.75e11 per core). AVX2: half (untested).
double flops_per_core() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return 1.75e11;
  if (__builtin_cpu_supports("avx2")) return 8.75e10;
#endif
  return 1.5e10;
}

uint64_t parse_meminfo_kb(std::string_view text, std::string_view key, bool* found) {
  size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string_view::npos) {
    if ((pos == 0 || text[pos - 1] == '\n') && pos + key.size() < text.size() &&
        text[pos + key.size()] == ':') {
      *found = true;
      return std::strtoull(std::string(text.substr(pos + key.size() + 1, 32)).c_str(), nullptr, 10);
    }
    pos += key.size();
  }
  *found = false;
  return 0;
}

}  // namespace

const char* device_kind_name(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kCpu:
      return "cpu";
    case DeviceKind::kGpu:
      return "gpu";
    case DeviceKind::kUnified:
      return "unified";
  }
  return "?";
}

const std::vector<Device>& device_catalog() {
  static const std::vector<Device> catalog = [] {
    std::vector<Device> out;
    for (const Row& r : kRows) out.push_back(to_device(r));
    return out;
  }();
  return catalog;
}

Result<Device> find_device(std::string_view id, double bandwidth_override_bytes_per_s) {
  const std::string wanted = lower(id);
  if (means_this_machine(wanted)) return this_machine(bandwidth_override_bytes_per_s);
  for (const Device& d : device_catalog()) {
    if (d.id == wanted) return d;
  }
  std::string known = "this";
  for (const Device& d : device_catalog()) known += ", " + d.id;
  return not_found("unknown device '", id, "' (known: ", known,
                   "; or give --memory and --bandwidth)");
}

Result<MemInfo> parse_meminfo(std::string_view text) {
  MemInfo info;
  bool has_total = false, has_available = false;
  info.total_bytes = parse_meminfo_kb(text, "MemTotal", &has_total) * 1024;
  info.available_bytes = parse_meminfo_kb(text, "MemAvailable", &has_available) * 1024;
  if (!has_total || info.total_bytes == 0)
    return corrupt_file("/proc/meminfo has no MemTotal line");
  if (!has_available) {  // kernels before 3.14: free memory is the best we have
    bool has_free = false;
    info.available_bytes = parse_meminfo_kb(text, "MemFree", &has_free) * 1024;
  }
  return info;
}

Result<MemInfo> read_meminfo() {
  HEARTH_ASSIGN_OR_RETURN(std::string text, read_file_to_string("/proc/meminfo"));
  return parse_meminfo(text);
}

double measure_read_bandwidth(size_t buffer_bytes, int n_threads, int passes) {
  if (n_threads <= 0)
    n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const size_t n_words = std::max<size_t>(buffer_bytes / sizeof(uint64_t), 1024);
  std::unique_ptr<uint64_t[]> buffer(new uint64_t[n_words]);
  for (size_t i = 0; i < n_words; ++i) buffer[i] = i;  // touch every page before timing
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int pass = 0; pass < passes; ++pass) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < n_threads; ++t) {
      threads.emplace_back([&, t] {
        const size_t begin = n_words * t / n_threads, end = n_words * (t + 1) / n_threads;
        uint64_t a = 0, b = 0, c = 0, d = 0;
        size_t i = begin;
        for (; i + 4 <= end; i += 4) {
          a += buffer[i];
          b ^= buffer[i + 1];
          c += buffer[i + 2];
          d ^= buffer[i + 3];
        }
        for (; i < end; ++i) a += buffer[i];
        sink.fetch_add(a + b + c + d, std::memory_order_relaxed);
      });
    }
    for (auto& th : threads) th.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds > 0)
      best = std::max(best, static_cast<double>(n_words * sizeof(uint64_t)) / seconds);
  }
  return best;
}

Result<Device> this_machine(double bandwidth_override_bytes_per_s) {
  HEARTH_ASSIGN_OR_RETURN(MemInfo mem, read_meminfo());
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Device d;
  d.id = "this-machine";
  d.kind = DeviceKind::kCpu;
  d.total_memory_bytes = mem.total_bytes;
  d.memory_bytes = mem.available_bytes;
  d.bandwidth_bytes_per_s = bandwidth_override_bytes_per_s > 0 ? bandwidth_override_bytes_per_s
                                                               : measure_read_bandwidth();
  d.flops = flops_per_core() * cores;
  d.decode_efficiency = 0.85;  // formats not measured; estimate_speed uses hearth's per format
  d.prefill_efficiency = 1.0;  // flops_per_core() is already an effective figure
  d.description =
      str_cat("this machine: ", cores, " cores, RAM available now (MemAvailable), ",
              bandwidth_override_bytes_per_s > 0 ? "given" : "measured", " read bandwidth");
  return d;
}

}  // namespace hearth::fit
