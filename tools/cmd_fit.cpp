// `hearth fit MODEL|PRESET`: what a model needs in memory, whether it fits, how fast it runs.
#include <cstdio>
#include <string>

#include "cli_util.h"
#include "command.h"
#include "fit/report.h"
#include "fit/units.h"

namespace hearth::tools {
namespace {

using namespace hearth::fit;

struct FitArgs {
  std::string model, quant, kv_type = "f16", device, memory, bandwidth, flops;
  int64_t ctx = 0, parallel = 1;
  bool json = false, list = false;
};

Result<Device> resolve_device(const FitArgs& a) {
  double bandwidth = 0;
  if (!a.bandwidth.empty()) {
    HEARTH_ASSIGN_OR_RETURN(bandwidth, parse_bandwidth(a.bandwidth));
  }
  uint64_t memory = 0;
  if (!a.memory.empty()) {
    HEARTH_ASSIGN_OR_RETURN(memory, parse_bytes(a.memory));
  }
  HEARTH_ASSIGN_OR_RETURN(Device d, find_device(a.device.empty() ? "this" : a.device, bandwidth));
  if (memory > 0) {
    d.memory_bytes = d.total_memory_bytes = memory;
    if (d.runtime_reserve_bytes >= memory)
      return invalid_argument("--memory ", a.memory, " is below the device's own reserve");
    d.memory_bytes -= d.runtime_reserve_bytes;
    if (a.device.empty()) d.id = "custom", d.description = "--memory on this machine's speed";
  }
  if (bandwidth > 0) d.bandwidth_bytes_per_s = bandwidth;
  if (!a.flops.empty()) {
    HEARTH_ASSIGN_OR_RETURN(d.flops, parse_flops(a.flops));
  }
  return d;
}

void print_list() {
  std::printf("Model presets:\n");
  for (const Preset& p : presets()) std::printf("  %-16s %s\n", p.id, p.summary);
  std::printf("\nDevices (--device):\n  %-16s %s\n", "this",
              "this machine (RAM available now, measured bandwidth)");
  for (const Device& d : device_catalog())
    std::printf("  %-16s %s\n", d.id.c_str(), d.description.c_str());
  std::printf("\nQuantizations (--quant), highest quality first:\n  ");
  for (const QuantScheme& s : quant_schemes()) std::printf("%s ", s.name);
  std::printf("\n");
}

void print_items(const char* title, uint64_t total, const std::vector<MemoryItem>& items) {
  std::printf("  %-14s %12s\n", title, format_bytes(total).c_str());
  for (const auto& item : items) {
    if (item.bytes > 0)
      std::printf("      %-38s %12s\n", item.name.c_str(), format_bytes(item.bytes).c_str());
  }
}

std::string quality_text(const QuantScheme& s) {
  if (s.base == quant::GgmlType::kF32) return "reference";
  char buf[128] = "";
  int n = 0;
  if (s.llama3_8b_ppl_increase) {
    n = std::snprintf(buf, sizeof buf, "PPL %+.4f on Llama-3-8B", *s.llama3_8b_ppl_increase);
  }
  if (s.brown6m_ppl_increase_pct) {
    std::snprintf(buf + n, sizeof buf - n, "%s%+.2f%% on brown-6m", n ? ", " : "",
                  *s.brown6m_ppl_increase_pct);
  }
  return buf[0] ? buf : "not measured";
}

void print_by_quant(const FitReport& r) {
  std::printf("\n  %-7s %11s %11s %5s %9s %8s  %s\n", "quant", "weights", "total", "fits",
              "max ctx", "tok/s", "quality cost");
  for (const QuantRow& row : r.by_quant) {
    std::printf("  %-7s %11s %11s %5s %9lld %8.1f  %s\n", row.scheme->name,
                format_bytes(row.memory.weights_bytes).c_str(),
                format_bytes(row.memory.total_bytes).c_str(), row.fits ? "yes" : "no",
                static_cast<long long>(row.max_context), row.speed.tokens_per_s,
                quality_text(*row.scheme).c_str());
  }
}

void print_report(const FitReport& r, bool with_by_quant) {
  const ModelShape& s = r.spec.shape;
  const MemoryEstimate& m = r.memory;
  const uint64_t available = r.device.memory_bytes + r.device.runtime_reserve_bytes;
  std::printf("%s (%s, %s, %.2fB parameters) at %s\n", s.name.c_str(), s.arch.c_str(),
              r.spec.source.c_str(), m.n_params / 1e9, r.spec.quant.c_str());
  std::printf("on %s: %s memory, %s\n", r.device.id.c_str(), format_bytes(available).c_str(),
              format_bandwidth(r.device.bandwidth_bytes_per_s).c_str());
  std::printf("context %lld x %lld sequence(s), KV cache %s\n\n",
              static_cast<long long>(r.options.n_ctx), static_cast<long long>(r.options.n_parallel),
              kv_type_name(r.options.kv_type));
  print_items("weights", m.weights_bytes, m.weights_by_type);
  if (m.weights_file_bytes != m.weights_bytes)
    std::printf("    (of %s in the file: the token embedding is read by row lookups)\n",
                format_bytes(m.weights_file_bytes).c_str());
  print_items("KV cache", m.kv_cache_bytes, {});
  print_items("compute", m.compute_bytes, m.compute_items);
  print_items("overhead", m.overhead_bytes, m.overhead_items);
  std::printf("  %-14s %12s  of %s: %s\n\n", "total", format_bytes(m.total_bytes).c_str(),
              format_bytes(available).c_str(), r.fits ? "FITS" : "DOES NOT FIT");
  std::printf("largest context that fits: %lld (trained: %lld)\n",
              static_cast<long long>(r.max_context), static_cast<long long>(s.n_ctx_train));
  std::printf("generation: ~%.1f tokens/s (%s bound, %s read per token)", r.speed.tokens_per_s,
              r.speed.decode_bound, format_bytes(r.speed.bytes_per_token).c_str());
  if (r.options.n_parallel > 1)
    std::printf(", ~%.1f tokens/s over all sequences", r.speed.aggregate_tokens_per_s);
  std::printf("\nprompt processing: ~%.0f tokens/s\n", r.speed.prompt_tokens_per_s);
  if (r.by_quant.empty()) return;
  if (r.best_quant) {
    std::printf("best quantization that fits: %s (%s)\n", r.best_quant->name,
                quality_text(*r.best_quant).c_str());
  } else {
    std::printf("no quantization fits at this context\n");
  }
  if (with_by_quant) print_by_quant(r);
}

int cmd_fit(int argc, char** argv) {
  CLI::App app{"What a model needs in memory, whether it fits, and how fast it runs", "fit"};
  FitArgs a;
  app.add_option("model", a.model, "GGUF file, config.json (or its folder), or preset (--list)");
  app.add_option("--quant", a.quant,
                 "quantization to estimate (default: the file's own; Q4_K_M for presets)");
  app.add_option("--ctx", a.ctx, "context per sequence (default: the model's, at most 8192)");
  app.add_option("--parallel", a.parallel, "sequences decoded together, each with its own context");
  app.add_option("--kv-type", a.kv_type, "KV cache type: f16, q8_0 or f32");
  app.add_option("--device", a.device, "device from the catalog (--list), or 'this' (default)");
  app.add_option("--memory", a.memory, "memory available, e.g. 12GB or 24GiB");
  app.add_option("--bandwidth", a.bandwidth, "memory read bandwidth, e.g. 360GB/s");
  app.add_option("--flops", a.flops, "matrix-multiply throughput, e.g. 82TFLOPS");
  app.add_flag("--json", a.json, "JSON output (documented in docs/FIT.md)");
  app.add_flag("--list", a.list, "list presets, devices and quantizations");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (a.list) return print_list(), 0;
  if (a.model.empty())
    return fail("fit",
                invalid_argument("name a model: a GGUF file, a config.json or a preset (--list)"));
  auto spec = load_model(a.model, a.quant);
  if (!spec.ok()) return fail("fit", spec.status());
  auto kv_type = parse_kv_type(a.kv_type);
  if (!kv_type.ok()) return fail("fit", kv_type.status());
  auto device = resolve_device(a);
  if (!device.ok()) return fail("fit", device.status());
  FitOptions options;
  options.kv_type = *kv_type;
  options.n_parallel = a.parallel;
  const int64_t trained = spec->shape.n_ctx_train > 0 ? spec->shape.n_ctx_train : 8192;
  options.n_ctx = a.ctx != 0 ? a.ctx : std::min<int64_t>(8192, trained);
  auto report = analyze(*spec, *device, options, /*with_by_quant=*/true);
  if (!report.ok()) return fail("fit", report.status());
  const bool show_table = a.quant.empty() && !spec->from_file;
  if (a.json) {
    std::printf("%s\n", report_to_json(*report, /*include_by_quant=*/true).dump(2).c_str());
  } else {
    print_report(*report, show_table || spec->from_file);
  }
  return 0;
}

}  // namespace
HEARTH_COMMAND("fit", "what fits in your memory, at which quantization, how fast", 60, cmd_fit);
}  // namespace hearth::tools
