// The logits file of `hearth perplexity --kl-divergence-base` / `--kl-divergence`:
//   "HKLD" | u32 version=1 | u32 n_ctx | u32 n_vocab | u64 n_chunk | u64 n_tokens | i32
//   tokens[n_tokens] then for every scored position, in order: f16 logits[n_vocab].
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/status.h"

namespace hearth::tools {

struct KldStats {
  double sum = 0, sum2 = 0;
  int64_t count = 0, same_top = 0;
  std::string report() const {
    if (count == 0) return "no positions compared\n";
    const double mean = sum / count, var = sum2 / count - mean * mean;
    const double err = count > 1 && var > 0 ? std::sqrt(var / (count - 1)) : 0.0;
    char buf[256];
    std::snprintf(buf, sizeof buf, "Mean KLD: %.6f +/- %.6f\nSame top p: %.3f %%\n", mean, err,
                  100.0 * same_top / count);
    return buf;
  }
};

// Log-softmax of `logits` into `out` (double for the sums).
inline void log_softmax(std::span<const float> logits, std::vector<double>& out) {
  double mx = logits[0];
  for (float l : logits) mx = std::max(mx, static_cast<double>(l));
  double sum = 0;
  for (float l : logits) sum += std::exp(l - mx);
  const double lse = mx + std::log(sum);
  out.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - lse;
}

// Adds the KL divergence KL(base || logits) and top-1 agreement of one position to `stats`.
// base, logits: (n_vocab); lp_base, lp: scratch.
inline void kld_add(std::span<const float> base, std::span<const float> logits,
                    std::vector<double>& lp_base, std::vector<double>& lp, KldStats& stats) {
  log_softmax(base, lp_base);
  log_softmax(logits, lp);
  double kl = 0;
  size_t top_base = 0, top = 0;
  for (size_t i = 0; i < lp.size(); ++i) {
    kl += std::exp(lp_base[i]) * (lp_base[i] - lp[i]);
    if (lp_base[i] > lp_base[top_base]) top_base = i;
    if (lp[i] > lp[top]) top = i;
  }
  stats.sum += kl;
  stats.sum2 += kl * kl;
  ++stats.count;
  stats.same_top += top == top_base;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

struct KldHeader {
  char magic[4] = {'H', 'K', 'L', 'D'};
  uint32_t version = 1, n_ctx = 0, n_vocab = 0;
  uint64_t n_chunk = 0, n_tokens = 0;
};

class KldWriter {
 public:
  Status open(const std::string& path, int64_t n_ctx, int64_t n_vocab,
              const std::vector<int32_t>& tokens, int64_t n_chunk) {
    path_ = path;
    f_.reset(std::fopen(path.c_str(), "wb"));
    if (!f_) return io_error("cannot create ", path, ": ", std::strerror(errno));
    KldHeader h;
    h.n_ctx = n_ctx;
    h.n_vocab = n_vocab;
    h.n_chunk = n_chunk;
    h.n_tokens = tokens.size();
    std::fwrite(&h, sizeof h, 1, f_.get());
    std::fwrite(tokens.data(), 4, tokens.size(), f_.get());
    return Status::Ok();
  }
  bool is_open() const { return f_ != nullptr; }
  void write_row(std::span<const float> logits) {
    row_.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) row_[i] = float_to_fp16(logits[i]);
    std::fwrite(row_.data(), 2, row_.size(), f_.get());
  }
  Status close() {
    bool ok = std::ferror(f_.get()) == 0;
    ok = std::fclose(f_.release()) == 0 && ok;
    return ok ? Status::Ok() : io_error("writing ", path_, " failed");
  }

 private:
  std::string path_;
  std::unique_ptr<FILE, FileCloser> f_;
  std::vector<fp16_t> row_;
};

class KldReader {
 public:
  Status open(const std::string& path, int64_t n_ctx, int64_t n_vocab,
              const std::vector<int32_t>& tokens, int64_t n_chunk) {
    path_ = path;
    f_.reset(std::fopen(path.c_str(), "rb"));
    if (!f_) return io_error("cannot open ", path, ": ", std::strerror(errno));
    KldHeader h, want;
    if (std::fread(&h, sizeof h, 1, f_.get()) != 1 || std::memcmp(h.magic, want.magic, 4) != 0 ||
        h.version != 1)
      return corrupt_file(path, " is not a hearth --kl-divergence-base file");
    if (h.n_ctx != n_ctx || h.n_vocab != n_vocab || h.n_tokens != tokens.size() ||
        h.n_chunk < (uint64_t)n_chunk)
      return invalid_argument(path, " was made with ctx ", h.n_ctx, ", vocab ", h.n_vocab, ", ",
                              h.n_tokens, " tokens, ", h.n_chunk, " chunks; this run has ctx ",
                              n_ctx, ", vocab ", n_vocab, ", ", tokens.size(), " tokens, ", n_chunk,
                              " chunks");
    std::vector<int32_t> saved(h.n_tokens);
    if (std::fread(saved.data(), 4, saved.size(), f_.get()) != saved.size() || saved != tokens)
      return invalid_argument(path, ": the text tokenizes differently than when it was saved");
    return Status::Ok();
  }
  bool is_open() const { return f_ != nullptr; }
  Status compare_row(std::span<const float> logits, int32_t target, KldStats& stats) {
    row_.resize(logits.size());
    if (std::fread(row_.data(), 2, row_.size(), f_.get()) != row_.size())
      return corrupt_file(path_, " ends early");
    base_.resize(row_.size());
    for (size_t i = 0; i < row_.size(); ++i) base_[i] = fp16_to_float(row_[i]);
    (void)target;
    kld_add(base_, logits, lp_base_, lp_, stats);
    return Status::Ok();
  }

 private:
  std::string path_;
  std::unique_ptr<FILE, FileCloser> f_;
  std::vector<fp16_t> row_;
  std::vector<float> base_;
  std::vector<double> lp_base_, lp_;
};

}  // namespace hearth::tools
