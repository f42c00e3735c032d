#include "model/model.h"

#include <algorithm>

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

Status Model::check_batch(const KvArena& kv, const BatchView& b,
                          std::vector<int32_t>& slots) const {
  const ModelConfig& c = config_;
  const size_t n = b.tokens.size();
  if (n == 0) return invalid_argument("forward: no tokens");
  if (b.positions.size() != n || b.seq_index.size() != n)
    return invalid_argument("forward: ", n, " tokens but ", b.positions.size(), " positions and ",
                            b.seq_index.size(), " sequence indices");
  if (static_cast<int64_t>(kv.k.size()) != c.n_layer ||
      static_cast<int64_t>(kv.v.size()) != c.n_layer || kv.k_stride < c.k_dim() ||
      kv.v_stride < c.v_dim())
    return invalid_argument("forward: the KV arena has ", kv.k.size(), " layers of ", kv.k_stride,
                            "/", kv.v_stride, " values per slot; the model needs ", c.n_layer,
                            " layers of ", c.k_dim(), "/", c.v_dim());
  const int64_t bs = b.block_size;
  for (const SeqKv& s : b.seqs) {
    if (s.block_table == nullptr) continue;
    if (bs <= 0) return invalid_argument("forward: block tables need a block size > 0");
    for (int64_t j = 0; j < s.n_blocks; ++j) {
      const int64_t blk = s.block_table[j];
      if (blk < 0 || (blk + 1) * bs > kv.n_slots)
        return invalid_argument("forward: block ", blk, " is outside the KV arena of ",
                                kv.n_slots / bs, " blocks");
    }
  }
  slots.resize(n);  // (n_tokens) slot each token's K/V is written to
  for (size_t i = 0; i < n; ++i) {
    if (b.tokens[i] < 0 || b.tokens[i] >= c.n_vocab)
      return invalid_argument("token id ", b.tokens[i], " is outside the vocabulary [0, ",
                              c.n_vocab, ")");
    if (b.seq_index[i] < 0 || static_cast<size_t>(b.seq_index[i]) >= b.seqs.size())
      return invalid_argument("forward: token ", i, " names sequence ", b.seq_index[i], " of ",
                              b.seqs.size());
    const SeqKv& s = b.seqs[static_cast<size_t>(b.seq_index[i])];
    const int64_t p = b.positions[i];
    const int64_t limit = s.block_table == nullptr ? kv.n_slots : s.n_blocks * bs;
    if (p < 0 || p >= limit)
      return resource_exhausted("position ", p, " is outside the context of ", limit, " tokens");
    slots[i] =
        static_cast<int32_t>(s.block_table == nullptr ? p : s.block_table[p / bs] * bs + p % bs);
  }
  for (int32_t r : b.logit_rows) {
    if (r < 0 || static_cast<size_t>(r) >= n)
      return invalid_argument("forward: logits asked for row ", r, " of a batch of ", n, " tokens");
  }
  return Status::Ok();
}

Status Model::forward_batch(ThreadPool& pool, const KvArena& kv, const BatchView& batch,
                            float* logits) const {
  const ModelConfig& c = config_;
  std::vector<int32_t> slots;  // (n_tokens) KV slot of each token
  HEARTH_RETURN_IF_ERROR(check_batch(kv, batch, slots));
  const int64_t n = static_cast<int64_t>(batch.tokens.size());
  const kernels::RopeParams rope = rope_params();
  std::vector<float> cos_sin(n * rope.n_dims);  // (n_tokens, rope n_dims)
  for (int64_t i = 0; i < n; ++i)
    kernels::rope_angles(rope, batch.positions[i], cos_sin.data() + i * rope.n_dims);

  std::vector<float> x(n * c.n_embd);  // (n_tokens, n_embd) residual stream
  kernels::get_rows(weights_.token_embd.m, batch.tokens.data(), n, x.data());
  for (int64_t l = 0; l < c.n_layer; ++l) {
    LayerContext ctx{c,     weights_.layers[l], l,    pool,           kv,
                     batch, slots.data(),       rope, cos_sin.data(), n};
    arch_->block(ctx, x.data());
  }
  const int64_t rows = static_cast<int64_t>(batch.logit_rows.size());
  if (rows == 0) return Status::Ok();
  std::vector<float> picked(rows * c.n_embd);  // (n_logits, n_embd) rows whose logits are wanted
  for (int64_t r = 0; r < rows; ++r)
    std::copy_n(x.data() + batch.logit_rows[r] * c.n_embd, c.n_embd, picked.data() + r * c.n_embd);
  std::vector<float> xn(rows * c.n_embd);  // (n_logits, n_embd)
  rms_norm_rows(picked.data(), weights_.output_norm, c.rms_eps, rows, c.n_embd, xn.data());
  kernels::matmul(pool, weights_.lm_head().m, xn.data(), rows, logits);  // (n_logits, n_vocab)
  return Status::Ok();
}

Status Model::forward(ThreadPool& pool, KvCache& kv, std::span<const int32_t> tokens,
                      std::span<const int32_t> positions, Logits which,
                      std::vector<float>& logits) const {
  const int64_t n = static_cast<int64_t>(tokens.size());
  std::vector<int32_t> seq_index(tokens.size(), 0);  // (n_tokens) all sequence 0
  std::vector<int32_t> rows;                         // (n_logits)
  for (int64_t i = which == Logits::kAll ? 0 : n - 1; i < n; ++i)
    rows.push_back(static_cast<int32_t>(i));
  const SeqKv seq;  // contiguous: slot = position
  BatchView b;
  b.tokens = tokens;
  b.positions = positions;
  b.seq_index = seq_index;
  b.seqs = std::span<const SeqKv>(&seq, 1);
  b.logit_rows = rows;
  logits.resize(rows.size() * static_cast<size_t>(config_.n_vocab));  // (n_logits, n_vocab)
  return forward_batch(pool, kv.arena(), b, logits.data());
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
