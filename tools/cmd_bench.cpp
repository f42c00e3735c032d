// `hearth bench -m MODEL [-p 512] [-n 128] [-r 5] [-t THREADS] [-o text|json|csv]`: prompt
// processing and generation speed, against the memory-bandwidth roofline.
// `hearth bench serve --url URL ...` load-tests a running server instead (bench_serve.cpp).
//
// A warm-up run (one full prompt and a few generated tokens) first, so every weight page is
// resident; then `r` repetitions: one Session::eval of p random valid token ids on a fresh
// sequence (pp), then n evals of one token each on another fresh sequence (tg) — llama-bench's
// method, so the figures compare with its pp512 / tg128. Reported: mean and standard deviation of
// both rates; the machine's read bandwidth (kernels::measure_read_bandwidth over a buffer of
// --bw-mib MiB); bytes of weights read per generated token (every tensor except token_embd,
// which is only gathered row by row; token_embd counts when it doubles as the output
// projection); roofline % = tg t/s * bytes per token / bandwidth.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench_serve.h"
#include "cli_util.h"
#include "command.h"
#include "core/thread_pool.h"
#include "fit/quant_scheme.h"
#include "kernels/bandwidth.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "model_loader.h"

namespace hearth::tools {
namespace {

struct BenchOptions {
  std::string model, output = "text";
  int n_prompt = 512, n_gen = 128, reps = 5, threads = 0, bw_mib = 1024;
  uint32_t seed = 1;
};

struct MeanStd {
  double mean = 0, std = 0;
};

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd m;
  if (v.empty()) return m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  if (v.size() < 2) return m;
  double ss = 0;
  for (double x : v) ss += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(ss / static_cast<double>(v.size() - 1));
  return m;
}

struct BenchResult {
  std::string name, type, isa;
  uint64_t file_bytes = 0, bytes_per_token = 0;
  int64_t n_params = 0;
  int threads = 0;
  MeanStd pp, tg;
  // read bandwidth on 2 MiB pages (the repacked weights' pages: the machine's roofline) and on
  // 4 KiB pages (a plain allocation, as llama.cpp's reference figures were measured)
  double bandwidth_gb_s = 0, roofline_pct = 0, bandwidth_4k_gb_s = 0, roofline_4k_pct = 0;
};

// Weights read per generated token: all tensors but token_embd, unless token_embd is also the
// output projection (tied embeddings).
uint64_t bytes_per_token(const gguf::File& file) {
  uint64_t sum = 0, embd = 0;
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (t.name == "token_embd.weight")
      embd = t.n_bytes;
    else
      sum += t.n_bytes;
  }
  return file.find_tensor("output.weight") == nullptr ? sum + embd : sum;
}

std::vector<int32_t> random_tokens(std::mt19937& rng, int64_t n_vocab, int n) {
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(n_vocab - 1));
  std::vector<int32_t> v(n);
  for (int32_t& t : v) t = dist(rng);
  return v;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One repetition on a fresh sequence: returns {pp t/s, tg t/s} (0 where that part is empty).
Result<std::pair<double, double>> run_once(model::Session& s, std::mt19937& rng, int n_prompt,
                                           int n_gen) {
  const int64_t n_vocab = s.model().config().n_vocab;
  s.truncate(0);
  std::pair<double, double> rates{0, 0};
  if (n_prompt > 0) {
    std::vector<int32_t> prompt = random_tokens(rng, n_vocab, n_prompt);
    auto t0 = std::chrono::steady_clock::now();
    HEARTH_RETURN_IF_ERROR(s.eval(prompt));
    rates.first = n_prompt / seconds_since(t0);
  }
  if (n_gen > 0) {
    s.truncate(0);  // generation from an empty context, as llama-bench measures tgN
    std::vector<int32_t> gen = random_tokens(rng, n_vocab, n_gen);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n_gen; ++i) HEARTH_RETURN_IF_ERROR(s.eval({&gen[i], 1}));
    rates.second = n_gen / seconds_since(t0);
  }
  return rates;
}

Result<BenchResult> bench(const BenchOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<model::Model> m, model::Model::load(o.model));
  BenchResult r;
  const gguf::File& file = m->file();
  r.name = file.get_string_or("general.name", o.model);
  const fit::QuantScheme* scheme =
      fit::scheme_from_file_type(file.get_int_or("general.file_type", -1));
  r.type = scheme != nullptr ? scheme->name : "unknown";
  r.file_bytes = file.file_size();
  for (const gguf::TensorInfo& t : file.tensors()) r.n_params += t.n_elements();
  r.bytes_per_token = bytes_per_token(file);
  r.threads = resolve_threads(o.threads, *m);
  r.isa = kernels::isa_name(kernels::active_isa());
  ThreadPool pool(r.threads);
  model::Session session(*m, pool, o.n_prompt + o.n_gen + 8);
  std::mt19937 rng(o.seed);
  HEARTH_RETURN_IF_ERROR(run_once(session, rng, o.n_prompt, std::min(o.n_gen, 4)).status());
  std::vector<double> pp, tg;
  for (int i = 0; i < o.reps; ++i) {
    HEARTH_ASSIGN_OR_RETURN(auto rates, run_once(session, rng, o.n_prompt, o.n_gen));
    if (o.n_prompt > 0) pp.push_back(rates.first);
    if (o.n_gen > 0) tg.push_back(rates.second);
  }
  r.pp = mean_std(pp);
  r.tg = mean_std(tg);
  const size_t bw_bytes = static_cast<size_t>(o.bw_mib) << 20;
  r.bandwidth_gb_s = kernels::measure_read_bandwidth(pool, bw_bytes, 3, /*huge_pages=*/true);
  r.bandwidth_4k_gb_s = kernels::measure_read_bandwidth(pool, bw_bytes, 3, /*huge_pages=*/false);
  const double bytes_per_s = r.tg.mean * static_cast<double>(r.bytes_per_token);
  if (r.bandwidth_gb_s > 0) r.roofline_pct = bytes_per_s / (r.bandwidth_gb_s * 1e9) * 100;
  if (r.bandwidth_4k_gb_s > 0) r.roofline_4k_pct = bytes_per_s / (r.bandwidth_4k_gb_s * 1e9) * 100;
  return r;
}

