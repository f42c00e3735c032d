// Byte and bandwidth quantities as people type them: "12GB", "24 GiB", "512MB", "360GB/s".
// Decimal prefixes are powers of 10 (GB = 10^9), binary ones powers of 2 (GiB = 2^30).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace hearth::fit {

// "12GB", "12 GiB", "1.5T", "800M", "4096" is refused (a size needs a unit).
Result<uint64_t> parse_bytes(std::string_view text);
// "360GB/s", "1.2 TB/s", "68GiB/s" (the "/s" is optional) -> bytes per second.
Result<double> parse_bandwidth(std::string_view text);
// "936 GB/s" style: a FLOP/s figure, "82TFLOPS", "220 GFLOP/s", "1.5e12".
Result<double> parse_flops(std::string_view text);

// 4080218112 -> "3.80 GiB"; small values in MiB / KiB / bytes.
std::string format_bytes(uint64_t bytes);
// 3.6e11 -> "360 GB/s".
std::string format_bandwidth(double bytes_per_second);

}  // namespace hearth::fit
