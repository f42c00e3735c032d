// llama.cpp's GGUF imatrix format (see imatrix.h), and the format-choosing read/write.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "gguf/gguf.h"
#include "quant/type_traits.h"
#include "quantize/imatrix.h"

namespace hearth::quantize {
namespace {

constexpr const char* kSumsSuffix = ".in_sum2";
constexpr const char* kCountsSuffix = ".counts";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(float));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// The F32 values of tensor `t` (ne[1] must be 1: one matrix, no experts).
Result<std::vector<float>> read_f32(const std::string& path, const gguf::TensorInfo& t) {
  if (t.ggml_type != static_cast<uint32_t>(quant::GgmlType::kF32))
    return corrupt_file(path, ": tensor ", t.name, " is ", quant::type_name(t.ggml_type),
                        ", an imatrix holds F32");
  if (t.n_rows() != 1)
    return invalid_argument(path, ": tensor ", t.name, " has ", t.n_rows(),
                            " matrices (experts); hearth reads imatrix entries of dense "
                            "matrices only");
  std::vector<float> v(static_cast<size_t>(t.ne[0]));  // (ne[0])
  std::memcpy(v.data(), t.data, v.size() * sizeof(float));
  return v;
}

}  // namespace

Status write_imatrix_gguf(const Imatrix& m, const std::string& path) {
  gguf::Writer w(3);
  w.set("general.type", gguf::Value::str("imatrix"));
  std::vector<gguf::Value> datasets;
  if (!m.dataset.empty()) datasets.push_back(gguf::Value::str(m.dataset));
  w.set("imatrix.datasets", gguf::Value::array(gguf::ValueType::kString, std::move(datasets)));
  w.set("imatrix.chunk_count", gguf::Value::u32(static_cast<uint32_t>(std::max(0, m.chunks))));
  w.set("imatrix.chunk_size", gguf::Value::u32(static_cast<uint32_t>(std::max(0, m.chunk_size))));
  const uint32_t f32 = static_cast<uint32_t>(quant::GgmlType::kF32);
  for (const auto& [name, e] : m.entries) {
    std::vector<float> sums(e.sum_sq.begin(), e.sum_sq.end());  // (cols)
    const int64_t sums_ne[2] = {static_cast<int64_t>(sums.size()), 1};
    const int64_t counts_ne[2] = {1, 1};
    HEARTH_RETURN_IF_ERROR(w.add_tensor_copy(name + kSumsSuffix, f32, sums_ne, f32_bytes(sums)));
    HEARTH_RETURN_IF_ERROR(w.add_tensor_copy(name + kCountsSuffix, f32, counts_ne,
                                             f32_bytes({static_cast<float>(e.count)})));
  }
  return w.write_file(path);
}

Result<Imatrix> read_imatrix_gguf(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(gguf::File f, gguf::File::open(path));
  const std::string type = f.get_string_or("general.type", "");
  if (type != "imatrix")
    return invalid_argument(path, " is a GGUF file but not an imatrix (general.type is '", type,
                            "'; expected 'imatrix')");
  Imatrix m;
  m.chunks = static_cast<int32_t>(f.get_int_or("imatrix.chunk_count", 0));
  m.chunk_size = static_cast<int32_t>(f.get_int_or("imatrix.chunk_size", 0));
  if (auto ds = f.get_array("imatrix.datasets");
      ds.ok() && !(*ds)->items.empty() && (*ds)->items[0].is_string())
    m.dataset = (*ds)->items[0].as_string();
  for (const gguf::TensorInfo& t : f.tensors()) {
    if (!ends_with(t.name, kSumsSuffix)) continue;
    const std::string name = t.name.substr(0, t.name.size() - std::strlen(kSumsSuffix));
    const gguf::TensorInfo* c = f.find_tensor(name + kCountsSuffix);
    if (c == nullptr)
      return corrupt_file(path, ": ", t.name, " has no matching ", name, kCountsSuffix);
    HEARTH_ASSIGN_OR_RETURN(std::vector<float> sums, read_f32(path, t));
    HEARTH_ASSIGN_OR_RETURN(std::vector<float> counts, read_f32(path, *c));
    if (counts.size() != 1 || !(counts[0] >= 0))
      return corrupt_file(path, ": ", c->name, " must hold one non-negative count");
    ImatrixEntry e;
    e.sum_sq.assign(sums.begin(), sums.end());
    e.count = std::llround(counts[0]);
    e.ncall = 1;
    m.entries[name] = std::move(e);
  }
  if (m.entries.empty())
    return invalid_argument(path, ": no imatrix entries (no tensor named *", kSumsSuffix, ")");
  return m;
}

Status write_imatrix(const Imatrix& m, const std::string& path) {
  return ends_with(path, ".gguf") ? write_imatrix_gguf(m, path) : write_imatrix_dat(m, path);
}

Result<Imatrix> read_imatrix(const std::string& path) {
  char magic[4] = {};
  if (FILE* fp = std::fopen(path.c_str(), "rb")) {
    const size_t got = std::fread(magic, 1, 4, fp);
    std::fclose(fp);
    if (got == 4 && std::memcmp(magic, "GGUF", 4) == 0) return read_imatrix_gguf(path);
  }
  return read_imatrix_dat(path);  // also reports a missing file
}

}  // namespace hearth::quantize
