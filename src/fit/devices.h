// Where a model runs: memory, read bandwidth and matrix-multiply throughput, as a catalog of
// published figures plus "this machine" (RAM from /proc/meminfo, bandwidth measured).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hearth::fit {

enum class DeviceKind { kCpu, kGpu, kUnified };
const char* device_kind_name(DeviceKind kind);

struct Device {
  std::string id;  // "rtx-4090", "this-machine"
  std::string description;
  DeviceKind kind = DeviceKind::kCpu;
  uint64_t memory_bytes = 0;  // what the model may use (after the device's own reserve)
  uint64_t total_memory_bytes = 0;
  double bandwidth_bytes_per_s = 0;  // memory read bandwidth
  double flops = 0;                  // dense matrix-multiply FLOP/s (FP16 tensor cores for GPUs)
  // Share of the read bandwidth token generation reaches (the rest is kernel and sync overhead).
  double decode_efficiency = 0.8;
  // Share of `flops` prompt processing reaches.
  double prefill_efficiency = 0.5;
  // Memory the runtime itself needs on this device beyond hearth's buffers (GPU driver context).
  uint64_t runtime_reserve_bytes = 0;
};

// The catalog, as data (fit/devices.cpp).
const std::vector<Device>& device_catalog();
// Case-insensitive id lookup; "this", "this-machine", "cpu" and "local" mean this machine and
// measure it (bandwidth_override_bytes_per_s > 0 skips the measurement).
Result<Device> find_device(std::string_view id, double bandwidth_override_bytes_per_s = 0);

struct MemInfo {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
};
// Parses the text of /proc/meminfo (MemTotal, MemAvailable in kB).
Result<MemInfo> parse_meminfo(std::string_view text);
Result<MemInfo> read_meminfo();

// Measures read bandwidth with `n_threads` threads summing a `buffer_bytes` buffer (best of
// `passes`); returns bytes per second.
double measure_read_bandwidth(size_t buffer_bytes = size_t{512} << 20, int n_threads = 0,
                              int passes = 3);

// This machine: RAM available now, measured (or given) bandwidth, FLOP/s from the core count.
Result<Device> this_machine(double bandwidth_override_bytes_per_s = 0);

}  // namespace hearth::fit
