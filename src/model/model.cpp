#include "model/model.h"

#include "kernels/kernels.h"
#include "kernels/vec.h"
#include "quant/type_traits.h"

namespace hearth::model {

Result<std::unique_ptr<Model>> Model::load(const std::string& path) {
  auto file = gguf::File::open(path);
  if (!file.ok()) return file.status();
  auto model = from_file(std::move(file).value());
  if (!model.ok()) return model.status().with_context("loading " + path);
  return model;
}

Result<std::unique_ptr<Model>> Model::from_file(gguf::File file) {
  std::unique_ptr<Model> model(new Model(std::move(file)));
  HEARTH_RETURN_IF_ERROR(model->init());
  return model;
}

Status Model::init() {
  HEARTH_ASSIGN_OR_RETURN(std::string arch_name, file_.get_string("general.architecture"));
  arch_ = find_arch(arch_name);
  if (arch_ == nullptr) {
    std::string known;
    for (const std::string& n : arch_names()) known += (known.empty() ? "" : ", ") + n;
    return unsupported("architecture '", arch_name, "' is not supported (supported: ", known, ")");
  }
  HEARTH_ASSIGN_OR_RETURN(config_, read_config(file_, arch_->rope_layout));
  if (config_.n_vocab == 0) {
    if (const gguf::TensorInfo* t = file_.find_tensor("token_embd.weight"))
      config_.n_vocab = t->ne[1];
  }
  HEARTH_ASSIGN_OR_RETURN(weights_, load_weights(file_, config_, arch_->weights));
  return Status::Ok();
}

uint64_t Model::weight_bytes() const {
  return model::weight_bytes(file_, config_, arch_->weights);
}

kernels::RopeParams Model::rope_params() const {
  const RopeConfig& r = config_.rope;
  kernels::RopeParams p;
  p.n_dims = r.n_dims;
  p.neox = r.layout == RopeLayout::kNeox;
  p.freq_base = r.freq_base;
  p.freq_scale = r.freq_scale;
  p.ext_factor = r.ext_factor;
  p.attn_factor = r.attn_factor;
  p.beta_fast = r.beta_fast;
  p.beta_slow = r.beta_slow;
  p.n_ctx_orig = r.n_ctx_orig;
  p.freq_factors = weights_.rope_freqs.f32();
  return p;
}

Status Model::forward(ThreadPool& pool, KvCache& kv, std::span<const int32_t> tokens,
                      std::span<const int32_t> positions, Logits which,
                      std::vector<float>& logits) const {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return invalid_argument("forward: no tokens");
  if (positions.size() != tokens.size())
    return invalid_argument("forward: ", n, " tokens but ", positions.size(), " positions");
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= c.n_vocab)
      return invalid_argument("token id ", tokens[i], " is outside the vocabulary [0, ", c.n_vocab,
                              ")");
    if (positions[i] < 0 || positions[i] >= kv.n_ctx())
      return resource_exhausted("position ", positions[i], " is outside the context of ",
                                kv.n_ctx(), " tokens");
  }
  const kernels::RopeParams rope = rope_params();
  std::vector<float> cos_sin(n * rope.n_dims);  // (n_tokens, rope n_dims)
  for (int64_t i = 0; i < n; ++i)
    kernels::rope_angles(rope, positions[i], cos_sin.data() + i * rope.n_dims);

  std::vector<float> x(n * c.n_embd);  // (n_tokens, n_embd) residual stream
  kernels::get_rows(weights_.token_embd.m, tokens.data(), n, x.data());
  for (int64_t l = 0; l < c.n_layer; ++l) {
    LayerContext ctx{c, weights_.layers[l], l, pool, kv, positions, rope, cos_sin.data(), n};
    arch_->block(ctx, x.data());
  }
  const int64_t rows = which == Logits::kAll ? n : 1;
  const float* last = x.data() + (n - rows) * c.n_embd;  // (rows, n_embd)
  std::vector<float> xn(rows * c.n_embd);                // (rows, n_embd)
  rms_norm_rows(last, weights_.output_norm, c.rms_eps, rows, c.n_embd, xn.data());
  logits.resize(rows * c.n_vocab);  // (rows, n_vocab)
  kernels::matmul(pool, weights_.lm_head().m, xn.data(), rows, logits.data());
  return Status::Ok();
}

Session::Session(const Model& model, ThreadPool& pool, int64_t n_ctx)
    : model_(model), pool_(pool), kv_(model.config(), n_ctx) {}

std::span<const float> Session::last_logits() const {
  const size_t v = model_.config().n_vocab;
  if (logits_.size() < v) return {};
  return std::span<const float>(logits_).subspan(logits_.size() - v);
}

Status Session::eval(std::span<const int32_t> tokens, Logits which) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return invalid_argument("eval: no tokens");
  if (n_past_ + n > kv_.n_ctx())
    return resource_exhausted(n_past_, " + ", n, " tokens do not fit in the context of ",
                              kv_.n_ctx(), " tokens");
  std::vector<float> all;  // (n, n_vocab) when which == kAll
  std::vector<float> part;
  for (int64_t start = 0; start < n; start += max_batch) {
    const int64_t len = std::min(max_batch, n - start);
    std::vector<int32_t> pos(len);  // (len) positions of this batch
    for (int64_t i = 0; i < len; ++i) pos[i] = static_cast<int32_t>(n_past_ + start + i);
    const bool last_batch = start + len == n;
    Logits w = which == Logits::kAll ? Logits::kAll : Logits::kLast;
    Status s = model_.forward(pool_, kv_, tokens.subspan(start, len), pos, w, part);
    if (!s.ok()) return s;
    if (which == Logits::kAll)
      all.insert(all.end(), part.begin(), part.end());
    else if (last_batch)
      all = std::move(part);
  }
  n_past_ += n;
  logits_ = std::move(all);
  return Status::Ok();
}

}  // namespace hearth::model
