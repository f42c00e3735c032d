#include "fit/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace hearth::fit {
namespace {

struct Unit {
  const char* suffix;  // compared case-insensitively, after trimming spaces
  double scale;
};

constexpr double kKi = 1024.0;
constexpr Unit kByteUnits[] = {
    {"b", 1.0},
    {"kb", 1e3},
    {"k", 1e3},
    {"kib", kKi},
    {"mb", 1e6},
    {"m", 1e6},
    {"mib", kKi* kKi},
    {"gb", 1e9},
    {"g", 1e9},
    {"gib", kKi* kKi* kKi},
    {"tb", 1e12},
    {"t", 1e12},
    {"tib", kKi* kKi* kKi* kKi},
};
constexpr Unit kFlopUnits[] = {
    {"", 1.0},        {"flops", 1.0},  {"gflops", 1e9},  {"tflops", 1e12},
    {"pflops", 1e15}, {"flop/s", 1.0}, {"gflop/s", 1e9}, {"tflop/s", 1e12},
};

std::string lower_no_spaces(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// Splits "12.5gb" into 12.5 and "gb"; error when there is no leading number.
Status split_number(const std::string& text, std::string_view original, double* number,
                    std::string* suffix) {
  const char* begin = text.c_str();
  char* end = nullptr;
  *number = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(*number) || *number < 0) {
    return invalid_argument("'", original, "' is not a quantity (expected e.g. 12GB)");
  }
  *suffix = std::string(end);
  return Status::Ok();
}

Result<double> parse_with_units(std::string_view text, const Unit* units, size_t n_units,
                                const char* example) {
  const std::string clean = lower_no_spaces(text);
  double number = 0;
  std::string suffix;
  HEARTH_RETURN_IF_ERROR(split_number(clean, text, &number, &suffix));
  for (size_t i = 0; i < n_units; ++i) {
    if (suffix == units[i].suffix) return number * units[i].scale;
  }
  return invalid_argument("'", text, "': unknown unit '", suffix, "' (expected e.g. ", example,
                          ")");
}

}  // namespace

Result<uint64_t> parse_bytes(std::string_view text) {
  const std::string clean = lower_no_spaces(text);
  if (!clean.empty() && std::isdigit(static_cast<unsigned char>(clean.back()))) {
    return invalid_argument("'", text, "' needs a unit: 12GB (10^9 bytes) or 12GiB (2^30 bytes)");
  }
  HEARTH_ASSIGN_OR_RETURN(double value, parse_with_units(text, kByteUnits, std::size(kByteUnits),
                                                         "12GB, 24GiB, 512MB"));
  if (value > 1e18) return invalid_argument("'", text, "' is too large");
  return static_cast<uint64_t>(std::llround(value));
}

Result<double> parse_bandwidth(std::string_view text) {
  std::string clean = lower_no_spaces(text);
  if (clean.size() > 2 && clean.substr(clean.size() - 2) == "/s") clean.resize(clean.size() - 2);
  if (!clean.empty() && std::isdigit(static_cast<unsigned char>(clean.back()))) {
    return invalid_argument("'", text, "' needs a unit, e.g. 360GB/s");
  }
  HEARTH_ASSIGN_OR_RETURN(double value,
                          parse_with_units(clean, kByteUnits, std::size(kByteUnits), "360GB/s"));
  if (value <= 0) return invalid_argument("bandwidth '", text, "' must be positive");
  return value;
}

Result<double> parse_flops(std::string_view text) {
  HEARTH_ASSIGN_OR_RETURN(double value,
                          parse_with_units(text, kFlopUnits, std::size(kFlopUnits), "82TFLOPS"));
  if (value <= 0) return invalid_argument("FLOP/s '", text, "' must be positive");
  return value;
}

std::string format_bytes(uint64_t bytes) {
  char buf[64];
  const double b = static_cast<double>(bytes);
  if (b >= kKi * kKi * kKi) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / (kKi * kKi * kKi));
  } else if (b >= kKi * kKi) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (kKi * kKi));
  } else if (b >= kKi) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / kKi);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

std::string format_bandwidth(double bytes_per_second) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f GB/s", bytes_per_second / 1e9);
  return buf;
}

}  // namespace hearth::fit
