// GGUF container: read (v2, v3) and write. No compute here.
//
// File layout (little-endian):
//   magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv x { string key | u32 value_type | value }
//   n_tensors x { string name | u32 n_dims | u64 ne[n_dims] | u32 ggml_type | u64 offset }
//   padding to `general.alignment` (default 32)
//   tensor data; each tensor's offset is relative to the data section start and aligned.
// Strings are u64 length + bytes (no NUL). Arrays are u32 element type + u64 count + elements.
//
// What the reader accepts (anything else is a Status naming the problem and its byte position):
// versions 2 and 3; non-empty, unique keys and tensor names; `general.alignment` a u32 power of
// two; arrays nested at most 8 deep; 0-4 dimensions, each >= 1 (llama.cpp also takes 0-element
// tensors, hearth refuses them); element and byte counts within 64 bits; a known tensor type; each
// tensor's offset aligned and its data inside the file. Offsets need not be contiguous.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/mapped_file.h"
#include "core/status.h"

namespace hearth::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
inline constexpr uint32_t kDefaultAlignment = 32;
inline constexpr int kMaxDims = 4;

enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
const char* value_type_name(ValueType type);

struct Value;

// A homogeneous array; elements of nested arrays are themselves kArray values.
struct Array {
  ValueType element_type = ValueType::kUint8;
  std::vector<Value> items;
};

struct Value {
  ValueType type = ValueType::kUint8;
  // Holds: uint64_t for unsigned ints and bool, int64_t for signed ints, double for floats,
  // std::string for strings, std::shared_ptr<Array> for arrays. `type` keeps the exact GGUF
  // type so writing back reproduces the same bytes.
  std::variant<uint64_t, int64_t, double, std::string, std::shared_ptr<Array>> data;

  static Value u8(uint8_t v) { return {ValueType::kUint8, uint64_t{v}}; }
  static Value u32(uint32_t v) { return {ValueType::kUint32, uint64_t{v}}; }
  static Value i32(int32_t v) { return {ValueType::kInt32, int64_t{v}}; }
  static Value u64(uint64_t v) { return {ValueType::kUint64, v}; }
  static Value f32(float v) { return {ValueType::kFloat32, double{v}}; }
  static Value boolean(bool v) { return {ValueType::kBool, uint64_t{v ? 1u : 0u}}; }
  static Value str(std::string v) { return {ValueType::kString, std::move(v)}; }
  static Value array(ValueType element_type, std::vector<Value> items);

  bool is_integer() const;
  bool is_float() const;
  bool is_string() const { return type == ValueType::kString; }
  bool is_array() const { return type == ValueType::kArray; }
  // Conversions; the caller checks the kind first (or uses the Result accessors on File).
  int64_t as_int() const;
  uint64_t as_uint() const;
  double as_double() const;
  bool as_bool() const { return as_uint() != 0; }
  const std::string& as_string() const { return std::get<std::string>(data); }
  const Array& as_array() const { return *std::get<std::shared_ptr<Array>>(data); }
  // Human-readable, arrays longer than `max_items` summarized ("[32000 x string: "<unk>", ...]").
  std::string to_display_string(size_t max_items = 8) const;
};

struct KeyValue {
  std::string key;
  Value value;
};

struct TensorInfo {
  std::string name;
  uint32_t ggml_type = 0;  // see quant/type_traits.h (GgmlType)
  int n_dims = 0;
  int64_t ne[kMaxDims] = {1, 1, 1, 1};  // ne[0] is the contiguous (row) dimension
  uint64_t offset = 0;                  // relative to the start of the data section
  uint64_t n_bytes = 0;                 // computed from type and shape
  const uint8_t* data = nullptr;        // points into the mapped file (nullptr when not mapped)

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
};

