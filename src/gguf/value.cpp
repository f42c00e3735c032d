// GGUF metadata values: kinds, conversions and a short human-readable form.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "gguf/gguf.h"

namespace hearth::gguf {

const char* value_type_name(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
      return "u8";
    case ValueType::kInt8:
      return "i8";
    case ValueType::kUint16:
      return "u16";
    case ValueType::kInt16:
      return "i16";
    case ValueType::kUint32:
      return "u32";
    case ValueType::kInt32:
      return "i32";
    case ValueType::kFloat32:
      return "f32";
    case ValueType::kBool:
      return "bool";
    case ValueType::kString:
      return "string";
    case ValueType::kArray:
      return "array";
    case ValueType::kUint64:
      return "u64";
    case ValueType::kInt64:
      return "i64";
    case ValueType::kFloat64:
      return "f64";
  }
  return "unknown";
}

Value Value::array(ValueType element_type, std::vector<Value> items) {
  auto arr = std::make_shared<Array>();
  arr->element_type = element_type;
  arr->items = std::move(items);
  return {ValueType::kArray, std::move(arr)};
}

bool Value::is_integer() const {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kUint16:
    case ValueType::kInt16:
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kUint64:
    case ValueType::kInt64:
      return true;
    default:
      return false;
  }
}

bool Value::is_float() const {
  return type == ValueType::kFloat32 || type == ValueType::kFloat64;
}

namespace {

// A float converted to an integer type without undefined behaviour: NaN gives 0, out-of-range
// values saturate.
template <typename Int>
Int clamp_to(double d) {
  if (std::isnan(d)) return 0;
  if (d <= static_cast<double>(std::numeric_limits<Int>::min()))
    return std::numeric_limits<Int>::min();
  if (d >= static_cast<double>(std::numeric_limits<Int>::max()))
    return std::numeric_limits<Int>::max();
  return static_cast<Int>(d);
}

}  // namespace

int64_t Value::as_int() const {
  if (const auto* u = std::get_if<uint64_t>(&data)) return static_cast<int64_t>(*u);
  if (const auto* i = std::get_if<int64_t>(&data)) return *i;
  if (const auto* d = std::get_if<double>(&data)) return clamp_to<int64_t>(*d);
  return 0;
}

uint64_t Value::as_uint() const {
  if (const auto* u = std::get_if<uint64_t>(&data)) return *u;
  if (const auto* i = std::get_if<int64_t>(&data)) return static_cast<uint64_t>(*i);
  if (const auto* d = std::get_if<double>(&data)) return clamp_to<uint64_t>(*d);
  return 0;
}

double Value::as_double() const {
  if (const auto* d = std::get_if<double>(&data)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&data)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&data)) return static_cast<double>(*i);
  return 0.0;
}

namespace {

// "abc\n" -> "\"abc\\n\"": quoted, control characters escaped.
void append_quoted(std::string& out, const std::string& s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// The fewest digits that read back as the same value: 1e-05 rather than 9.99999975e-06 for an f32.
std::string shortest_float_text(double value, bool is_f32) {
  char buf[40];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, value);
    double back = std::strtod(buf, nullptr);
    if (std::isnan(value) ||
        (is_f32 ? static_cast<float>(back) == static_cast<float>(value) : back == value)) {
      break;
    }
  }
  return buf;
}

void append_display(std::string& out, const Value& v, size_t max_items) {
  if (v.is_string()) return append_quoted(out, v.as_string());
  if (v.type == ValueType::kBool) {
    out += v.as_bool() ? "true" : "false";
    return;
  }
  if (v.is_float()) {
    out += shortest_float_text(v.as_double(), v.type == ValueType::kFloat32);
    return;
  }
  if (v.is_integer()) {
    if (std::holds_alternative<int64_t>(v.data)) {
      out += std::to_string(v.as_int());
    } else {
      out += std::to_string(v.as_uint());
    }
    return;
  }
  if (!v.is_array()) return;
  const Array& arr = v.as_array();
  bool summarized = arr.items.size() > max_items;
  out.push_back('[');
  if (summarized) {
    out += str_cat(with_commas(arr.items.size()), " x ", value_type_name(arr.element_type), ": ");
  }
  size_t shown = summarized ? max_items : arr.items.size();
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    append_display(out, arr.items[i], max_items);
  }
  if (summarized)
    out += shown > 0 ? ", ...]" : "...]";
  else
    out.push_back(']');
}

}  // namespace

std::string Value::to_display_string(size_t max_items) const {
  std::string out;
  append_display(out, *this, max_items);
  return out;
}

}  // namespace hearth::gguf
