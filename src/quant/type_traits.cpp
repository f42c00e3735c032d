#include "quant/type_traits.h"

#include <array>
#include <cassert>
#include <cctype>
#include <cstdio>
#include <limits>

#include "quant/reference.h"

namespace hearth::quant {
namespace {

using T = GgmlType;

// The table: one row per type. Conversion functions live in quant/ref_*.cpp (declared in
// quant/reference.h); nullptr marks what hearth does not implement for a type.
constexpr TypeTraits kTraits[] = {
    {T::kF32, "F32", 1, 4, false, ref::f32_to_float, ref::f32_from_float, ref::vec_dot_f32,
     T::kF32},
    {T::kF16, "F16", 1, 2, false, ref::f16_to_float, ref::f16_from_float, ref::vec_dot_f16,
     T::kF16},
    {T::kBF16, "BF16", 1, 2, false, ref::bf16_to_float, ref::bf16_from_float, ref::vec_dot_bf16,
     T::kBF16},
    {T::kQ4_0, "Q4_0", 32, 18, true, ref::q4_0_to_float, ref::q4_0_from_float,
     ref::vec_dot_q4_0_q8_0, T::kQ8_0},
    {T::kQ4_1, "Q4_1", 32, 20, true, ref::q4_1_to_float, ref::q4_1_from_float,
     ref::vec_dot_q4_1_q8_1, T::kQ8_1},
    {T::kQ5_0, "Q5_0", 32, 22, true, ref::q5_0_to_float, ref::q5_0_from_float,
     ref::vec_dot_q5_0_q8_0, T::kQ8_0},
    {T::kQ5_1, "Q5_1", 32, 24, true, ref::q5_1_to_float, ref::q5_1_from_float,
     ref::vec_dot_q5_1_q8_1, T::kQ8_1},
    {T::kQ8_0, "Q8_0", 32, 34, true, ref::q8_0_to_float, ref::q8_0_from_float,
     ref::vec_dot_q8_0_q8_0, T::kQ8_0},
    {T::kQ8_1, "Q8_1", 32, 36, true, ref::q8_1_to_float, ref::q8_1_from_float, nullptr, T::kQ8_1},
    {T::kQ2_K, "Q2_K", 256, 84, true, ref::q2_k_to_float, ref::q2_k_from_float,
     ref::vec_dot_q2_k_q8_k, T::kQ8_K},
    {T::kQ3_K, "Q3_K", 256, 110, true, ref::q3_k_to_float, ref::q3_k_from_float,
     ref::vec_dot_q3_k_q8_k, T::kQ8_K},
    {T::kQ4_K, "Q4_K", 256, 144, true, ref::q4_k_to_float, ref::q4_k_from_float,
     ref::vec_dot_q4_k_q8_k, T::kQ8_K},
    {T::kQ5_K, "Q5_K", 256, 176, true, ref::q5_k_to_float, ref::q5_k_from_float,
     ref::vec_dot_q5_k_q8_k, T::kQ8_K},
    {T::kQ6_K, "Q6_K", 256, 210, true, ref::q6_k_to_float, ref::q6_k_from_float,
     ref::vec_dot_q6_k_q8_k, T::kQ8_K},
    {T::kQ8_K, "Q8_K", 256, 292, true, ref::q8_k_to_float, ref::q8_k_from_float, nullptr, T::kQ8_K},
    {T::kIQ4_NL, "IQ4_NL", 32, 18, true, ref::iq4_nl_to_float, ref::iq4_nl_from_float,
     ref::vec_dot_iq4_nl_q8_0, T::kQ8_0},
    {T::kIQ4_XS, "IQ4_XS", 256, 136, true, ref::iq4_xs_to_float, ref::iq4_xs_from_float,
     ref::vec_dot_iq4_xs_q8_k, T::kQ8_K},
    // Known to the container (files with them parse and `hearth info` lists them); not decoded.
    {T::kIQ2_XXS, "IQ2_XXS", 256, 66, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kIQ2_XS, "IQ2_XS", 256, 74, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kIQ3_XXS, "IQ3_XXS", 256, 98, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kIQ1_S, "IQ1_S", 256, 50, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kIQ3_S, "IQ3_S", 256, 110, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kIQ2_S, "IQ2_S", 256, 82, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kIQ1_M, "IQ1_M", 256, 56, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kTQ1_0, "TQ1_0", 256, 54, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kTQ2_0, "TQ2_0", 256, 66, true, nullptr, nullptr, nullptr, T::kQ8_K},
    {T::kMXFP4, "MXFP4", 32, 17, true, nullptr, nullptr, nullptr, T::kQ8_0},
    {T::kI8, "I8", 1, 1, false, nullptr, nullptr, nullptr, T::kI8},
    {T::kI16, "I16", 1, 2, false, nullptr, nullptr, nullptr, T::kI16},
    {T::kI32, "I32", 1, 4, false, nullptr, nullptr, nullptr, T::kI32},
    {T::kI64, "I64", 1, 8, false, nullptr, nullptr, nullptr, T::kI64},
    {T::kF64, "F64", 1, 8, false, nullptr, nullptr, nullptr, T::kF64},
};

constexpr uint32_t kMaxTypeId = 40;

const std::array<const TypeTraits*, kMaxTypeId>& traits_by_id() {
  static const std::array<const TypeTraits*, kMaxTypeId> table = [] {
    std::array<const TypeTraits*, kMaxTypeId> t{};
    for (const auto& row : kTraits) t[static_cast<uint32_t>(row.type)] = &row;
    return t;
  }();
  return table;
}

}  // namespace

const TypeTraits* find_type_traits(uint32_t ggml_type) {
  if (ggml_type >= kMaxTypeId) return nullptr;
  return traits_by_id()[ggml_type];
}

const TypeTraits& type_traits(GgmlType type) {
  const TypeTraits* t = find_type_traits(static_cast<uint32_t>(type));
  assert(t != nullptr);
  return *t;
}

std::optional<GgmlType> type_from_name(std::string_view name) {
  for (const auto& row : kTraits) {
    std::string_view row_name = row.name;
    if (row_name.size() != name.size()) continue;
    bool equal = true;
    for (size_t i = 0; i < name.size() && equal; ++i) {
      equal = std::toupper(static_cast<unsigned char>(name[i])) ==
              std::toupper(static_cast<unsigned char>(row_name[i]));
    }
    if (equal) return row.type;
  }
  return std::nullopt;
}

const char* type_name(uint32_t ggml_type) {
  if (const TypeTraits* t = find_type_traits(ggml_type)) return t->name;
  thread_local char buffer[32];
  std::snprintf(buffer, sizeof buffer, "unknown(%u)", ggml_type);
  return buffer;
}

Result<size_t> row_size(uint32_t ggml_type, int64_t n) {
  const TypeTraits* t = find_type_traits(ggml_type);
  if (t == nullptr) return unsupported("unknown tensor type id ", ggml_type);
  if (n < 0) return invalid_argument("negative row length ", n);
  if (n % t->block_size != 0) {
    return invalid_argument("row length ", n, " is not a multiple of the ", t->name, " block size ",
                            t->block_size);
  }
  uint64_t blocks = static_cast<uint64_t>(n / t->block_size);
  if (blocks > std::numeric_limits<uint64_t>::max() / t->type_size) {
    return invalid_argument("row of ", n, " ", t->name, " values overflows 64 bits");
  }
  return static_cast<size_t>(blocks * t->type_size);
}

Result<uint64_t> tensor_bytes(uint32_t ggml_type, const int64_t ne[4]) {
  HEARTH_ASSIGN_OR_RETURN(size_t row, row_size(ggml_type, ne[0]));
  uint64_t total = row;
  for (int i = 1; i < 4; ++i) {
    if (ne[i] < 0) return invalid_argument("negative dimension ", ne[i]);
    uint64_t d = static_cast<uint64_t>(ne[i]);
    if (d != 0 && total > std::numeric_limits<uint64_t>::max() / d) {
      return invalid_argument("tensor size overflows 64 bits");
    }
    total *= d;
  }
  return total;
}

}  // namespace hearth::quant
