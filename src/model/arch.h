// An architecture: its RoPE layout, its weight table and its block. Registered in registry.cpp;
// nothing else switches over architecture names.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/blocks.h"
#include "model/config.h"
#include "model/weights.h"

namespace hearth::model {

struct ArchDef {
  const char* name;  // general.architecture
  RopeLayout rope_layout;
  std::span<const WeightSpec> weights;
  void (*block)(const LayerContext& ctx, float* x);  // x (n_tokens, n_embd) updated in place
};

// Looked up by general.architecture; nullptr if hearth does not implement it.
const ArchDef* find_arch(std::string_view name);
std::vector<std::string> arch_names();

// Defined in arch/*.cpp.
const ArchDef& llama_arch();
const ArchDef& qwen2_arch();
const ArchDef& qwen3_arch();

}  // namespace hearth::model
