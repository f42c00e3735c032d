// `hearth fit` as a library: load a model (GGUF file, config.json or preset), estimate it on a
// device, try every quantization, and turn the result into the stable JSON of docs/FIT.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fit/devices.h"
#include "fit/estimate.h"

namespace hearth::fit {

// `model` is a GGUF file, a config.json (or a folder holding one), or a preset id. With `quant`
// set ("Q4_K_M"), the tensors are re-typed by that scheme's rules (for a file: "what if it were
// quantized to Q4_K_M"); otherwise a file keeps its own types and a preset gets Q4_K_M.
Result<ModelSpec> load_model(const std::string& model, const std::string& quant);

struct QuantRow {
  const QuantScheme* scheme = nullptr;
  MemoryEstimate memory;
  SpeedEstimate speed;
  bool fits = false;
  int64_t max_context = 0;
};

struct FitReport {
  ModelSpec spec;
  Device device;
  FitOptions options;
  MemoryEstimate memory;
  SpeedEstimate speed;
  bool fits = false;
  int64_t max_context = 0;
  std::vector<QuantRow> by_quant;           // every scheme, highest quality first
  const QuantScheme* best_quant = nullptr;  // highest quality that fits at options.n_ctx
};

// The estimate of `spec` on `device`; with_by_quant adds the table over all schemes.
Result<FitReport> analyze(const ModelSpec& spec, const Device& device, const FitOptions& options,
                          bool with_by_quant);

nlohmann::json report_to_json(const FitReport& report, bool include_by_quant);

}  // namespace hearth::fit
