// Scalar QdotTable, activation formats per weight type, and table selection by ISA.
#include "kernels/qdot.h"

#include "kernels/ref/qdot_ref.h"
#include "quant/blocks.h"
#include "quant/type_traits.h"

namespace hearth::kernels {
namespace {

using quant::GgmlType;

QdotTable make_scalar_table() {
  QdotTable t;
  auto set = [&t](GgmlType type, RowDotFn fn) { t.dot[static_cast<int>(type)] = fn; };
  t.quantize[static_cast<int>(ActType::kQ8_0)] = ref::quantize_q8_0;
  t.quantize[static_cast<int>(ActType::kQ8_1)] = ref::quantize_q8_1;
  t.quantize[static_cast<int>(ActType::kQ8_K)] = ref::quantize_q8_k;
  set(GgmlType::kF32, ref::dot_f32);
  set(GgmlType::kF16, ref::dot_f16);
  set(GgmlType::kBF16, ref::dot_bf16);
  set(GgmlType::kQ8_0, ref::dot_q8_0);
  set(GgmlType::kQ4_0, ref::dot_q4_0);
  set(GgmlType::kQ4_1, ref::dot_q4_1);
  set(GgmlType::kQ5_0, ref::dot_q5_0);
  set(GgmlType::kQ5_1, ref::dot_q5_1);
  set(GgmlType::kIQ4_NL, ref::dot_iq4_nl);
  set(GgmlType::kQ2_K, ref::dot_q2_k);
  set(GgmlType::kQ3_K, ref::dot_q3_k);
  set(GgmlType::kQ4_K, ref::dot_q4_k);
  set(GgmlType::kQ5_K, ref::dot_q5_k);
  set(GgmlType::kQ6_K, ref::dot_q6_k);
  set(GgmlType::kIQ4_XS, ref::dot_iq4_xs);
  return t;
}

}  // namespace

const QdotTable& qdot_table_scalar() {
  static const QdotTable table = make_scalar_table();
  return table;
}

const QdotTable& qdot_table(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return qdot_table_avx512();
    case Isa::kAvx2:
      return qdot_table_avx2();
    case Isa::kScalar:
      break;
  }
  return qdot_table_scalar();
}

bool act_type_for(uint32_t ggml_type, ActType* out) {
  switch (static_cast<GgmlType>(ggml_type)) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
      *out = ActType::kF32;
      return true;
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kQ8_0:
    case GgmlType::kIQ4_NL:
      *out = ActType::kQ8_0;
      return true;
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1:
      *out = ActType::kQ8_1;
      return true;
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K:
    case GgmlType::kIQ4_XS:
      *out = ActType::kQ8_K;
      return true;
    default:
      return false;
  }
}

int64_t act_block_size(ActType act) {
  switch (act) {
    case ActType::kF32:
      return 1;
    case ActType::kQ8_0:
      return quant::kQK8_0;
    case ActType::kQ8_1:
      return quant::kQK8_1;
    case ActType::kQ8_K:
      return quant::kQK_K;
  }
  return 1;
}

size_t act_row_bytes(ActType act, int64_t n) {
  const size_t blocks = static_cast<size_t>(n / act_block_size(act));
  switch (act) {
    case ActType::kF32:
      return blocks * sizeof(float);
    case ActType::kQ8_0:
      // blocks, f32 scales, block sums
      return blocks * (sizeof(quant::BlockQ8_0) + sizeof(float) + sizeof(int16_t));
    case ActType::kQ8_1:
      return blocks * sizeof(quant::BlockQ8_1);
    case ActType::kQ8_K:
      return blocks * sizeof(quant::BlockQ8_K);
  }
  return 0;
}

}  // namespace hearth::kernels
