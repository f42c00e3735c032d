// Load-time repacking of Q8_0 / Q4_0 / Q4_K / Q6_K weights into 16-row interleaved blocks
// (layout in kernels/repack.h): each source block is decoded to its integer values and
// scales, then written into its row's lanes.
#include "kernels/repack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/fp16.h"
#include "quant/blocks.h"
#include "quant/kquant_scales.h"
#include "quant/type_traits.h"

namespace hearth::kernels {
namespace {

using quant::GgmlType;

bool repack_type_of(uint32_t ggml_type, RepackType* out) {
  switch (static_cast<GgmlType>(ggml_type)) {
    case GgmlType::kQ8_0:
      *out = RepackType::kQ8_0;
      return true;
    case GgmlType::kQ4_0:
      *out = RepackType::kQ4_0;
      return true;
    case GgmlType::kQ4_K:
      *out = RepackType::kQ4_K;
      return true;
    case GgmlType::kQ6_K:
      *out = RepackType::kQ6_K;
      return true;
    default:
      return false;
  }
}

int64_t block_values(RepackType t) {
  return t == RepackType::kQ4_K || t == RepackType::kQ6_K ? quant::kQK_K : quant::kQK8_0;
}

size_t block_bytes_of(RepackType t) {
  switch (t) {
    case RepackType::kQ8_0:
      return 544;
    case RepackType::kQ4_0:
      return 288;
    case RepackType::kQ4_K:
      return 2368;
    case RepackType::kQ6_K:
      return 3360;
  }
  return 0;
}

// Byte of the (16 rows x 4 k) group holding row r, value k (k counted within 32 values).
inline size_t lane_byte(int r, int k) {
  return static_cast<size_t>(r) * 4 + (k & 3);
}

// Writes 32 values q (0..15) of row r as Q4_0-order nibbles into qs (256 bytes).
void put_nibbles32(uint8_t* qs, int r, const uint8_t* q) {
  for (int k = 0; k < 32; ++k) {
    const int g = k / 4;  // 0..7: loads i = g % 4, high nibble when g >= 4
    uint8_t& b = qs[(g % 4) * 64 + lane_byte(r, k)];
    b = g < 4 ? static_cast<uint8_t>((b & 0xF0) | q[k])
              : static_cast<uint8_t>((b & 0x0F) | (q[k] << 4));
  }
}

void put_f16(uint8_t* p, int r, uint16_t h) {
  std::memcpy(p + 2 * r, &h, 2);
}

void pack_q8_0(const uint8_t* src, int r, uint8_t* dst) {
  const auto* b = reinterpret_cast<const quant::BlockQ8_0*>(src);
  for (int k = 0; k < 32; ++k) dst[(k / 4) * 64 + lane_byte(r, k)] = static_cast<uint8_t>(b->qs[k]);
  put_f16(dst + 512, r, b->d);
}

void pack_q4_0(const uint8_t* src, int r, uint8_t* dst) {
  const auto* b = reinterpret_cast<const quant::BlockQ4_0*>(src);
  uint8_t q[32];
  for (int j = 0; j < 16; ++j) {
    q[j] = b->qs[j] & 0x0F;
    q[j + 16] = b->qs[j] >> 4;
  }
  put_nibbles32(dst, r, q);
  put_f16(dst + 256, r, b->d);
}

void pack_q4_k(const uint8_t* src, int r, uint8_t* dst) {
  const auto* b = reinterpret_cast<const quant::BlockQ4_K*>(src);
  uint8_t q[256];
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      q[64 * c + l] = b->qs[32 * c + l] & 0x0F;
      q[64 * c + 32 + l] = b->qs[32 * c + l] >> 4;
    }
  }
  for (int j = 0; j < 8; ++j) {
    put_nibbles32(dst + 256 * j, r, q + 32 * j);
    uint8_t sc = 0, m = 0;
    quant::detail::get_scale_min_k4(j, b->scales, &sc, &m);
    dst[2112 + 16 * j + r] = sc;
    dst[2240 + 16 * j + r] = m;
  }
  put_f16(dst + 2048, r, b->d);
  put_f16(dst + 2080, r, b->dmin);
}

