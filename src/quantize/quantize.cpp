#include "quantize/quantize.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/thread_pool.h"
#include "fit/gguf_source.h"
#include "quant/type_traits.h"

namespace hearth::quantize {
namespace {

// llama.cpp orders the tensors it writes by (layer, name): tensors outside the blocks first
// (layer -1), names compared bytewise.
int tensor_layer(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  int layer = 0;
  size_t i = 4;
  if (i >= name.size() || name[i] < '0' || name[i] > '9') return -1;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9')
    layer = layer * 10 + (name[i++] - '0');
  return layer;
}

fit::TensorDesc describe(const gguf::TensorInfo& t) {
  fit::TensorDesc d;
  d.name = t.name;
  d.ggml_type = t.ggml_type;
  d.n_dims = t.n_dims;
  for (int i = 0; i < 4; ++i) d.ne[i] = t.ne[i];
  d.n_bytes = t.n_bytes;
  return d;
}

// rows (n_rows, n_per_row) of `src` decoded to f32 into `out` (n_rows * n_per_row).
void decode_rows(const quant::TypeTraits& from, const gguf::TensorInfo& t, int64_t row0,
                 int64_t n_rows, float* out) {
  const size_t row_bytes = static_cast<size_t>(t.ne[0] / from.block_size) * from.type_size;
  from.to_float(t.data + row0 * row_bytes, out, n_rows * t.ne[0]);
}

// Converts one tensor; rows are split over the pool. `importance` (ne[0]) may be empty.
Result<std::vector<uint8_t>> convert_tensor(ThreadPool& pool, const TensorPlan& p,
                                            const std::vector<float>& importance) {
  const gguf::TensorInfo& t = *p.src;
  const quant::TypeTraits* from = quant::find_type_traits(t.ggml_type);
  const quant::TypeTraits* to = quant::find_type_traits(p.out_type);
  const int64_t n_per_row = t.ne[0], n_rows = t.n_rows();
  HEARTH_ASSIGN_OR_RETURN(size_t out_row_bytes, quant::row_size(p.out_type, n_per_row));
  std::vector<uint8_t> out(out_row_bytes * static_cast<size_t>(n_rows));  // (n_rows, row bytes)
  const float* imp = importance.empty() ? nullptr : importance.data();
  constexpr int64_t kRowsPerTask = 16;
  const size_t n_tasks = static_cast<size_t>((n_rows + kRowsPerTask - 1) / kRowsPerTask);
  pool.parallel_for("quantize", n_tasks, [&](size_t begin, size_t end, int) {
    std::vector<float> rows(static_cast<size_t>(kRowsPerTask * n_per_row));  // (16, n_per_row)
    for (size_t task = begin; task < end; ++task) {
      const int64_t r0 = static_cast<int64_t>(task) * kRowsPerTask;
      const int64_t nr = std::min(kRowsPerTask, n_rows - r0);
      decode_rows(*from, t, r0, nr, rows.data());
      for (int64_t r = 0; r < nr; ++r) {
        to->from_float(rows.data() + r * n_per_row, out.data() + (r0 + r) * out_row_bytes,
                       n_per_row, imp);
      }
    }
  });
  return out;
}

void set_output_metadata(gguf::Writer& w, const gguf::File& in, const QuantizeOptions& o) {
  w.copy_metadata_from(in);
  for (const char* key : {"split.no", "split.count", "split.tensors.count"}) w.remove(key);
  // llama.cpp appends these two at the end (removing the old value first).
  w.remove("general.quantization_version");
  w.remove("general.file_type");
  w.set("general.quantization_version", gguf::Value::u32(2));
  w.set("general.file_type", gguf::Value::u32(static_cast<uint32_t>(o.scheme->file_type)));
  if (o.imatrix != nullptr) {
    w.set("quantize.imatrix.file", gguf::Value::str(o.imatrix_path));
    w.set("quantize.imatrix.dataset", gguf::Value::str(o.imatrix->dataset));
    w.set("quantize.imatrix.entries_count",
          gguf::Value::i32(static_cast<int32_t>(o.imatrix->entries.size())));
    w.set("quantize.imatrix.chunks_count", gguf::Value::i32(o.imatrix->chunks));
  }
}

}  // namespace

Result<std::vector<TensorPlan>> plan_quantization(const gguf::File& in,
                                                  const fit::QuantScheme& scheme,
                                                  bool has_imatrix) {
  if (!in.has("general.architecture") || in.tensors().empty())
    return invalid_argument(in.path(),
                            " is not a model (no general.architecture key or no tensors)");
  HEARTH_ASSIGN_OR_RETURN(fit::ModelSpec spec, fit::spec_from_gguf(in));
  std::vector<TensorPlan> plans;
  for (const gguf::TensorInfo& t : in.tensors()) {
    const quant::TypeTraits* from = quant::find_type_traits(t.ggml_type);
    if (from == nullptr) return invalid_argument("tensor ", t.name, ": unknown type ", t.ggml_type);
    TensorPlan p;
    p.src = &t;
    const fit::TensorDesc d = describe(t);
    p.out_type = fit::is_quantizable(d)
                     ? fit::scheme_tensor_type(scheme, spec.shape, d, has_imatrix)
                     : t.ggml_type;
    p.convert = p.out_type != t.ggml_type;
    if (p.convert && from->to_float == nullptr)
      return invalid_argument("tensor ", t.name, " has type ", from->name,
                              ", which hearth cannot decode");
    const quant::TypeTraits* to = quant::find_type_traits(p.out_type);
    if (p.convert && (to == nullptr || to->from_float == nullptr))
      return invalid_argument("tensor ", t.name, ": hearth cannot produce type ",
                              quant::type_name(p.out_type));
    plans.push_back(p);
  }
  std::stable_sort(plans.begin(), plans.end(), [](const TensorPlan& a, const TensorPlan& b) {
    const int la = tensor_layer(a.src->name), lb = tensor_layer(b.src->name);
    if (la != lb) return la < lb;
    return a.src->name < b.src->name;
  });
  return plans;
}

Result<QuantizeStats> quantize_file(const gguf::File& in, const std::string& out_path,
                                    const QuantizeOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  HEARTH_ASSIGN_OR_RETURN(std::vector<TensorPlan> plans,
                          plan_quantization(in, *o.scheme, o.imatrix != nullptr));
  gguf::Writer w(in.version() >= 3 ? in.version() : 3);
  set_output_metadata(w, in, o);
  ThreadPool pool(o.threads > 0 ? o.threads : 1);
  QuantizeStats st;
  for (size_t i = 0; i < plans.size(); ++i) {
    const TensorPlan& p = plans[i];
    const gguf::TensorInfo& t = *p.src;
    if (t.data == nullptr) return invalid_argument("tensor ", t.name, " has no data");
    std::span<const int64_t> ne(t.ne, static_cast<size_t>(t.n_dims));
    st.in_bytes += t.n_bytes;
    st.n_params += t.n_elements();
    if (!p.convert) {
      HEARTH_RETURN_IF_ERROR(w.add_tensor(t.name, t.ggml_type, ne, {t.data, t.n_bytes}));
      st.out_bytes += t.n_bytes;
    } else {
      std::vector<float> importance;
      if (o.imatrix != nullptr &&
          quant::type_traits(static_cast<quant::GgmlType>(p.out_type)).is_quantized) {
        importance = o.imatrix->weights_for(t.name);
        if (!importance.empty() && static_cast<int64_t>(importance.size()) != t.ne[0])
          return invalid_argument("imatrix entry ", t.name, " has ", importance.size(),
                                  " values but the tensor's rows have ", t.ne[0]);
        st.n_imatrix_used += !importance.empty();
      }
      st.n_requantized +=
          quant::type_traits(static_cast<quant::GgmlType>(t.ggml_type)).is_quantized;
      HEARTH_ASSIGN_OR_RETURN(std::vector<uint8_t> data, convert_tensor(pool, p, importance));
      st.out_bytes += data.size();
      HEARTH_RETURN_IF_ERROR(w.add_tensor_copy(t.name, p.out_type, ne, std::move(data)));
    }
    if (o.progress) o.progress(i, plans.size(), p);
  }
  HEARTH_RETURN_IF_ERROR(w.write_file(out_path));
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

double bits_per_weight(const gguf::File& file) {
  uint64_t bytes = 0;
  int64_t n = 0;
  for (const gguf::TensorInfo& t : file.tensors()) {
    bytes += t.n_bytes;
    n += t.n_elements();
  }
  return n > 0 ? 8.0 * static_cast<double>(bytes) / static_cast<double>(n) : 0.0;
}

}  // namespace hearth::quantize
