// GGUF reader: header, metadata, tensor directory, data section. Every count, length and offset is
// checked against the bytes that remain before it is used, so a corrupt file gives a Status naming
// the problem and where it is, never a crash or a huge allocation.
#include <cstring>
#include <limits>

#include "gguf/gguf.h"
#include "gguf/wire.h"
#include "quant/type_traits.h"

namespace hearth::gguf {
namespace {

// Reads little-endian values from a byte span, refusing to step past its end.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t pos() const { return pos_; }
  uint64_t size() const { return bytes_.size(); }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  Status need(uint64_t n, const char* what) const {
    if (n <= remaining()) return Status::Ok();
    return corrupt_file("truncated ", what, " at byte ", with_commas(pos_), ": needs ",
                        with_commas(n), " bytes but the file ends at byte ", with_commas(size()));
  }

  template <typename T>
  Status read(T& out, const char* what) {
    HEARTH_RETURN_IF_ERROR(need(sizeof(T), what));
    std::memcpy(&out, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  // u64 length + bytes.
  Status read_string(std::string& out, const char* what) {
    uint64_t start = pos_;
    uint64_t length = 0;
    HEARTH_RETURN_IF_ERROR(read(length, what));
    if (length > remaining()) {
      return corrupt_file("truncated ", what, " at byte ", with_commas(start), ": its length is ",
                          with_commas(length), " but only ", with_commas(remaining()),
                          " bytes remain in the file");
    }
    out.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return Status::Ok();
  }

 private:
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
};

std::string shape_string(const TensorInfo& t) {
  std::string s = "[";
  for (int i = 0; i < t.n_dims; ++i) s += str_cat(i ? ", " : "", t.ne[i]);
  return s + "]";
}

}  // namespace

class Parser {
 public:
  explicit Parser(File& file) : file_(file), in_(file.bytes_) {}

  Status run() {
    uint64_t n_tensors = 0, n_kv = 0;
    HEARTH_RETURN_IF_ERROR(parse_header(n_tensors, n_kv));
    HEARTH_RETURN_IF_ERROR(parse_metadata(n_kv));
    HEARTH_RETURN_IF_ERROR(read_alignment());
    HEARTH_RETURN_IF_ERROR(parse_tensor_infos(n_tensors));
    return place_tensors();
  }

 private:
  Status parse_header(uint64_t& n_tensors, uint64_t& n_kv);
  Status parse_metadata(uint64_t n_kv);
  Status parse_value(ValueType type, int depth, Value& out);
  Status parse_array(int depth, Value& out);
  Status read_alignment();
  Status parse_tensor_infos(uint64_t n_tensors);
  Status parse_tensor_info(TensorInfo& t);
  Status read_shape(TensorInfo& t);
  Status place_tensors();

