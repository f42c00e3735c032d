// Quantizing a GGUF model file as llama.cpp's llama-quantize does: every quantizable tensor is
// decoded to f32 (from f32, f16, bf16 or an already quantized type) and re-encoded with the type
// the scheme's per-tensor rules choose (src/fit/quant_scheme.h, one source of truth with `hearth
// fit` and `hearth synth`), weighted by an importance matrix when one is given. Metadata is
// copied, general.quantization_version and general.file_type are set, tensors are written in
// llama.cpp's order (global tensors by name, then layer by layer, by name), so a quantization of
// the same input with the same importance matrix is byte-identical to llama-quantize's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "fit/quant_scheme.h"
#include "gguf/gguf.h"
#include "quantize/imatrix.h"

namespace hearth::quantize {

// What happens to one tensor.
struct TensorPlan {
  const gguf::TensorInfo* src = nullptr;
  uint32_t out_type = 0;  // quant::GgmlType id
  bool convert = false;   // false: the bytes are copied as they are
};

// The output tensors in llama-quantize's order with their types. Errors: the file is not a model
// (no general.architecture, no tensors), a tensor type hearth cannot decode or encode.
Result<std::vector<TensorPlan>> plan_quantization(const gguf::File& in,
                                                  const fit::QuantScheme& scheme, bool has_imatrix);

struct QuantizeOptions {
  const fit::QuantScheme* scheme = nullptr;
  const Imatrix* imatrix = nullptr;  // optional
  std::string imatrix_path;          // recorded in the output metadata
  int threads = 1;
  // Called once per tensor after it is converted (index from 0, of n).
  std::function<void(size_t index, size_t n, const TensorPlan& plan)> progress;
};

struct QuantizeStats {
  uint64_t in_bytes = 0, out_bytes = 0;  // tensor data
  int64_t n_params = 0;                  // elements of all tensors
  int n_requantized = 0;                 // tensors decoded from a quantized type
  int n_imatrix_used = 0;                // tensors whose rounding was weighted by the imatrix
  double seconds = 0;
};

// Quantizes `in` into `out_path` (written to a temporary file and renamed: no partial output
// is left behind on error).
Result<QuantizeStats> quantize_file(const gguf::File& in, const std::string& out_path,
                                    const QuantizeOptions& options);

// Bits per weight of the tensor data of `file`.
double bits_per_weight(const gguf::File& file);

}  // namespace hearth::quantize
