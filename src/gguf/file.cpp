// File accessors: metadata lookup with typed getters, tensor lookup.
#include <limits>

#include "core/log.h"
#include "gguf/gguf.h"

namespace hearth::gguf {

const Value* File::find(std::string_view key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].value;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

Status missing_key(std::string_view key) {
  return not_found("metadata key '", key, "' is missing");
}

Status wrong_type(std::string_view key, const Value& v, const char* expected) {
  return corrupt_file("metadata key '", key, "' is a ", value_type_name(v.type), ", expected ",
                      expected);
}

}  // namespace

Result<std::string> File::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return missing_key(key);
  if (!v->is_string()) return wrong_type(key, *v, "a string");
  return v->as_string();
}

Result<int64_t> File::get_int(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return missing_key(key);
  if (!v->is_integer()) return wrong_type(key, *v, "an integer");
  if (v->type == ValueType::kUint64 &&
      v->as_uint() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return corrupt_file("metadata key '", key, "' is ", v->as_uint(),
                        ", too large for a signed 64-bit integer");
  }
  return v->as_int();
}

Result<uint64_t> File::get_uint(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return missing_key(key);
  if (!v->is_integer()) return wrong_type(key, *v, "a non-negative integer");
  if (std::holds_alternative<int64_t>(v->data) && v->as_int() < 0) {
    return corrupt_file("metadata key '", key, "' is ", v->as_int(),
                        ", expected a non-negative integer");
  }
  return v->as_uint();
}

Result<double> File::get_float(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return missing_key(key);
  if (!v->is_float() && !v->is_integer()) return wrong_type(key, *v, "a number");
  return v->as_double();
}

Result<bool> File::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return missing_key(key);
  if (v->type != ValueType::kBool) return wrong_type(key, *v, "a bool");
  return v->as_bool();
}

Result<const Array*> File::get_array(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return missing_key(key);
  if (!v->is_array()) return wrong_type(key, *v, "an array");
  return &v->as_array();
}

// The *_or getters cannot return a Status: a key present with the wrong type is reported as a
// warning (naming the key) and the fallback is used.
namespace {

template <typename T>
T value_or_warn(const Result<T>& result, std::string_view key, const T& fallback) {
  if (result.ok()) return *result;
  if (result.status().code() != StatusCode::kNotFound) {
    log_warn(result.status().message(), "; using the default instead");
  }
  return fallback;
}

}  // namespace

std::string File::get_string_or(std::string_view key, const std::string& fallback) const {
  return value_or_warn(get_string(key), key, fallback);
}
int64_t File::get_int_or(std::string_view key, int64_t fallback) const {
  return value_or_warn(get_int(key), key, fallback);
}
double File::get_float_or(std::string_view key, double fallback) const {
  return value_or_warn(get_float(key), key, fallback);
}
bool File::get_bool_or(std::string_view key, bool fallback) const {
  return value_or_warn(get_bool(key), key, fallback);
}

}  // namespace hearth::gguf