  File& file_;
  Cursor in_;
};

Status Parser::parse_header(uint64_t& n_tensors, uint64_t& n_kv) {
  if (in_.size() == 0) return corrupt_file("the file is empty (expected a GGUF header)");
  if (in_.size() < 4) {
    return corrupt_file("not a GGUF file: only ", in_.size(), " bytes, too short for the magic");
  }
  uint32_t magic = 0;
  HEARTH_RETURN_IF_ERROR(in_.read(magic, "magic"));
  if (magic != kMagic) {
    std::string shown;
    for (int i = 0; i < 4; ++i) {
      unsigned char c = static_cast<unsigned char>(magic >> (8 * i));
      shown.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
    }
    return corrupt_file("not a GGUF file: it starts with '", shown, "' instead of 'GGUF'");
  }
  uint32_t version = 0;
  HEARTH_RETURN_IF_ERROR(in_.read(version, "version"));
  if (version != 0 && (version & 0xffffu) == 0) {
    return unsupported("GGUF version field is ", version,
                       ": this looks like a big-endian file, which hearth does not read");
  }
  if (version == 1) {
    return unsupported("GGUF version 1 is no longer supported (re-convert the model to v3)");
  }
  if (version < 2 || version > 3) {
    return unsupported("GGUF version ", version,
                       " is not supported (hearth reads versions 2 and 3)");
  }
  file_.version_ = version;
  HEARTH_RETURN_IF_ERROR(in_.read(n_tensors, "tensor count"));
  HEARTH_RETURN_IF_ERROR(in_.read(n_kv, "metadata count"));
  if (n_kv > in_.remaining() / wire::kMinKvBytes) {
    return corrupt_file("the header says ", with_commas(n_kv), " metadata entries but only ",
                        with_commas(in_.remaining()),
                        " bytes follow the header (each entry takes at least ", wire::kMinKvBytes,
                        ")");
  }
  if (n_tensors > in_.remaining() / wire::kMinTensorInfoBytes) {
    return corrupt_file("the header says ", with_commas(n_tensors), " tensors but only ",
                        with_commas(in_.remaining()),
                        " bytes follow the header (each tensor entry takes at least ",
                        wire::kMinTensorInfoBytes, ")");
  }
  return Status::Ok();
}

Status Parser::parse_metadata(uint64_t n_kv) {
  file_.metadata_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string where = str_cat("metadata entry ", i + 1, " of ", n_kv);
    KeyValue kv;
    uint64_t key_pos = in_.pos();
    Status s = in_.read_string(kv.key, "metadata key");
    if (!s.ok()) return s.with_context(where);
    if (kv.key.empty())
      return corrupt_file(where, " at byte ", with_commas(key_pos), " has an empty key");
    auto [it, inserted] = file_.metadata_index_.emplace(kv.key, file_.metadata_.size());
    if (!inserted) {
      return corrupt_file("duplicate metadata key '", kv.key, "' (entries ", it->second + 1,
                          " and ", i + 1, ")");
    }
    uint32_t raw_type = 0;
    s = in_.read(raw_type, "value type");
    if (s.ok() && !wire::is_known_value_type(raw_type)) {
      s = corrupt_file("unknown value type ", raw_type, " at byte ", with_commas(in_.pos() - 4));
    }
    if (s.ok()) s = parse_value(static_cast<ValueType>(raw_type), 1, kv.value);
    if (!s.ok()) return s.with_context(str_cat("metadata key '", kv.key, "'"));
    file_.metadata_.push_back(std::move(kv));
  }
  return Status::Ok();
}

Status Parser::parse_value(ValueType type, int depth, Value& out) {
  out.type = type;
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kBool: {  // a bool keeps its raw byte so a rewrite reproduces it
      uint8_t v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, value_type_name(type)));
      out.data = uint64_t{v};
      return Status::Ok();
    }
    case ValueType::kInt8: {
      int8_t v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, "i8"));
      out.data = int64_t{v};
      return Status::Ok();
    }
    case ValueType::kUint16: {
      uint16_t v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, "u16"));
      out.data = uint64_t{v};
      return Status::Ok();
    }
    case ValueType::kInt16: {
      int16_t v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, "i16"));
      out.data = int64_t{v};
      return Status::Ok();
    }
    case ValueType::kUint32: {
      uint32_t v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, "u32"));
      out.data = uint64_t{v};
      return Status::Ok();
    }
    case ValueType::kInt32: {
      int32_t v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, "i32"));
      out.data = int64_t{v};
      return Status::Ok();
    }
    case ValueType::kFloat32: {
      uint32_t bits = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(bits, "f32"));
      out.data = wire::f32_bits_to_double(bits);
      return Status::Ok();
    }
    case ValueType::kUint64: {
      uint64_t v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, "u64"));
      out.data = v;
      return Status::Ok();
    }
    case ValueType::kInt64: {
      int64_t v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, "i64"));
      out.data = v;
      return Status::Ok();
    }
    case ValueType::kFloat64: {
      double v = 0;
      HEARTH_RETURN_IF_ERROR(in_.read(v, "f64"));
      out.data = v;
      return Status::Ok();
    }
    case ValueType::kString: {
      std::string v;
      HEARTH_RETURN_IF_ERROR(in_.read_string(v, "string"));
      out.data = std::move(v);
      return Status::Ok();
    }
    case ValueType::kArray:
      return parse_array(depth, out);
  }
  return corrupt_file("unknown value type ", static_cast<uint32_t>(type));
}

Status Parser::parse_array(int depth, Value& out) {
  uint64_t start = in_.pos();
  uint32_t raw_type = 0;
  uint64_t count = 0;
  HEARTH_RETURN_IF_ERROR(in_.read(raw_type, "array element type"));
  if (!wire::is_known_value_type(raw_type)) {
    return corrupt_file("array at byte ", with_commas(start), " has unknown element type ",
                        raw_type);
  }
  auto element_type = static_cast<ValueType>(raw_type);
  if (element_type == ValueType::kArray && depth >= wire::kMaxArrayDepth) {
    return corrupt_file("arrays nested more than ", wire::kMaxArrayDepth, " deep at byte ",
                        with_commas(start));
  }
  HEARTH_RETURN_IF_ERROR(in_.read(count, "array length"));
  if (count > in_.remaining() / wire::min_value_bytes(element_type)) {
    return corrupt_file("array at byte ", with_commas(start), " says it holds ", with_commas(count),
                        " ", value_type_name(element_type), " items but only ",
                        with_commas(in_.remaining()), " bytes remain in the file");
  }
  auto array = std::make_shared<Array>();
  array->element_type = element_type;
  array->items.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    Status s = parse_value(element_type, depth + 1, array->items[i]);
    if (!s.ok()) return s.with_context(str_cat("array item ", i, " of ", with_commas(count)));
  }
  out.data = std::move(array);
  return Status::Ok();
}

Status Parser::read_alignment() {
  const Value* v = file_.find("general.alignment");
  if (v == nullptr) return Status::Ok();
  if (v->type != ValueType::kUint32) {
    return corrupt_file("general.alignment must be a u32 but is a ", value_type_name(v->type));
  }
  uint64_t alignment = v->as_uint();
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return corrupt_file("general.alignment is ", alignment, ", which is not a power of two");
  }
  file_.alignment_ = static_cast<uint32_t>(alignment);
  return Status::Ok();
}

