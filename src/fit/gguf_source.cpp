// Placeholder until src/gguf lands in main (gguf_source.cpp.pending holds the real reader).
#include "fit/gguf_source.h"

namespace hearth::fit {

Result<ModelSpec> spec_from_gguf(const gguf::File&) {
  return unsupported("GGUF input needs src/gguf, which has not landed yet");
}

Result<ModelSpec> spec_from_gguf_file(const std::string& path) {
  return unsupported(path, ": GGUF input needs src/gguf, which has not landed yet");
}

}  // namespace hearth::fit
