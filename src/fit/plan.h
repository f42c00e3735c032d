// What `hearth run` / `hearth serve` call before loading a model: pick the context and the number
// of parallel sequences that fit the memory, or refuse with a message saying what would fit.
#pragma once

#include <string>

#include "core/status.h"
#include "fit/estimate.h"

namespace hearth::fit {

struct PlanRequest {
  int64_t n_ctx = 0;       // 0: choose (the model's training context, at most default_max_ctx)
  int64_t n_parallel = 0;  // 0: choose (the most of max_parallel that fit at n_ctx)
  KvType kv_type = KvType::kF16;
  uint64_t memory_bytes = 0;  // 0: this machine's available RAM (/proc/meminfo MemAvailable)
  int64_t default_max_ctx = 8192;
  int64_t max_parallel = 8;
};

struct Plan {
  int64_t n_ctx = 0;
  int64_t n_parallel = 0;
  KvType kv_type = KvType::kF16;
  uint64_t memory_bytes = 0;  // the budget planned against
  MemoryEstimate memory;
};

// Errors (kResourceExhausted) say what was asked, what it needs, what is available and what
// would fit instead ("--ctx 2048" or "not even 256 tokens of context: a smaller quantization").
Result<Plan> plan_for_model(const ModelSpec& spec, const PlanRequest& request);
Result<Plan> plan_for_file(const std::string& gguf_path, const PlanRequest& request);

}  // namespace hearth::fit
