// GEMV row dot products and activation quantizers, AVX2 path: maddubs/madd integer dot products,
// FMA for the float types.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/qdot.h"
#include "kernels/ref/qdot_ref.h"
#include "quant/blocks.h"
#include "quant/type_traits.h"

namespace hearth::kernels {
namespace {

// clang-format off
#include "kernels/x86/simd_x86.inc"
#include "kernels/x86/quantize_x86.inc"
#include "kernels/x86/qdot_x86.inc"
#include "kernels/x86/qdot_k_x86.inc"
#include "kernels/x86/qdot_multi_x86.inc"
// clang-format on

QdotTable make_table() {
  using quant::GgmlType;
  QdotTable t = qdot_table_scalar();
  auto set = [&t](GgmlType type, RowDotFn fn) { t.dot[static_cast<int>(type)] = fn; };
  t.quantize[static_cast<int>(ActType::kQ8_0)] = quantize_q8_0_x86;
  t.quantize[static_cast<int>(ActType::kQ8_1)] = quantize_q8_1_x86;
  t.quantize[static_cast<int>(ActType::kQ8_K)] = quantize_q8_k_x86;
  set(GgmlType::kF32, dot_f32_row);
  set(GgmlType::kF16, dot_f16_row);
  set(GgmlType::kBF16, dot_bf16_row);
  set(GgmlType::kQ8_0, dot_q8_0_row);
  set(GgmlType::kQ4_0, dot_q4_0_row);
  set(GgmlType::kQ4_1, dot_q4_1_row);
  set(GgmlType::kQ5_0, dot_q5_0_row);
  set(GgmlType::kQ5_1, dot_q5_1_row);
  set(GgmlType::kIQ4_NL, dot_iq4_nl_row);
  set(GgmlType::kQ2_K, dot_q2_k_row);
  set(GgmlType::kQ3_K, dot_q3_k_row);
  set(GgmlType::kQ4_K, dot_q4_k_row);
  set(GgmlType::kQ5_K, dot_q5_k_row);
  set(GgmlType::kQ6_K, dot_q6_k_row);
  set(GgmlType::kIQ4_XS, dot_iq4_xs_row);
  static_assert(kNT == kDotNTokens);
  t.dot_n[static_cast<int>(GgmlType::kQ8_0)] = dot4_q8_0_row;
  t.dot_n[static_cast<int>(GgmlType::kQ4_0)] = dot4_q4_0_row;
  t.dot_n[static_cast<int>(GgmlType::kQ5_0)] = dot4_q5_0_row;
  t.dot_n[static_cast<int>(GgmlType::kIQ4_NL)] = dot4_iq4_nl_row;
  t.dot_n[static_cast<int>(GgmlType::kQ4_K)] = dot4_q4_k_row;
  t.dot_n[static_cast<int>(GgmlType::kQ6_K)] = dot4_q6_k_row;
  return t;
}

}  // namespace

const QdotTable& qdot_table_avx2() {
  static const QdotTable table = make_table();
  return table;
}

}  // namespace hearth::kernels
