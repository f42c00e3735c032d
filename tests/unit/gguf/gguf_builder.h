// Builds GGUF byte streams by hand, field by field, so tests can craft both valid and broken files.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::testing {

class GgufBuilder {
 public:
  std::vector<uint8_t> bytes;

  GgufBuilder& raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
    return *this;
  }
  GgufBuilder& u8(uint8_t v) { return raw(&v, 1); }
  GgufBuilder& u32(uint32_t v) { return raw(&v, 4); }
  GgufBuilder& i32(int32_t v) { return raw(&v, 4); }
  GgufBuilder& u64(uint64_t v) { return raw(&v, 8); }
  GgufBuilder& i64(int64_t v) { return raw(&v, 8); }
  GgufBuilder& f32(float v) { return raw(&v, 4); }
  GgufBuilder& str(std::string_view s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  GgufBuilder& zeros(size_t n) {
    bytes.resize(bytes.size() + n, 0);
    return *this;
  }
  GgufBuilder& pad_to(size_t alignment) {
    while (bytes.size() % alignment != 0) bytes.push_back(0);
    return *this;
  }

  // "GGUF" | version | n_tensors | n_kv
  GgufBuilder& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    raw("GGUF", 4);
    u32(version);
    u64(n_tensors);
    return u64(n_kv);
  }
  // Metadata entries: key, value type (see gguf::ValueType), value.
  GgufBuilder& kv_u32(std::string_view key, uint32_t v) { return str(key).u32(4).u32(v); }
  GgufBuilder& kv_str(std::string_view key, std::string_view v) { return str(key).u32(8).str(v); }
  GgufBuilder& kv_f32(std::string_view key, float v) { return str(key).u32(6).f32(v); }
  GgufBuilder& kv_str_array(std::string_view key, const std::vector<std::string>& items) {
    str(key).u32(9).u32(8).u64(items.size());
    for (const auto& s : items) str(s);
    return *this;
  }
  // Tensor directory entry: name, n_dims, ne[], ggml type, offset.
  GgufBuilder& tensor(std::string_view name, const std::vector<int64_t>& ne, uint32_t type,
                      uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (int64_t d : ne) i64(d);
    return u32(type).u64(offset);
  }
};

// A small valid v3 file: 4 metadata keys, tensors "a" (F32 [4, 2], 32 bytes at 0) and
// "b" (F16 [16], 32 bytes at 32). Tensor data ends exactly at the end of the file.
inline std::vector<uint8_t> small_valid_gguf() {
  GgufBuilder b;
  b.header(2, 4)
      .kv_str("general.architecture", "llama")
      .kv_u32("llama.context_length", 256)
      .kv_f32("llama.rope.freq_base", 10000.0f)
      .kv_str_array("tokenizer.ggml.tokens", {"<unk>", "a", "bc"})
      .tensor("a", {4, 2}, 0, 0)
      .tensor("b", {16}, 1, 32)
      .pad_to(32);
  for (int i = 0; i < 64; ++i) b.u8(static_cast<uint8_t>(i + 1));
  return b.bytes;
}

}  // namespace hearth::testing
