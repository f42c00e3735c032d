// GEMV row dot products and activation quantizers, AVX-512 path: AVX512-VNNI (vpdpbusd) on 256-bit
// registers for the integer dot products.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/qdot.h"
#include "kernels/ref/qdot_ref.h"
#include "quant/blocks.h"
#include "quant/type_traits.h"

#define HEARTH_X86_VNNI 1
namespace hearth::kernels {
namespace {

// clang-format off
#include "kernels/x86/simd_x86.inc"
#include "kernels/x86/quantize_x86.inc"
#include "kernels/x86/qdot_x86.inc"
#include "kernels/x86/qdot_k_x86.inc"
// clang-format on

#include "kernels/x86/qdot_table_x86.inc"

}  // namespace

const QdotTable& qdot_table_avx512() {
  static const QdotTable table = make_table();
  return table;
}

}  // namespace hearth::kernels
