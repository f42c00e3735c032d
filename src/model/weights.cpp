#include "model/weights.h"

#include "kernels/repack.h"
#include "quant/type_traits.h"

namespace hearth::model {

int64_t dim_value(Dim d, const ModelConfig& c) {
  switch (d) {
    case Dim::kEmbd:
      return c.n_embd;
    case Dim::kVocab:
      return c.n_vocab;
    case Dim::kFf:
      return c.n_ff;
    case Dim::kQ:
      return c.q_dim();
    case Dim::kK:
      return c.k_dim();
    case Dim::kV:
      return c.v_dim();
    case Dim::kAttnOut:
      return c.attn_out_dim();
    case Dim::kHeadK:
      return c.head_dim_k;
    case Dim::kRopeHalf:
      return c.rope.n_dims / 2;
  }
  return -1;
}

std::string weight_name(const WeightSpec& spec, int64_t layer) {
  if (!spec.per_layer) return spec.name;
  return str_cat("blk.", layer, ".", spec.name);
}

namespace {

std::string shape_string(int n_dims, const int64_t* ne) {
  std::string s = "[";
  for (int i = 0; i < n_dims; ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

Result<Weight> bind(const gguf::TensorInfo& t, const WeightSpec& spec, const ModelConfig& c) {
  int64_t want[2] = {dim_value(spec.shape[0], c),
                     spec.n_dims == 2 ? dim_value(spec.shape[1], c) : 1};
  int n_dims = t.n_dims;
  while (n_dims > spec.n_dims && t.ne[n_dims - 1] == 1) --n_dims;  // trailing 1s are harmless
  if (n_dims != spec.n_dims || t.ne[0] != want[0] || (spec.n_dims == 2 && t.ne[1] != want[1]))
    return invalid_argument("tensor ", t.name, " has shape ", shape_string(t.n_dims, t.ne),
                            " but the model config needs ", shape_string(spec.n_dims, want));
  const quant::TypeTraits* traits = quant::find_type_traits(t.ggml_type);
  if (traits == nullptr || traits->to_float == nullptr ||
      (spec.n_dims == 2 && traits->vec_dot == nullptr))
    return unsupported("tensor ", t.name, " has type ", quant::type_name(t.ggml_type),
                       ", which hearth cannot compute with yet");
  if (t.data == nullptr) return internal_error("tensor ", t.name, " has no data mapped");
  Weight w;
  w.m.type = t.ggml_type;
  w.m.data = t.data;
  w.m.cols = t.ne[0];
  w.m.rows = spec.n_dims == 2 ? t.ne[1] : 1;
  HEARTH_ASSIGN_OR_RETURN(w.m.row_bytes, quant::row_size(t.ggml_type, t.ne[0]));
  if (spec.n_dims == 1) {
    w.vec.resize(t.ne[0]);
    traits->to_float(t.data, w.vec.data(), t.ne[0]);
  }
  return w;
}

}  // namespace

Result<ModelWeights> load_weights(const gguf::File& file, const ModelConfig& config,
                                  std::span<const WeightSpec> table) {
  ModelWeights mw;
  const bool repack = kernels::repack_enabled();
  mw.layers.resize(config.n_layer);
  for (const WeightSpec& spec : table) {
    const int64_t n = spec.per_layer ? config.n_layer : 1;
    for (int64_t l = 0; l < n; ++l) {
      const std::string name = weight_name(spec, l);
      const gguf::TensorInfo* t = file.find_tensor(name);
      if (t == nullptr) {
        if (spec.required)
          return not_found("tensor ", name, " is missing (required by the ", config.arch,
                           " architecture)");
        continue;
      }
      HEARTH_ASSIGN_OR_RETURN(Weight w, bind(*t, spec, config));
      // matrices other than the token embedding (which get_rows reads in GGUF form) are
      // re-laid-out for the tiled GEMM; the copy replaces the mapped pages in memory
      if (repack && spec.n_dims == 2 && spec.global != &ModelWeights::token_embd) {
        w.m.repacked = kernels::repack_matrix(w.m);
        if (w.m.repacked && file.is_mapped()) kernels::release_source_pages(t->data, t->n_bytes);
      }
      if (spec.per_layer) {
        mw.layers[l].*(spec.layer) = std::move(w);
      } else {
        mw.*(spec.global) = std::move(w);
      }
    }
  }
  return mw;
}

uint64_t weight_bytes(const gguf::File& file, const ModelConfig& config,
                      std::span<const WeightSpec> table) {
  uint64_t total = 0;
  for (const WeightSpec& spec : table) {
    const int64_t n = spec.per_layer ? config.n_layer : 1;
    for (int64_t l = 0; l < n; ++l)
      if (const gguf::TensorInfo* t = file.find_tensor(weight_name(spec, l))) total += t->n_bytes;
  }
  return total;
}

}  // namespace hearth::model