Status Parser::parse_tensor_infos(uint64_t n_tensors) {
  file_.tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    Status s = parse_tensor_info(t);
    if (!s.ok()) return s.with_context(str_cat("tensor entry ", i + 1, " of ", n_tensors));
    auto [it, inserted] = file_.tensor_index_.emplace(t.name, file_.tensors_.size());
    if (!inserted) {
      return corrupt_file("duplicate tensor name '", t.name, "' (tensor entries ", it->second + 1,
                          " and ", i + 1, ")");
    }
    file_.tensors_.push_back(std::move(t));
  }
  return Status::Ok();
}

Status Parser::parse_tensor_info(TensorInfo& t) {
  uint64_t name_pos = in_.pos();
  HEARTH_RETURN_IF_ERROR(in_.read_string(t.name, "tensor name"));
  if (t.name.empty()) return corrupt_file("empty tensor name at byte ", with_commas(name_pos));
  Status s = read_shape(t);
  uint32_t type = 0;
  if (s.ok()) s = in_.read(type, "tensor type");
  if (s.ok() && quant::find_type_traits(type) == nullptr) {
    s = unsupported("unknown tensor type id ", type, " (a newer ggml type, or a corrupt file)");
  }
  t.ggml_type = type;
  if (s.ok()) {
    Result<uint64_t> bytes = quant::tensor_bytes(type, t.ne);
    if (!bytes.ok()) {
      s = corrupt_file("type ", quant::type_name(type), " with shape ", shape_string(t), ": ",
                       bytes.status().message());
    } else {
      t.n_bytes = *bytes;
    }
  }
  if (s.ok()) s = in_.read(t.offset, "tensor data offset");
  if (!s.ok()) return s.with_context(str_cat("tensor ", t.name));
  return Status::Ok();
}

Status Parser::read_shape(TensorInfo& t) {
  uint32_t n_dims = 0;
  HEARTH_RETURN_IF_ERROR(in_.read(n_dims, "tensor dimension count"));
  if (n_dims > static_cast<uint32_t>(kMaxDims)) {
    return corrupt_file(n_dims, " dimensions, but GGUF allows at most ", kMaxDims);
  }
  t.n_dims = static_cast<int>(n_dims);
  int64_t elements = 1;
  for (int d = 0; d < t.n_dims; ++d) {
    HEARTH_RETURN_IF_ERROR(in_.read(t.ne[d], "tensor dimension"));
    if (t.ne[d] < 0) return corrupt_file("dimension ", d, " is negative (", t.ne[d], ")");
    if (t.ne[d] == 0) {
      return corrupt_file("dimension ", d, " is 0 (empty tensors are not supported)");
    }
    if (__builtin_mul_overflow(elements, t.ne[d], &elements)) {
      std::string dims;
      for (int j = 0; j <= d; ++j) dims += str_cat(j ? " x " : "", t.ne[j]);
      return corrupt_file("element count overflows 64 bits (", dims,
                          d + 1 < t.n_dims ? " x ..." : "", ")");
    }
  }
  return Status::Ok();
}

Status Parser::place_tensors() {
  uint64_t header_end = in_.pos();
  uint64_t size = in_.size();
  // The data section is aligned; a file without tensors has none (and may end right here).
  uint64_t data_offset = header_end;
  if (!file_.tensors_.empty()) {
    data_offset = wire::align_up(header_end, file_.alignment_);
    if (data_offset > size) {
      return corrupt_file("the data section starts at byte ", with_commas(data_offset),
                          " (header end padded to ", file_.alignment_, ") but the file has only ",
                          with_commas(size), " bytes");
    }
  }
  file_.data_offset_ = data_offset;
  for (TensorInfo& t : file_.tensors_) {
    if (t.offset % file_.alignment_ != 0) {
      return corrupt_file("tensor ", t.name, ": data offset ", with_commas(t.offset),
                          " is not a multiple of the alignment ", file_.alignment_);
    }
    unsigned __int128 end = static_cast<unsigned __int128>(data_offset) + t.offset + t.n_bytes;
    if (end > size) {
      std::string end_text = end > std::numeric_limits<uint64_t>::max()
                                 ? std::string("past 2^64")
                                 : with_commas(static_cast<uint64_t>(end));
      return corrupt_file("tensor ", t.name, ": data ends at byte ", end_text, " but the file has ",
                          with_commas(size), " bytes");
    }
    t.data = file_.bytes_.data() + data_offset + t.offset;
  }
  return Status::Ok();
}

Result<File> File::parse(std::span<const uint8_t> bytes, const std::string& name) {
  File file;
  file.bytes_ = bytes;
  file.path_ = name;
  file.file_size_ = bytes.size();
  Parser parser(file);
  Status s = parser.run();
  if (!s.ok()) return s.with_context(name);
  return file;
}

Result<File> File::open(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::open(path));
  auto mapping = std::make_shared<MappedFile>(std::move(mapped));
  HEARTH_ASSIGN_OR_RETURN(File file, parse(mapping->bytes(), path));
  file.mapping_ = std::move(mapping);
  return file;
}

}  // namespace hearth::gguf
