// `hearth imatrix -m MODEL -f TEXT -o FILE [-c CTX] [--chunks N]`: the importance matrix of a
// model on a calibration text, as llama.cpp's llama-imatrix computes it: the text is cut into
// chunks of CTX tokens (first token replaced by BOS), each chunk runs from an empty cache, and
// for every weight matrix of the blocks the squares of the activations entering it are summed
// per column (model::MatmulObserver). Written in llama.cpp's GGUF imatrix format when the output
// ends in .gguf, else in its legacy .dat format (both readable by llama-quantize).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <mutex>

#include "cli_util.h"
#include "command.h"
#include "core/mapped_file.h"
#include "model/observer.h"
#include "model_loader.h"
#include "ppl_util.h"
#include "quantize/imatrix.h"

namespace hearth::tools {
namespace {

// Accumulates sum of x^2 per column for every block weight matrix, keyed by its data pointer.
class ImatrixCollector : public model::MatmulObserver {
 public:
  ImatrixCollector(const gguf::File& file, quantize::Imatrix& out) : out_(out) {
    for (const gguf::TensorInfo& t : file.tensors())
      if (t.name.rfind("blk.", 0) == 0 && t.n_dims >= 2) names_[t.data] = t.name;
  }
  void observe(const kernels::Matrix& w, const float* x, int64_t n_tokens) override {
    auto it = names_.find(w.data);
    if (it == names_.end()) return;  // not a block weight (never happens for llama-family blocks)
    quantize::ImatrixEntry& e = out_.entries[it->second];
    if (e.sum_sq.empty()) e.sum_sq.assign(static_cast<size_t>(w.cols), 0.0);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* row = x + t * w.cols;  // (cols)
      for (int64_t j = 0; j < w.cols; ++j) e.sum_sq[j] += static_cast<double>(row[j]) * row[j];
    }
    e.count += n_tokens;
    ++e.ncall;
  }

 private:
  std::map<const uint8_t*, std::string> names_;
  quantize::Imatrix& out_;
};

struct ImatrixArgs {
  std::string model_path, text_path, out_path;
  int n_ctx = 512, threads = 0, chunks = -1;
};

Status run_imatrix(const ImatrixArgs& a) {
  HEARTH_ASSIGN_OR_RETURN(ChunkedText ct, load_chunked_text(a.model_path, a.text_path, a.n_ctx,
                                                            a.chunks, 1, "imatrix"));
  quantize::Imatrix m;
  m.dataset = a.text_path;
  m.chunk_size = a.n_ctx;
  ImatrixCollector collector(ct.lm.model->file(), m);
  ThreadPool pool(resolve_threads(a.threads, *ct.lm.model));
  model::Session session(*ct.lm.model, pool, a.n_ctx);
  std::fprintf(stderr, "imatrix: %lld chunks of %d tokens\n", static_cast<long long>(ct.n_chunk),
               a.n_ctx);
  ChunkProgress progress(ct);
  model::set_matmul_observer(&collector);
  Status status;
  for (int64_t c = 0; c < ct.n_chunk && status.ok(); ++c) {
    status = eval_chunk(session, ct, c, model::Logits::kLast);
    m.chunks = static_cast<int32_t>(c + 1);
    progress.print(c + 1);
  }
  model::set_matmul_observer(nullptr);
  std::fprintf(stderr, "\n");
  HEARTH_RETURN_IF_ERROR(status);
  if (m.entries.empty())
    return invalid_argument(a.model_path, ": no block weight matrix was observed");
  HEARTH_RETURN_IF_ERROR(quantize::write_imatrix(m, a.out_path));
  std::fprintf(stderr, "imatrix: %s: %zu matrices, %d chunks (%lld tokens)\n", a.out_path.c_str(),
               m.entries.size(), m.chunks, static_cast<long long>(m.chunks) * a.n_ctx);
  return Status::Ok();
}

int cmd_imatrix(int argc, char** argv) {
  CLI::App app{"Importance matrix of a model on a text (llama.cpp's llama-imatrix)", "imatrix"};
  ImatrixArgs a;
  app.add_option("-m,--model", a.model_path, "GGUF model file")->required();
  app.add_option("-f,--file", a.text_path, "calibration text file")->required();
  app.add_option("-o,--output", a.out_path,
                 "output file: NAME.gguf (GGUF imatrix) or any other name (legacy .dat)")
      ->required();
  app.add_option("-c,--ctx-size", a.n_ctx, "tokens per chunk")->check(CLI::Range(8, 1 << 20));
  app.add_option("-t,--threads", a.threads, "threads (0: automatic)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--chunks", a.chunks, "process at most this many chunks (-1: all)")
      ->check(CLI::Range(-1, 1 << 30));
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (Status s = run_imatrix(a); !s.ok()) return fail("imatrix", s);
  return 0;
}

}  // namespace
HEARTH_COMMAND("imatrix", "importance matrix of a model on a text (for quantize --imatrix)", 61,
               cmd_imatrix);
}  // namespace hearth::tools
