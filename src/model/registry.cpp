#include "model/arch.h"

namespace hearth::model {
namespace {

const ArchDef* const* all_archs() {
  static const ArchDef* const archs[] = {&llama_arch(), &qwen2_arch(), &qwen3_arch(), nullptr};
  return archs;
}

}  // namespace

const ArchDef* find_arch(std::string_view name) {
  for (const ArchDef* const* a = all_archs(); *a; ++a)
    if (name == (*a)->name) return *a;
  return nullptr;
}

std::vector<std::string> arch_names() {
  std::vector<std::string> names;
  for (const ArchDef* const* a = all_archs(); *a; ++a) names.push_back((*a)->name);
  return names;
}

}  // namespace hearth::model
