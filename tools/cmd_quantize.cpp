// `hearth quantize IN.gguf OUT.gguf TYPE [--imatrix FILE] [--threads N]`: llama-quantize's
// job (src/quantize): per-tensor types from the scheme's rules, importance-weighted rounding with
// an imatrix, metadata copied, general.file_type set. Progress, one line per tensor, on stderr.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "cli_util.h"
#include "command.h"
#include "quant/type_traits.h"
#include "quantize/quantize.h"

namespace hearth::tools {
namespace {

// llama-quantize's short names for the _M mixtures.
std::string canonical_type(std::string t) {
  for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (t == "Q3_K") return "Q3_K_M";
  if (t == "Q4_K") return "Q4_K_M";
  if (t == "Q5_K") return "Q5_K_M";
  return t;
}

Status check_writable(const std::string& in, const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(in, out, ec))
    return invalid_argument("the output ", out, " is the input file; choose another name");
  fs::path dir = fs::path(out).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec))
    return io_error("cannot write ", out, ": directory ", dir.string(), " does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    return io_error("cannot write ", out, ": directory ", dir.string(), " is not writable");
  if (fs::is_directory(out, ec)) return io_error("cannot write ", out, ": it is a directory");
  return Status::Ok();
}

struct QuantizeArgs {
  std::string in, out, type, imatrix;
  int threads = 0;
};

Status run_quantize(const QuantizeArgs& a) {
  HEARTH_ASSIGN_OR_RETURN(const fit::QuantScheme* scheme, fit::find_scheme(canonical_type(a.type)));
  HEARTH_RETURN_IF_ERROR(check_writable(a.in, a.out));
  auto in = gguf::File::open(a.in);
  if (!in.ok()) return in.status().with_context("hearth quantize needs a GGUF model as input");
  quantize::Imatrix imatrix;
  quantize::QuantizeOptions o;
  o.scheme = scheme;
  o.threads = a.threads > 0 ? a.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (!a.imatrix.empty()) {
    HEARTH_ASSIGN_OR_RETURN(imatrix, quantize::read_imatrix(a.imatrix));
    o.imatrix = &imatrix;
    o.imatrix_path = a.imatrix;
    std::fprintf(stderr, "hearth quantize: imatrix %s: %zu entries, %d chunks of %s\n",
                 a.imatrix.c_str(), imatrix.entries.size(), imatrix.chunks,
                 imatrix.dataset.c_str());
  }
  for (const gguf::TensorInfo& t : in->tensors()) {
    const quant::TypeTraits* tr = quant::find_type_traits(t.ggml_type);
    if (tr != nullptr && tr->is_quantized) {
      std::fprintf(stderr,
                   "hearth quantize: warning: %s is already quantized (%s, ...): its tensors are "
                   "dequantized and requantized, which loses more quality than quantizing the "
                   "f16/f32 original\n",
                   a.in.c_str(), tr->name);
      break;
    }
  }
  o.progress = [](size_t i, size_t n, const quantize::TensorPlan& p) {
    const gguf::TensorInfo& t = *p.src;
    std::fprintf(stderr, "[%4zu/%zu] %-32s %-6s -> %-6s [%lld x %lld]%s\n", i + 1, n,
                 t.name.c_str(), quant::type_name(t.ggml_type), quant::type_name(p.out_type),
                 static_cast<long long>(t.ne[0]), static_cast<long long>(t.n_rows()),
                 p.convert ? "" : " (copied)");
  };
  std::fprintf(stderr, "hearth quantize: %s -> %s as %s with %d threads\n", a.in.c_str(),
               a.out.c_str(), scheme->name, o.threads);
  HEARTH_ASSIGN_OR_RETURN(quantize::QuantizeStats st, quantize::quantize_file(*in, a.out, o));
  std::fprintf(stderr,
               "hearth quantize: %s: %.2f MiB -> %.2f MiB (%.2f bits per weight), %d tensors "
               "requantized, %d weighted by the imatrix, %.1f s\n",
               a.out.c_str(), st.in_bytes / 1048576.0, st.out_bytes / 1048576.0,
               st.n_params > 0 ? 8.0 * st.out_bytes / st.n_params : 0.0, st.n_requantized,
               st.n_imatrix_used, st.seconds);
  return Status::Ok();
}

int cmd_quantize(int argc, char** argv) {
  CLI::App app{"Quantize a GGUF model (llama.cpp's llama-quantize)", "quantize"};
  QuantizeArgs a;
  std::string types;
  for (const fit::QuantScheme& s : fit::quant_schemes())
    types += str_cat(types.empty() ? "" : ", ", s.name);
  app.add_option("input", a.in, "input GGUF model (f32, f16, bf16 or quantized)")->required();
  app.add_option("output", a.out, "output GGUF file")->required();
  app.add_option("type", a.type, "quantization: " + types)->required();
  app.add_option("--imatrix", a.imatrix, "importance matrix from `hearth imatrix` (.dat or .gguf)");
  app.add_option("-t,--threads", a.threads, "threads (0: all)")->check(CLI::Range(0, 1024));
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (Status s = run_quantize(a); !s.ok()) return fail("quantize", s);
  return 0;
}

}  // namespace
HEARTH_COMMAND("quantize", "quantize a GGUF model (Q8_0, Q4_K_M, ...), optionally with an imatrix",
               60, cmd_quantize);
}  // namespace hearth::tools
