// Scale searches shared by the reference quantizers: given a group of values, choose the scale
// (and for the asymmetric formats the min) and the integer levels that minimize a weighted squared
// error. Each function states which llama.cpp routine it is equivalent to: the arithmetic is kept
// in the same order (float, no fused multiply-add) so that hearth produces the same bytes.
#pragma once

#include <cstdint>
#include <cstring>

namespace hearth::quant::detail {

// Groups whose largest magnitude is below this are stored as all zeros.
inline constexpr float kGroupMaxEps = 1e-15f;
// Largest group the scale/min searches take.
inline constexpr int kMaxFitGroup = 32;

// Round to nearest with ties to even, valid for |v| < 2^22. Adding 1.5 * 2^23 pushes the integer
// part into the low mantissa bits. (Differs from std::round on exact .5 ties.)
inline int nearest_int(float v) {
  float shifted = v + 12582912.f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

// Index of the entry of the sorted table `values` (n a power of two) closest to x; a value exactly
// half-way between two entries picks the upper one.
inline int nearest_table_index(int n, const int8_t* values, float x) {
  const float twice_x = x + x;
  int index = 0;
  for (int step = n >> 1; step > 0; step >>= 1) {
    const int probe = index + step;
    if (twice_x >= static_cast<float>(values[probe - 1] + values[probe])) index = probe;
  }
  return index;
}

// Symmetric levels l in [-nmax, nmax-1], stored as L = l + nmax; returns the scale (x ~ scale * l).
// error_weighting: 0 plain rounding at scale max/-nmax; 1 weights x^2; 2 uniform; 3 |x|;
// otherwise sqrt|x|. A non-null `weights` replaces the weighting. Searches 18 scales around
// nmax/max. (llama.cpp: make_qx_quants.)
float fit_symmetric_scale(int n, int nmax, const float* x, int8_t* L, int error_weighting,
                          const float* weights);

// Symmetric levels for Q3_K's reference quantizer: rounding at max/-nmax, then (if refine) up to
// five passes moving single levels while the x^2-weighted error drops. L = l + nmax.
// (llama.cpp: make_q3_quants.)
float fit_symmetric_scale_q3(int n, int nmax, const float* x, int8_t* L, bool refine);

// Asymmetric levels L in [0, nmax], x ~ scale * L - neg_min, min <= 0. Tries nstep+1 scales
// (nmax + rmin + rdelta*i) / (max - min), each with the weighted least-squares scale and min for
// its levels; keeps the best by weighted squared (or absolute, use_mad) error. n <= 32. Returns the
// scale, stores -min in *neg_min. (llama.cpp: make_qkx2_quants.)
float fit_scale_and_min(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                        float* neg_min, float rmin, float rdelta, int nstep, bool use_mad);

// The same search used with importance weights; null `weights` means x^2.
// (llama.cpp: make_qkx3_quants.)
float fit_scale_and_min_v3(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                           float* neg_min, float rmin, float rdelta, int nstep, bool use_mad);

// Parameters of the asymmetric search above.
struct AsymSearch {
  float rmin = 0, rdelta = 0;
  int nstep = 0;
  bool use_mad = false;
  bool v3 = false;  // make_qkx3_quants' empty-range test (max <= min) instead of max == min
};

// fit_scale_and_min (or _v3) for n_groups independent groups of n values: group g is
// x + g*n with weights + g*n (non-null), writes L + g*n, scales[g] and neg_mins[g]. The results
// are bit-identical to one call per group; with AVX2 eight groups run in the lanes of a vector.
void fit_scale_and_min_groups(int n_groups, int n, int nmax, const float* x, const float* weights,
                              uint8_t* L, float* scales, float* neg_mins, const AsymSearch& s);

// The AVX2 kernel behind fit_scale_and_min_groups: exactly 8 groups. Returns false (writing
// nothing) when a group has an empty range; the caller then runs the scalar code.
bool fit_scale_and_min_x8_avx2(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                               float* scales, float* neg_mins, const AsymSearch& s);

// fit_symmetric_scale(n, nmax, x, L, 1, weights) for n_groups independent groups of n values
// (group g: x + g*n, weights + g*n or x^2 when null, L + g*n, scales[g]); bit-identical results.
void fit_symmetric_scale_groups(int n_groups, int n, int nmax, const float* x, const float* weights,
                                int8_t* L, float* scales);
// Its AVX2 kernel: exactly 8 groups; false (nothing written) when a group is all zeros.
bool fit_symmetric_scale_x8_avx2(int n, int nmax, const float* x, const float* weights, int8_t* L,
                                 float* scales);

// Which code fit_scale_and_min_groups and fit_symmetric_scale_groups run: AVX2 when the CPU has it
// and HEARTH_ISA is not "scalar". For tests: set_vector_search(false) forces the scalar code;
// returns the old setting (true only if the CPU supports it).
bool vector_search_enabled();
bool set_vector_search(bool on);

// Non-negative values x (sub-block scales or mins) to levels L in [0, nmax] with one shared scale,
// weighted by `weights`: 9 candidate scales, then up to five single-level refinement passes.
// (llama.cpp: make_qp_quants.)
float fit_positive_scale(int n, int nmax, const float* x, uint8_t* L, const float* weights);

}  // namespace hearth::quant::detail