void print_result(const BenchResult& r, const BenchOptions& o) {
  if (o.output == "json") {
    nlohmann::ordered_json j = {{"model", o.model},
                                {"name", r.name},
                                {"type", r.type},
                                {"file_bytes", r.file_bytes},
                                {"n_params", r.n_params},
                                {"n_prompt", o.n_prompt},
                                {"n_gen", o.n_gen},
                                {"repetitions", o.reps},
                                {"threads", r.threads},
                                {"isa", r.isa},
                                {"pp_tokens_per_s", r.pp.mean},
                                {"pp_tokens_per_s_std", r.pp.std},
                                {"tg_tokens_per_s", r.tg.mean},
                                {"tg_tokens_per_s_std", r.tg.std},
                                {"bandwidth_gb_s", r.bandwidth_gb_s},
                                {"bytes_per_token", r.bytes_per_token},
                                {"roofline_pct", r.roofline_pct},
                                {"bandwidth_4k_gb_s", r.bandwidth_4k_gb_s},
                                {"roofline_4k_pct", r.roofline_4k_pct}};
    std::printf("%s\n", j.dump(2).c_str());
  } else if (o.output == "csv") {
    std::printf(
        "model,type,file_bytes,threads,isa,n_prompt,n_gen,pp_tokens_per_s,pp_std,"
        "tg_tokens_per_s,tg_std,bandwidth_gb_s,bytes_per_token,roofline_pct,"
        "bandwidth_4k_gb_s,roofline_4k_pct\n");
    std::printf("%s,%s,%llu,%d,%s,%d,%d,%.3f,%.3f,%.3f,%.3f,%.2f,%llu,%.1f,%.2f,%.1f\n",
                r.name.c_str(), r.type.c_str(), static_cast<unsigned long long>(r.file_bytes),
                r.threads, r.isa.c_str(), o.n_prompt, o.n_gen, r.pp.mean, r.pp.std, r.tg.mean,
                r.tg.std, r.bandwidth_gb_s, static_cast<unsigned long long>(r.bytes_per_token),
                r.roofline_pct, r.bandwidth_4k_gb_s, r.roofline_4k_pct);
  } else {
    std::printf("model      %s (%s, %.1f MiB, %.3f B params)\n", r.name.c_str(), r.type.c_str(),
                r.file_bytes / 1048576.0, r.n_params / 1e9);
    std::printf("threads    %d, isa %s, %d repetitions\n", r.threads, r.isa.c_str(), o.reps);
    std::printf("pp%-7d  %.2f ± %.2f t/s\n", o.n_prompt, r.pp.mean, r.pp.std);
    std::printf("tg%-7d  %.2f ± %.2f t/s\n", o.n_gen, r.tg.mean, r.tg.std);
    const double bpt = static_cast<double>(r.bytes_per_token);
    std::printf(
        "bandwidth  %.2f GB/s read on 2 MiB pages (the weights'), %.2f GB/s on 4 KiB pages; "
        "%.3f GB of weights per token\n",
        r.bandwidth_gb_s, r.bandwidth_4k_gb_s, bpt / 1e9);
    std::printf(
        "roofline   %.1f%% of the bandwidth-bound generation speed (%.2f t/s); "
        "%.1f%% of the 4 KiB-page bound (%.2f t/s)\n",
        r.roofline_pct, r.bandwidth_gb_s * 1e9 / bpt, r.roofline_4k_pct,
        r.bandwidth_4k_gb_s * 1e9 / bpt);
  }
}

int cmd_bench(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "serve") return cmd_bench_serve(argc - 1, argv + 1);
  CLI::App app{
      "Measures prompt processing and generation speed against the memory roofline\n"
      "(`hearth bench serve --help`: load-test a running server)"};
  app.name("bench");
  BenchOptions o;
  app.add_option("-m,--model", o.model, "GGUF model file")->required();
  app.add_option("-p,--n-prompt", o.n_prompt, "prompt tokens per repetition")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-n,--n-gen", o.n_gen, "generated tokens per repetition")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-r,--repetitions", o.reps, "repetitions")->check(CLI::PositiveNumber);
  app.add_option("-t,--threads", o.threads, "threads (0: automatic)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-o,--output", o.output, "text, json or csv");
  app.add_option("--bw-mib", o.bw_mib, "buffer for the bandwidth measurement, MiB")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "seed of the random token ids");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (o.output != "text" && o.output != "json" && o.output != "csv")
    return fail("bench",
                invalid_argument("unknown output format '", o.output, "' (text, json, csv)"));
  if (o.n_prompt == 0 && o.n_gen == 0)
    return fail("bench", invalid_argument("nothing to measure: -p and -n are both 0"));
  auto r = bench(o);
  if (!r.ok()) return fail("bench", r.status());
  print_result(*r, o);
  return 0;
}

}  // namespace

HEARTH_COMMAND("bench", "measure prompt and generation tokens/s against the memory roofline", 85,
               cmd_bench);

}  // namespace hearth::tools
