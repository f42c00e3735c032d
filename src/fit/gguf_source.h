// ModelSpec from a GGUF header: the shape from metadata, the tensors with their real types from
// the tensor directory. Only the header is read (the file is mapped, its data pages never
// touched), so this works on a 40 GB file in milliseconds.
#pragma once

#include <string>

#include "core/status.h"
#include "fit/estimate.h"

namespace hearth::gguf {
class File;
}

namespace hearth::fit {

Result<ModelSpec> spec_from_gguf(const gguf::File& file);
Result<ModelSpec> spec_from_gguf_file(const std::string& path);

}  // namespace hearth::fit