// A parsed GGUF file. Tensor data stays in the mapping (zero-copy views).
class File {
 public:
  // Maps and parses `path`. Errors name the file and the exact problem.
  static Result<File> open(const std::string& path);
  // Parses bytes that the caller keeps alive (tests, fuzzer). `name` is used in messages.
  static Result<File> parse(std::span<const uint8_t> bytes, const std::string& name = "<memory>");

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // absolute start of the data section
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

  const std::vector<KeyValue>& metadata() const { return metadata_; }
  const Value* find(std::string_view key) const;  // nullptr if absent
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Typed getters; errors say which key is missing or has the wrong type.
  Result<std::string> get_string(std::string_view key) const;
  Result<int64_t> get_int(std::string_view key) const;    // any integer type
  Result<uint64_t> get_uint(std::string_view key) const;  // any non-negative integer
  Result<double> get_float(std::string_view key) const;   // float or integer types
  Result<bool> get_bool(std::string_view key) const;
  Result<const Array*> get_array(std::string_view key) const;
  // With defaults when the key is absent (still an error when present with a bad type).
  std::string get_string_or(std::string_view key, const std::string& fallback) const;
  int64_t get_int_or(std::string_view key, int64_t fallback) const;
  double get_float_or(std::string_view key, double fallback) const;
  bool get_bool_or(std::string_view key, bool fallback) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;  // nullptr if absent

  // The raw bytes of the whole file (valid while this File lives).
  std::span<const uint8_t> bytes() const { return bytes_; }
  // True when the bytes are a read-only file mapping owned by this File (open()).
  bool is_mapped() const { return mapping_ != nullptr; }

 private:
  friend class Parser;
  std::shared_ptr<MappedFile> mapping_;  // null when parsing caller-owned bytes
  std::span<const uint8_t> bytes_;
  std::string path_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  uint64_t file_size_ = 0;
  std::vector<KeyValue> metadata_;
  std::map<std::string, size_t, std::less<>> metadata_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// Builds a GGUF file: metadata in insertion order, tensors in insertion order, data aligned.
class Writer {
 public:
  explicit Writer(uint32_t version = 3) : version_(version) {}
  // Sets (or replaces, keeping its position) a metadata key.
  void set(const std::string& key, Value value);
  void remove(const std::string& key);
  // Adds a tensor; `data` must hold exactly the bytes its type and shape need and stay alive until
  // write(). ne has n_dims entries in GGUF order (ne[0] contiguous).
  Status add_tensor(const std::string& name, uint32_t ggml_type, std::span<const int64_t> ne,
                    std::span<const uint8_t> data);
  // Like add_tensor but the writer owns a copy of the data.
  Status add_tensor_copy(const std::string& name, uint32_t ggml_type, std::span<const int64_t> ne,
                         std::vector<uint8_t> data);

  // Serializes into memory / writes to a file (atomically: a temporary file renamed into place).
  Result<std::vector<uint8_t>> to_bytes() const;
  Status write_file(const std::string& path) const;

  // Copies every metadata key of `file` (in order) into this writer.
  void copy_metadata_from(const File& file);

  // A file without tensors has no data section; llama.cpp still pads its header to the alignment,
  // gguf-py does not. Default: no padding (rewrite() keeps whatever the source file did).
  void set_pad_without_tensors(bool pad) { pad_without_tensors_ = pad; }

 private:
  struct PendingTensor {
    std::string name;
    uint32_t ggml_type;
    int n_dims;
    int64_t ne[kMaxDims];
    std::span<const uint8_t> data;
    std::shared_ptr<std::vector<uint8_t>> owned;
  };
  Result<std::vector<uint8_t>> serialize_header(uint32_t alignment) const;
  Result<uint32_t> alignment() const;

  uint32_t version_;
  bool pad_without_tensors_ = false;
  std::vector<KeyValue> metadata_;
  std::vector<PendingTensor> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// Writes `file` back out: same metadata, same tensors, same alignment (byte-identical for files
// written by llama.cpp or hearth).
Result<std::vector<uint8_t>> rewrite(const File& file);

}  // namespace hearth::gguf
