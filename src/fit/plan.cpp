#include "fit/plan.h"

#include <algorithm>

#include "fit/devices.h"
#include "fit/gguf_source.h"
#include "fit/units.h"

namespace hearth::fit {
namespace {

constexpr int64_t kMinContext = 256;

Status does_not_fit(const ModelSpec& spec, const FitOptions& o, const MemoryEstimate& m,
                    uint64_t budget, int64_t ctx_that_fits) {
  std::string advice = ctx_that_fits > 0
                           ? str_cat("a context of ", ctx_that_fits,
                                     " per sequence would fit (--ctx ", ctx_that_fits, ")")
                           : std::string(
                                 "not even 256 tokens of context fit: use a smaller "
                                 "quantization or a smaller model");
  return resource_exhausted(
      spec.shape.name, " (", spec.quant, ") with context ", o.n_ctx, " x ", o.n_parallel,
      " sequences needs ", format_bytes(m.total_bytes), " (weights ", format_bytes(m.weights_bytes),
      ", KV cache ", format_bytes(m.kv_cache_bytes), ", compute ", format_bytes(m.compute_bytes),
      ", overhead ", format_bytes(m.overhead_bytes), ") but ", format_bytes(budget),
      " of memory is available; ", advice);
}

Result<uint64_t> budget_for(const PlanRequest& request) {
  if (request.memory_bytes > 0) return request.memory_bytes;
  HEARTH_ASSIGN_OR_RETURN(MemInfo mem, read_meminfo());
  return mem.available_bytes;
}

}  // namespace

Result<Plan> plan_for_model(const ModelSpec& spec, const PlanRequest& request) {
  if (request.n_ctx < 0 || request.n_parallel < 0) {
    return invalid_argument("context and parallel sequences must not be negative");
  }
  HEARTH_ASSIGN_OR_RETURN(uint64_t budget, budget_for(request));
  FitOptions o;
  o.kv_type = request.kv_type;
  o.n_parallel = request.n_parallel > 0 ? request.n_parallel : 1;
  const bool choose_ctx = request.n_ctx == 0;
  if (choose_ctx) {
    const int64_t trained =
        spec.shape.n_ctx_train > 0 ? spec.shape.n_ctx_train : request.default_max_ctx;
    o.n_ctx = std::min(trained, request.default_max_ctx);
    const int64_t fitting = max_context(spec, o, budget);
    if (fitting >= std::min<int64_t>(kMinContext, o.n_ctx)) o.n_ctx = std::min(o.n_ctx, fitting);
  } else {
    o.n_ctx = request.n_ctx;
  }
  MemoryEstimate m = estimate_memory(spec, o);
  if (m.total_bytes > budget) return does_not_fit(spec, o, m, budget, max_context(spec, o, budget));
  if (request.n_parallel == 0) {  // the most sequences (up to max_parallel) that still fit
    for (int64_t p = request.max_parallel; p > 1; p /= 2) {
      FitOptions wider = o;
      wider.n_parallel = p;
      MemoryEstimate wm = estimate_memory(spec, wider);
      if (wm.total_bytes <= budget) {
        o = wider;
        m = wm;
        break;
      }
    }
  }
  Plan plan;
  plan.n_ctx = o.n_ctx;
  plan.n_parallel = o.n_parallel;
  plan.kv_type = o.kv_type;
  plan.memory_bytes = budget;
  plan.memory = std::move(m);
  return plan;
}

Result<Plan> plan_for_file(const std::string& gguf_path, const PlanRequest& request) {
  HEARTH_ASSIGN_OR_RETURN(ModelSpec spec, spec_from_gguf_file(gguf_path));
  return plan_for_model(spec, request);
}

}  // namespace hearth::fit