void pack_q6_k(const uint8_t* src, int r, uint8_t* dst) {
  const auto* b = reinterpret_cast<const quant::BlockQ6_K*>(src);
  uint8_t q[256];  // 0..63
  for (int n = 0; n < 2; ++n) {
    const uint8_t* ql = b->ql + 64 * n;
    const uint8_t* qh = b->qh + 32 * n;
    for (int l = 0; l < 32; ++l) {
      q[128 * n + l] = (ql[l] & 0x0F) | ((qh[l] & 3) << 4);
      q[128 * n + l + 32] = (ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4);
      q[128 * n + l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
      q[128 * n + l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
    }
  }
  for (int c = 0; c < 8; ++c) {
    uint8_t* chunk = dst + 384 * c;
    uint8_t lo[32];
    for (int k = 0; k < 32; ++k) lo[k] = q[32 * c + k] & 0x0F;
    put_nibbles32(chunk, r, lo);
    for (int k = 0; k < 32; ++k) {
      const int g = k / 4, h = g / 4, s = g % 4;
      uint8_t& hb = chunk[256 + h * 64 + lane_byte(r, k)];
      hb = static_cast<uint8_t>(hb | ((q[32 * c + k] >> 4) << (2 * s)));
    }
  }
  for (int s = 0; s < 16; ++s) dst[3072 + 16 * s + r] = static_cast<uint8_t>(b->scales[s]);
  put_f16(dst + 3328, r, b->d);
}

}  // namespace

bool repack_supported(uint32_t ggml_type) {
  RepackType t;
  return repack_type_of(ggml_type, &t);
}

std::shared_ptr<const RepackedMatrix> repack_matrix(const Matrix& w) {
  RepackType type;
  if (!repack_type_of(w.type, &type) || w.data == nullptr || w.rows <= 0 || w.cols <= 0 ||
      w.cols % block_values(type) != 0)
    return nullptr;
  const size_t src_block = quant::type_traits(static_cast<GgmlType>(w.type)).type_size;
  auto m = std::make_shared<RepackedMatrix>();
  m->type = type;
  m->rows = w.rows;
  m->cols = w.cols;
  m->n_groups = (w.rows + kRepackRows - 1) / kRepackRows;
  m->blocks = w.cols / block_values(type);
  m->block_bytes = block_bytes_of(type);
  m->data.resize(static_cast<size_t>(m->n_groups * m->blocks) * m->block_bytes);  // zeroed
  for (int64_t row = 0; row < w.rows; ++row) {
    const uint8_t* src = w.data + row * w.row_bytes;
    uint8_t* dst = m->data.data() + (row / kRepackRows) * m->blocks * m->block_bytes;
    const int r = static_cast<int>(row % kRepackRows);
    for (int64_t b = 0; b < m->blocks; ++b, src += src_block, dst += m->block_bytes) {
      switch (type) {
        case RepackType::kQ8_0:
          pack_q8_0(src, r, dst);
          break;
        case RepackType::kQ4_0:
          pack_q4_0(src, r, dst);
          break;
        case RepackType::kQ4_K:
          pack_q4_k(src, r, dst);
          break;
        case RepackType::kQ6_K:
          pack_q6_k(src, r, dst);
          break;
      }
    }
  }
  return m;
}

bool repack_enabled() {
  const char* env = std::getenv("HEARTH_REPACK");
  return env == nullptr || std::strcmp(env, "0") != 0;
}

void release_source_pages(const void* data, size_t bytes) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) / page * page;
  if (end <= begin) return;
  // best effort: a failure only means the pages stay resident
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace hearth::kernels
