// `hearth quality -m MODEL -f TEXT --types q8_0,q4_k_m,q3_k_s [-c CTX] [--chunks N]
// [--imatrix FILE] [--json]`: the quality cost of each quantization on the user's own model and
// text. MODEL (ideally f16/f32) is quantized to each type (src/quantize, into a temporary file
// that is unlinked as soon as it is mapped), then the unquantized and the quantized models run
// the same chunks side by side (llama.cpp's perplexity method): perplexity of each, and for the
// quantized ones the change in perplexity, the mean KL divergence from the unquantized model's
// next-token distribution and how often both pick the same top token.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli_util.h"
#include "command.h"
#include "core/mapped_file.h"
#include "kld_file.h"
#include "model_loader.h"
#include "ppl_util.h"
#include "quantize/quantize.h"

namespace hearth::tools {
namespace {

struct QualityArgs {
  std::string model_path, text_path, types = "q8_0,q4_k_m,q3_k_s", imatrix;
  int n_ctx = 512, threads = 0, chunks = -1;
  bool json = false;
};

// One evaluated model: the unquantized one (row 0) or a quantization of it.
struct Variant {
  std::string name;  // "F16 (original)", "Q4_K_M"
  uint64_t file_bytes = 0;
  double bpw = 0;
  std::unique_ptr<model::Model> model;  // null for the original (owned by the ChunkedText)
  std::unique_ptr<model::Session> session;
  PplAccumulator ppl;
  KldStats kld;
};

std::vector<std::string> split_types(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string t; std::getline(ss, t, ',');)
    if (!t.empty()) out.push_back(t);
  return out;
}

// Quantizes `base` to `type` in a temporary file, loads it and unlinks the file.
Result<Variant> make_variant(const gguf::File& base, const std::string& type,
                             const quantize::Imatrix* imatrix, const QualityArgs& a) {
  HEARTH_ASSIGN_OR_RETURN(const fit::QuantScheme* scheme, fit::find_scheme(type));
  namespace fs = std::filesystem;
  const std::string tmp = (fs::temp_directory_path() /
                           str_cat("hearth-quality-", ::getpid(), "-", scheme->name, ".gguf"))
                              .string();
  quantize::QuantizeOptions o;
  o.scheme = scheme;
  o.imatrix = imatrix;
  o.imatrix_path = a.imatrix;
  o.threads = a.threads > 0 ? a.threads : static_cast<int>(std::thread::hardware_concurrency());
  std::fprintf(stderr, "quality: quantizing to %s...\n", scheme->name);
  HEARTH_ASSIGN_OR_RETURN(quantize::QuantizeStats st, quantize::quantize_file(base, tmp, o));
  (void)st;
  Variant v;
  v.name = scheme->name;
  auto model = model::Model::load(tmp);
  std::error_code ec;
  fs::remove(tmp, ec);  // the mapping stays valid; nothing is left behind
  if (!model.ok()) return model.status();
  v.model = std::move(model).value();
  v.file_bytes = v.model->file().file_size();
  v.bpw = quantize::bits_per_weight(v.model->file());
  return v;
}

void print_table(const std::vector<Variant>& vs) {
  std::printf("%-16s %10s %6s %10s %9s %10s %7s\n", "type", "size MiB", "bpw", "PPL", "dPPL %",
              "mean KLD", "top-1 %");
  const double base = vs[0].ppl.ppl();
  for (size_t i = 0; i < vs.size(); ++i) {
    const Variant& v = vs[i];
    std::printf("%-16s %10.2f %6.2f %10.4f", v.name.c_str(), v.file_bytes / 1048576.0, v.bpw,
                v.ppl.ppl());
    if (i == 0) {
      std::printf(" %9s %10s %7s\n", "-", "-", "-");
      continue;
    }
    const double mean_kld = v.kld.count ? v.kld.sum / v.kld.count : 0.0;
    std::printf(" %+9.3f %10.6f %7.2f\n", 100.0 * (v.ppl.ppl() / base - 1.0), mean_kld,
                v.kld.count ? 100.0 * v.kld.same_top / v.kld.count : 0.0);
  }
}

nlohmann::json to_json(const std::vector<Variant>& vs, const QualityArgs& a, int64_t n_chunk) {
  nlohmann::json rows = nlohmann::json::array();
  const double base = vs[0].ppl.ppl();
  for (size_t i = 0; i < vs.size(); ++i) {
    const Variant& v = vs[i];
    nlohmann::json r = {
        {"type", v.name},     {"file_bytes", v.file_bytes}, {"bits_per_weight", v.bpw},
        {"ppl", v.ppl.ppl()}, {"ppl_err", v.ppl.ppl_err()}, {"original", i == 0}};
    if (i > 0) {
      r["ppl_change_pct"] = 100.0 * (v.ppl.ppl() / base - 1.0);
      r["mean_kld"] = v.kld.count ? v.kld.sum / v.kld.count : 0.0;
      r["top1_agreement"] = v.kld.count ? double(v.kld.same_top) / v.kld.count : 0.0;
    }
    rows.push_back(r);
  }
  return {{"model", a.model_path}, {"text", a.text_path},  {"ctx", a.n_ctx},
          {"chunks", n_chunk},     {"imatrix", a.imatrix}, {"results", rows}};
}

// Runs every chunk through every variant; variant 0 is the reference for KL divergence.
Status evaluate(std::vector<Variant>& vs, const ChunkedText& ct) {
  const int64_t n_ctx = ct.n_ctx, first = n_ctx / 2, nv = ct.lm.model->config().n_vocab;
  std::vector<float> base_logits;  // (n_ctx, n_vocab) of the unquantized model
  std::vector<double> lp_base, lp;
  ChunkProgress progress(ct);
  for (int64_t c = 0; c < ct.n_chunk; ++c) {
    for (size_t i = 0; i < vs.size(); ++i) {
      model::Session& s = *vs[i].session;
      HEARTH_RETURN_IF_ERROR(eval_chunk(s, ct, c, model::Logits::kAll));
      if (i == 0) base_logits.assign(s.logits().begin(), s.logits().end());
      for (int64_t j = first; j < n_ctx - 1; ++j) {
        std::span<const float> row = s.logits().subspan(j * nv, nv);  // (n_vocab)
        vs[i].ppl.add(-log_prob(row, ct.tokens[c * n_ctx + j + 1]));
        if (i > 0)
          kld_add(std::span<const float>(base_logits).subspan(j * nv, nv), row, lp_base, lp,
                  vs[i].kld);
      }
    }
    progress.print(c + 1, "quality ");
  }
  std::fprintf(stderr, "\n");
  return Status::Ok();
}

Status run_quality(const QualityArgs& a) {
  const std::vector<std::string> types = split_types(a.types);
  if (types.empty()) return invalid_argument("--types is empty (example: q8_0,q4_k_m,q3_k_s)");
  for (const std::string& t : types) HEARTH_RETURN_IF_ERROR(fit::find_scheme(t).status());
  HEARTH_ASSIGN_OR_RETURN(ChunkedText ct, load_chunked_text(a.model_path, a.text_path, a.n_ctx,
                                                            a.chunks, 1, "quality"));
  quantize::Imatrix imatrix;
  if (!a.imatrix.empty()) {
    HEARTH_ASSIGN_OR_RETURN(imatrix, quantize::read_imatrix(a.imatrix));
  }
  std::vector<Variant> vs(1);
  const model::Model& original = *ct.lm.model;
  vs[0].name = str_cat(quant::type_name(original.weights().layers[0].wq.m.type), " (original)");
  vs[0].file_bytes = original.file().file_size();
  vs[0].bpw = quantize::bits_per_weight(original.file());
  for (const std::string& t : types) {
    HEARTH_ASSIGN_OR_RETURN(
        Variant v, make_variant(original.file(), t, a.imatrix.empty() ? nullptr : &imatrix, a));
    vs.push_back(std::move(v));
  }
  ThreadPool pool(resolve_threads(a.threads, original));
  vs[0].session = std::make_unique<model::Session>(original, pool, a.n_ctx);
  for (size_t i = 1; i < vs.size(); ++i)
    vs[i].session = std::make_unique<model::Session>(*vs[i].model, pool, a.n_ctx);
  HEARTH_RETURN_IF_ERROR(evaluate(vs, ct));
  if (a.json) {
    std::printf("%s\n", to_json(vs, a, ct.n_chunk).dump(2).c_str());
  } else {
    std::printf("%s on %s: %lld chunks of %d tokens%s\n", a.model_path.c_str(), a.text_path.c_str(),
                static_cast<long long>(ct.n_chunk), a.n_ctx,
                a.imatrix.empty() ? "" : str_cat(", imatrix ", a.imatrix).c_str());
    print_table(vs);
  }
  return Status::Ok();
}

int cmd_quality(int argc, char** argv) {
  CLI::App app{"Quality cost of quantization types on a model and text", "quality"};
  QualityArgs a;
  app.add_option("-m,--model", a.model_path, "GGUF model (f16/f32 ideally)")->required();
  app.add_option("-f,--file", a.text_path, "text file")->required();
  app.add_option("--types", a.types, "comma-separated quantization types")->capture_default_str();
  app.add_option("-c,--ctx-size", a.n_ctx, "tokens per chunk")->check(CLI::Range(8, 1 << 20));
  app.add_option("--chunks", a.chunks, "score at most this many chunks (-1: all)")
      ->check(CLI::Range(-1, 1 << 30));
  app.add_option("--imatrix", a.imatrix, "importance matrix (.dat or .gguf) for the quantizations");
  app.add_option("-t,--threads", a.threads, "threads (0: automatic)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--json", a.json, "print JSON instead of a table");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (Status s = run_quality(a); !s.ok()) return fail("quality", s);
  return 0;
}

}  // namespace
HEARTH_COMMAND("quality", "perplexity and KL divergence of quantization types on your model", 62,
               cmd_quality);
}  // namespace hearth::tools
