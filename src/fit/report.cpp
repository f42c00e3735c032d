#include "fit/report.h"

#include <filesystem>

#include "core/mapped_file.h"
#include "fit/gguf_source.h"

namespace hearth::fit {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kDefaultPresetQuant = "Q4_K_M";

Result<ModelSpec> load_config_json(const fs::path& path, const std::string& quant) {
  HEARTH_ASSIGN_OR_RETURN(std::string text, read_file_to_string(path.string()));
  std::string name = path.parent_path().filename().string();
  if (name.empty()) name = path.filename().string();
  HEARTH_ASSIGN_OR_RETURN(ModelShape shape, shape_from_hf_config(text, name));
  HEARTH_ASSIGN_OR_RETURN(const QuantScheme* scheme,
                          find_scheme(quant.empty() ? kDefaultPresetQuant : quant));
  return spec_for_scheme(shape, *scheme, "config.json");
}

json items_to_json(const std::vector<MemoryItem>& items) {
  json out = json::object();
  for (const auto& item : items) out[item.name] = item.bytes;
  return out;
}

json optional_number(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

json quality_json(const QuantScheme& s) {
  return {{"brown6m_ppl_increase_pct", optional_number(s.brown6m_ppl_increase_pct)},
          {"llama3_8b_ppl_increase", optional_number(s.llama3_8b_ppl_increase)}};
}

json quant_row_json(const QuantRow& row) {
  return {{"quant", row.scheme->name},
          {"weights_bytes", row.memory.weights_bytes},
          {"weights_file_bytes", row.memory.weights_file_bytes},
          {"total_bytes", row.memory.total_bytes},
          {"fits", row.fits},
          {"max_context", row.max_context},
          {"tokens_per_s_estimate", row.speed.tokens_per_s},
          {"quality", quality_json(*row.scheme)}};
}

json device_json(const Device& d) {
  return {{"id", d.id},
          {"description", d.description},
          {"kind", device_kind_name(d.kind)},
          {"memory_bytes", d.memory_bytes},
          {"total_memory_bytes", d.total_memory_bytes},
          {"bandwidth_bytes_per_s", d.bandwidth_bytes_per_s},
          {"flops", d.flops}};
}

json model_json(const ModelSpec& spec, const MemoryEstimate& m) {
  const ModelShape& s = spec.shape;
  return {{"name", s.name},
          {"source", spec.source},
          {"arch", s.arch},
          {"quant", spec.quant},
          {"n_params", m.n_params},
          {"n_active_params", m.n_active_params},
          {"n_layer", s.n_layer},
          {"n_embd", s.n_embd},
          {"n_head", s.n_head},
          {"n_kv_head", s.n_kv_head},
          {"head_dim", s.head_dim},
          {"n_ff", s.n_ff},
          {"n_vocab", s.n_vocab},
          {"n_ctx_train", s.n_ctx_train},
          {"n_expert", s.n_expert},
          {"n_expert_used", s.n_expert_used},
          {"tied_embeddings", s.tied_embeddings}};
}

}  // namespace

Result<ModelSpec> load_model(const std::string& model, const std::string& quant) {
  std::error_code ec;
  const fs::path path(model);
  if (fs::is_directory(path, ec)) return load_config_json(path / "config.json", quant);
  if (fs::exists(path, ec)) {
    if (path.extension() == ".json") return load_config_json(path, quant);
    HEARTH_ASSIGN_OR_RETURN(ModelSpec spec, spec_from_gguf_file(model));
    if (quant.empty()) return spec;
    HEARTH_ASSIGN_OR_RETURN(const QuantScheme* scheme, find_scheme(quant));
    HEARTH_ASSIGN_OR_RETURN(spec.tensors,
                            apply_scheme(*scheme, spec.shape, std::move(spec.tensors)));
    spec.quant = scheme->name;
    return spec;
  }
  HEARTH_ASSIGN_OR_RETURN(ModelShape shape, find_preset(model));
  HEARTH_ASSIGN_OR_RETURN(const QuantScheme* scheme,
                          find_scheme(quant.empty() ? kDefaultPresetQuant : quant));
  return spec_for_scheme(shape, *scheme, "preset");
}

Result<FitReport> analyze(const ModelSpec& spec, const Device& device, const FitOptions& options,
                          bool with_by_quant) {
  if (options.n_ctx <= 0) return invalid_argument("context must be positive, not ", options.n_ctx);
  if (options.n_parallel <= 0 || options.n_parallel > 4096) {
    return invalid_argument("parallel sequences must be between 1 and 4096, not ",
                            options.n_parallel);
  }
  FitReport r;
  r.spec = spec;
  r.device = device;
  r.options = options;
  const uint64_t reserve = device.runtime_reserve_bytes;
  const uint64_t budget = device.memory_bytes + reserve;  // the reserve is counted as overhead
  r.memory = estimate_memory(spec, options, reserve);
  r.speed = estimate_speed(spec, r.memory, options, device);
  r.fits = r.memory.total_bytes <= budget;
  r.max_context = max_context(spec, options, budget, reserve);
  if (!with_by_quant) return r;
  for (const QuantScheme& scheme : quant_schemes()) {
    ModelSpec variant = spec;
    HEARTH_ASSIGN_OR_RETURN(variant.tensors, apply_scheme(scheme, spec.shape, spec.tensors));
    variant.quant = scheme.name;
    QuantRow row;
    row.scheme = &scheme;
    row.memory = estimate_memory(variant, options, reserve);
    row.speed = estimate_speed(variant, row.memory, options, device);
    row.fits = row.memory.total_bytes <= budget;
    row.max_context = max_context(variant, options, budget, reserve);
    // F32 and BF16 are never the best choice to run (F16 is as good and no larger).
    const bool candidate =
        scheme.base != quant::GgmlType::kF32 && scheme.base != quant::GgmlType::kBF16;
    if (row.fits && candidate && r.best_quant == nullptr) r.best_quant = &scheme;
    r.by_quant.push_back(std::move(row));
  }
  return r;
}

json report_to_json(const FitReport& r, bool include_by_quant) {
  const MemoryEstimate& m = r.memory;
  json out = {
      {"model", model_json(r.spec, m)},
      {"device", device_json(r.device)},
      {"n_ctx", r.options.n_ctx},
      {"n_parallel", r.options.n_parallel},
      {"kv_type", kv_type_name(r.options.kv_type)},
      {"weights_bytes", m.weights_bytes},
      {"weights_file_bytes", m.weights_file_bytes},
      {"kv_cache_bytes", m.kv_cache_bytes},
      {"compute_bytes", m.compute_bytes},
      {"overhead_bytes", m.overhead_bytes},
      {"total_bytes", m.total_bytes},
      {"available_bytes", r.device.memory_bytes + r.device.runtime_reserve_bytes},
      {"fits", r.fits},
      {"max_context", r.max_context},
      {"tokens_per_s_estimate", r.speed.tokens_per_s},
      {"aggregate_tokens_per_s_estimate", r.speed.aggregate_tokens_per_s},
      {"prompt_tokens_per_s_estimate", r.speed.prompt_tokens_per_s},
      {"decode_bytes_per_token", r.speed.bytes_per_token},
      {"decode_bound", r.speed.decode_bound},
      {"weights_by_type", items_to_json(m.weights_by_type)},
      {"weights_by_part", items_to_json(m.weights_by_part)},
      {"compute_items", items_to_json(m.compute_items)},
      {"overhead_items", items_to_json(m.overhead_items)},
      {"best_quant", r.best_quant ? json(r.best_quant->name) : json(nullptr)},
  };
  if (r.best_quant) out["best_quant_quality"] = quality_json(*r.best_quant);
  if (include_by_quant) {
    json rows = json::array();
    for (const QuantRow& row : r.by_quant) rows.push_back(quant_row_json(row));
    out["by_quant"] = std::move(rows);
  }
  return out;
}

}  // namespace hearth::fit
