// GGUF writer: metadata and tensor directory serialized in insertion order, tensor data aligned and
// zero-padded exactly as llama.cpp and gguf-py lay it out, so read + write reproduces their files.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "gguf/gguf.h"
#include "gguf/wire.h"
#include "quant/type_traits.h"

namespace hearth::gguf {
namespace {

// Appends little-endian values to a byte vector.
class ByteSink {
 public:
  explicit ByteSink(std::vector<uint8_t>& out) : out_(out) {}

  template <typename T>
  void put(T value) {
    const auto* p = reinterpret_cast<const uint8_t*>(&value);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  void put_string(const std::string& s) {
    put(static_cast<uint64_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  Status put_value(const Value& v);

 private:
  Status put_array(const Value& v);
  std::vector<uint8_t>& out_;
};

bool holds_number(const Value& v) {
  return std::holds_alternative<uint64_t>(v.data) || std::holds_alternative<int64_t>(v.data) ||
         std::holds_alternative<double>(v.data);
}

Status ByteSink::put_value(const Value& v) {
  if (v.type == ValueType::kString) {
    if (!std::holds_alternative<std::string>(v.data))
      return invalid_argument("string value holds no string");
    put_string(v.as_string());
    return Status::Ok();
  }
  if (v.type == ValueType::kArray) return put_array(v);
  if (!holds_number(v)) {
    return invalid_argument(value_type_name(v.type), " value holds no number");
  }
  switch (v.type) {
    case ValueType::kUint8:
    case ValueType::kBool:
      put(static_cast<uint8_t>(v.as_uint()));
      break;
    case ValueType::kInt8:
      put(static_cast<int8_t>(v.as_int()));
      break;
    case ValueType::kUint16:
      put(static_cast<uint16_t>(v.as_uint()));
      break;
    case ValueType::kInt16:
      put(static_cast<int16_t>(v.as_int()));
      break;
    case ValueType::kUint32:
      put(static_cast<uint32_t>(v.as_uint()));
      break;
    case ValueType::kInt32:
      put(static_cast<int32_t>(v.as_int()));
      break;
    case ValueType::kFloat32:
      put(wire::double_to_f32_bits(v.as_double()));
      break;
    case ValueType::kUint64:
      put(v.as_uint());
      break;
    case ValueType::kInt64:
      put(v.as_int());
      break;
    case ValueType::kFloat64:
      put(v.as_double());
      break;
    default:
      return invalid_argument("unknown value type ", static_cast<uint32_t>(v.type));
  }
  return Status::Ok();
}

Status ByteSink::put_array(const Value& v) {
  const auto* arr = std::get_if<std::shared_ptr<Array>>(&v.data);
  if (arr == nullptr || *arr == nullptr) return invalid_argument("array value holds no array");
  const Array& a = **arr;
  if (!wire::is_known_value_type(static_cast<uint32_t>(a.element_type))) {
    return invalid_argument("array has unknown element type ",
                            static_cast<uint32_t>(a.element_type));
  }
  put(static_cast<uint32_t>(a.element_type));
  put(static_cast<uint64_t>(a.items.size()));
  for (size_t i = 0; i < a.items.size(); ++i) {
    if (a.items[i].type != a.element_type) {
      return invalid_argument("array of ", value_type_name(a.element_type), " has a ",
                              value_type_name(a.items[i].type), " at item ", i);
    }
    Status s = put_value(a.items[i]);
    if (!s.ok()) return s.with_context(str_cat("array item ", i));
  }
  return Status::Ok();
}

std::string shape_string(int n_dims, const int64_t* ne) {
  std::string s = "[";
  for (int i = 0; i < n_dims; ++i) s += str_cat(i ? ", " : "", ne[i]);
  return s + "]";
}

}  // namespace

void Writer::set(const std::string& key, Value value) {
  for (KeyValue& kv : metadata_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({key, std::move(value)});
}

void Writer::remove(const std::string& key) {
  std::erase_if(metadata_, [&](const KeyValue& kv) { return kv.key == key; });
}

void Writer::copy_metadata_from(const File& file) {
  if (metadata_.empty()) {  // the common case, without a lookup per key
    metadata_ = file.metadata();
    return;
  }
  for (const KeyValue& kv : file.metadata()) set(kv.key, kv.value);
}

Status Writer::add_tensor(const std::string& name, uint32_t ggml_type, std::span<const int64_t> ne,
                          std::span<const uint8_t> data) {
  if (name.empty()) return invalid_argument("tensor name is empty");
  if (tensor_index_.count(name) != 0) return invalid_argument("duplicate tensor name '", name, "'");
  if (ne.size() > static_cast<size_t>(kMaxDims)) {
    return invalid_argument("tensor ", name, ": ", ne.size(),
                            " dimensions, but GGUF allows at most ", kMaxDims);
  }
  PendingTensor t{name, ggml_type, static_cast<int>(ne.size()), {1, 1, 1, 1}, data, nullptr};
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] <= 0) return invalid_argument("tensor ", name, ": dimension ", d, " is ", ne[d]);
    t.ne[d] = ne[d];
  }
  if (quant::find_type_traits(ggml_type) == nullptr) {
    return invalid_argument("tensor ", name, ": unknown tensor type id ", ggml_type);
  }
  Result<uint64_t> bytes = quant::tensor_bytes(ggml_type, t.ne);
  if (!bytes.ok()) return bytes.status().with_context(str_cat("tensor ", name));
  if (data.size() != *bytes) {
    return invalid_argument("tensor ", name, ": ", with_commas(data.size()), " bytes of data, but ",
                            quant::type_name(ggml_type), " with shape ",
                            shape_string(t.n_dims, t.ne), " needs ", with_commas(*bytes));
  }
  tensor_index_.emplace(name, tensors_.size());
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

Status Writer::add_tensor_copy(const std::string& name, uint32_t ggml_type,
                               std::span<const int64_t> ne, std::vector<uint8_t> data) {
  auto owned = std::make_shared<std::vector<uint8_t>>(std::move(data));
  HEARTH_RETURN_IF_ERROR(add_tensor(name, ggml_type, ne, *owned));
  tensors_.back().owned = std::move(owned);
  return Status::Ok();
}

Result<uint32_t> Writer::alignment() const {
  for (const KeyValue& kv : metadata_) {
    if (kv.key != "general.alignment") continue;
    if (kv.value.type != ValueType::kUint32) {
      return invalid_argument("general.alignment must be a u32 but is a ",
                              value_type_name(kv.value.type));
    }
    uint64_t a = kv.value.as_uint();
    if (a == 0 || (a & (a - 1)) != 0 || a > 0xffffffffu) {
      return invalid_argument("general.alignment is ", a, ", which is not a power of two");
    }
    return static_cast<uint32_t>(a);
  }
  return kDefaultAlignment;
}

// Header, metadata, tensor directory and the padding before the data section.
Result<std::vector<uint8_t>> Writer::serialize_header(uint32_t alignment) const {
  if (version_ < 2 || version_ > 3) return invalid_argument("cannot write GGUF version ", version_);
  std::vector<uint8_t> out;
  ByteSink sink(out);
  sink.put(kMagic);
  sink.put(version_);
  sink.put(static_cast<uint64_t>(tensors_.size()));
  sink.put(static_cast<uint64_t>(metadata_.size()));
  for (const KeyValue& kv : metadata_) {
    if (kv.key.empty()) return invalid_argument("metadata key is empty");
    sink.put_string(kv.key);
    sink.put(static_cast<uint32_t>(kv.value.type));
    Status s = sink.put_value(kv.value);
    if (!s.ok()) return s.with_context(str_cat("metadata key '", kv.key, "'"));
  }
  uint64_t offset = 0;  // relative to the data section
  for (const PendingTensor& t : tensors_) {
    sink.put_string(t.name);
    sink.put(static_cast<uint32_t>(t.n_dims));
    for (int d = 0; d < t.n_dims; ++d) sink.put(t.ne[d]);
    sink.put(t.ggml_type);
    sink.put(offset);
    offset += wire::align_up(t.data.size(), alignment);
  }
  if (!tensors_.empty() || pad_without_tensors_)
    out.resize(wire::align_up(out.size(), alignment), 0);
  return out;
}

Result<std::vector<uint8_t>> Writer::to_bytes() const {
  HEARTH_ASSIGN_OR_RETURN(uint32_t align, alignment());
  HEARTH_ASSIGN_OR_RETURN(std::vector<uint8_t> out, serialize_header(align));
  uint64_t total = out.size();
  for (const PendingTensor& t : tensors_) total += wire::align_up(t.data.size(), align);
  out.reserve(total);
  for (const PendingTensor& t : tensors_) {
    out.insert(out.end(), t.data.begin(), t.data.end());
    out.resize(wire::align_up(out.size(), align), 0);
  }
  return out;
}

namespace {

Status write_all(FILE* f, const uint8_t* data, size_t n, const std::string& path) {
  if (n > 0 && std::fwrite(data, 1, n, f) != n) {
    return io_error("writing '", path, "': ", std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Status Writer::write_file(const std::string& path) const {
  HEARTH_ASSIGN_OR_RETURN(uint32_t align, alignment());
  HEARTH_ASSIGN_OR_RETURN(std::vector<uint8_t> header, serialize_header(align));
  std::string tmp = str_cat(path, ".tmp.", ::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return io_error("cannot create '", tmp, "': ", std::strerror(errno));
  static const uint8_t kZeros[256] = {};  // padding source; alignments above 256 loop
  Status s = write_all(f, header.data(), header.size(), tmp);
  for (size_t i = 0; s.ok() && i < tensors_.size(); ++i) {
    const PendingTensor& t = tensors_[i];
    s = write_all(f, t.data.data(), t.data.size(), tmp);
    uint64_t pad = wire::align_up(t.data.size(), align) - t.data.size();
    while (s.ok() && pad > 0) {
      size_t n = pad < sizeof kZeros ? pad : sizeof kZeros;
      s = write_all(f, kZeros, n, tmp);
      pad -= n;
    }
  }
  if (s.ok() && (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0)) {
    s = io_error("writing '", tmp, "': ", std::strerror(errno));
  }
  if (std::fclose(f) != 0 && s.ok()) s = io_error("closing '", tmp, "': ", std::strerror(errno));
  if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    s = io_error("cannot rename '", tmp, "' to '", path, "': ", std::strerror(errno));
  }
  if (!s.ok()) std::remove(tmp.c_str());
  return s;
}

Result<std::vector<uint8_t>> rewrite(const File& file) {
  Writer writer(file.version());
  writer.copy_metadata_from(file);
  for (const TensorInfo& t : file.tensors()) {
    if (t.data == nullptr) return invalid_argument("tensor ", t.name, " has no data to write");
    std::span<const int64_t> ne(t.ne, static_cast<size_t>(t.n_dims));
    HEARTH_RETURN_IF_ERROR(writer.add_tensor(t.name, t.ggml_type, ne, {t.data, t.n_bytes}));
  }
  // A tensor-less file padded after its header (as llama.cpp writes them) keeps its padding.
  writer.set_pad_without_tensors(file.tensors().empty() && file.file_size() > file.data_offset());
  return writer.to_bytes();
}

}  // namespace hearth::gguf
