// libFuzzer target for the GGUF reader and writer (built with -DHEARTH_FUZZ=ON, clang).
// Any input must parse or fail with a Status; a parsed file must survive a walk over all of its
// metadata and tensor data (ASan checks every byte touched) and a rewrite that parses again and
// rewrites to the same bytes. scripts/fuzz.sh builds and runs it.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "gguf/gguf.h"

namespace {

using hearth::gguf::File;

// Reaches every value (recursively through arrays) with the accessors a consumer would use.
size_t walk_value(const hearth::gguf::Value& v) {
  size_t n = 1;
  if (v.is_string()) n += v.as_string().size();
  if (v.is_integer())
    n += static_cast<size_t>(v.as_int() & 1) + static_cast<size_t>(v.as_uint() & 1);
  if (v.is_float()) n += v.as_double() > 0 ? 1 : 0;
  if (v.is_array()) {
    for (const auto& item : v.as_array().items) n += walk_value(item);
  }
  return n;
}

void walk(const File& file) {
  size_t sink = 0;
  for (const auto& kv : file.metadata()) {
    sink += walk_value(kv.value) + kv.value.to_display_string(4).size();
    sink += file.get_string(kv.key).ok() + file.get_int(kv.key).ok() + file.get_uint(kv.key).ok();
    sink += file.get_float(kv.key).ok() + file.get_bool(kv.key).ok() + file.get_array(kv.key).ok();
    if (file.find(kv.key) != &kv.value) __builtin_trap();
  }
  for (const auto& t : file.tensors()) {
    if (file.find_tensor(t.name) != &t) __builtin_trap();
    // First and last byte of the tensor's data: out of bounds would be an ASan report.
    sink += t.data[0] + t.data[t.n_bytes - 1];
  }
  volatile size_t keep = sink;
  (void)keep;
}

[[noreturn]] void fail(const char* what, const hearth::Status& status) {
  std::fprintf(stderr, "fuzz_gguf: %s: %s\n", what, status.to_string().c_str());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = File::parse({data, size}, "fuzz-input");
  if (!file.ok()) {
    if (file.status().message().empty()) __builtin_trap();  // every error must say something
    return 0;
  }
  walk(*file);
  // A file hearth accepted must be writable, and what it writes must read back the same.
  auto first = hearth::gguf::rewrite(*file);
  if (!first.ok()) fail("rewrite of a parsed file failed", first.status());
  auto reparsed = File::parse(*first, "rewritten");
  if (!reparsed.ok()) fail("rewritten file does not parse", reparsed.status());
  if (reparsed->metadata().size() != file->metadata().size() ||
      reparsed->tensors().size() != file->tensors().size()) {
    __builtin_trap();
  }
  walk(*reparsed);
  auto second = hearth::gguf::rewrite(*reparsed);
  if (!second.ok()) fail("second rewrite failed", second.status());
  if (*second != *first) __builtin_trap();
  return 0;
}
