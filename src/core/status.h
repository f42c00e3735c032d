// Status / Result: error values with messages a user can act on.
// Library code never throws across module boundaries and never exits on bad input;
// it returns a Status (or a Result<T> carrying either a value or a Status).
#pragma once

#include <cassert>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <variant>

namespace hearth {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller (user) passed something wrong: a flag, a JSON field, ...
  kNotFound,          // a file, key, tensor or model that does not exist
  kIoError,           // the OS refused: open/read/write/mmap failed
  kCorruptFile,       // a file's bytes contradict its own format
  kUnsupported,       // valid but not implemented here (unknown quant type, architecture, ...)
  kResourceExhausted, // out of memory, KV blocks, context, ...
  kCancelled,
  kInternal,          // a bug in hearth
};

const char* status_code_name(StatusCode code);

// Concatenates any streamable values into one string: str_cat("tensor ", name, " has ", n, " dims").
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// Formats an integer with thousands separators: 91233280 -> "91,233,280".
std::string with_commas(unsigned long long value);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corrupt file: tensor blk.0.attn_q.weight: ..."
  std::string to_string() const;
  // Returns a copy whose message is prefixed with context: "loading model.gguf: <message>".
  Status with_context(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status invalid_argument(const Args&... args) {
  return Status(StatusCode::kInvalidArgument, str_cat(args...));
}
template <typename... Args>
Status not_found(const Args&... args) {
  return Status(StatusCode::kNotFound, str_cat(args...));
}
template <typename... Args>
Status io_error(const Args&... args) {
  return Status(StatusCode::kIoError, str_cat(args...));
}
template <typename... Args>
Status corrupt_file(const Args&... args) {
  return Status(StatusCode::kCorruptFile, str_cat(args...));
}
template <typename... Args>
Status unsupported(const Args&... args) {
  return Status(StatusCode::kUnsupported, str_cat(args...));
}
template <typename... Args>
Status resource_exhausted(const Args&... args) {
  return Status(StatusCode::kResourceExhausted, str_cat(args...));
}
template <typename... Args>
Status internal_error(const Args&... args) {
  return Status(StatusCode::kInternal, str_cat(args...));
}

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : storage_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(storage_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(storage_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(storage_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(storage_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(storage_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(storage_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> storage_;
};

}  // namespace hearth

#define HEARTH_CONCAT_INNER(a, b) a##b
#define HEARTH_CONCAT(a, b) HEARTH_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define HEARTH_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::hearth::Status hearth_status_ = (expr);     \
    if (!hearth_status_.ok()) return hearth_status_; \
  } while (0)

// `HEARTH_ASSIGN_OR_RETURN(auto file, MappedFile::open(path));`
#define HEARTH_ASSIGN_OR_RETURN(lhs, expr) \
  HEARTH_ASSIGN_OR_RETURN_IMPL(HEARTH_CONCAT(hearth_result_, __LINE__), lhs, expr)
#define HEARTH_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                 \
  if (!result.ok()) return result.status();             \
  lhs = std::move(result).value()
