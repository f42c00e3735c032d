// `hearth synth --preset NAME --type TYPE -o FILE [--seed S] [--vocab FILE] [-t THREADS]
//  [--layers N] [--zeros]`:
// a random-weight GGUF model with the exact tensor shapes of a published one, for benchmarks.
//
// The tensor list and the per-tensor types of a quantization scheme (Q4_K_M's Q6_K exceptions)
// come from src/fit (layout_tensors, apply_scheme); the vocabulary (tokenizer.ggml.* keys) is
// copied from a vocabulary-only GGUF of ../shared/testdata/vocab, and the vocabulary size is that
// file's. Weights are gaussian (std 0.02, like trained weights), norms 1, biases 0; every row gets
// its own generator seeded from (seed, tensor, row), so the file is the same whatever the thread
// count. Quantization uses the reference quantizers (quant::TypeTraits::from_float), rows split
// over a ThreadPool. Memory: the gguf::Writer holds every tensor until it writes the file, so
// synthesizing needs about the output file's size in RAM (~4 GB for a 7B Q4_K_M).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli_util.h"
#include "command.h"
#include "core/fp16.h"
#include "core/thread_pool.h"
#include "fit/quant_scheme.h"
#include "fit/shape.h"
#include "gguf/gguf.h"
#include "quant/type_traits.h"

namespace hearth::tools {
namespace {

struct SynthPreset {
  const char* id;
  const char* vocab;  // file under testdata/vocab
  const char* arch;
  int64_t n_layer, n_embd, n_head, n_kv_head, head_dim, n_ff, n_ctx;
  double rope_base, rms_eps;
  bool tied, qkv_bias;
};

// Real shapes (Hugging Face config.json of each model); n_vocab comes from the vocab file.
constexpr SynthPreset kPresets[] = {
    {"tiny", "ggml-vocab-llama-spm.gguf", "llama", 2, 256, 4, 2, 64, 768, 256, 1e4, 1e-5, true,
     false},
    {"tinyllama-1.1b", "ggml-vocab-llama-spm.gguf", "llama", 22, 2048, 32, 4, 64, 5632, 2048, 1e4,
     1e-5, false, false},
    {"llama-2-7b", "ggml-vocab-llama-spm.gguf", "llama", 32, 4096, 32, 32, 128, 11008, 4096, 1e4,
     1e-5, false, false},
    {"llama-3.2-1b", "ggml-vocab-gpt-2.gguf", "llama", 16, 2048, 32, 8, 64, 8192, 131072, 5e5,
     1e-5, true, false},
    {"llama-3.2-3b", "ggml-vocab-gpt-2.gguf", "llama", 28, 3072, 24, 8, 128, 8192, 131072, 5e5,
     1e-5, true, false},
    {"llama-3.1-8b", "ggml-vocab-gpt-2.gguf", "llama", 32, 4096, 32, 8, 128, 14336, 131072, 5e5,
     1e-5, false, false},
    {"qwen2.5-0.5b", "ggml-vocab-gpt-2.gguf", "qwen2", 24, 896, 14, 2, 64, 4864, 32768, 1e6, 1e-6,
     true, true},
    {"qwen2.5-7b", "ggml-vocab-gpt-2.gguf", "qwen2", 28, 3584, 28, 4, 128, 18944, 32768, 1e6,
     1e-6, false, true},
    {"mistral-7b", "ggml-vocab-llama-spm.gguf", "llama", 32, 4096, 32, 8, 128, 14336, 32768, 1e6,
     1e-5, false, false},
};

// TYPE -> (scheme name, llama_ftype).
struct SynthType {
  const char* name;
  const char* scheme;
  int64_t file_type;
};
constexpr SynthType kTypes[] = {{"f32", "F32", 0},   {"f16", "F16", 1},
                                {"q8_0", "Q8_0", 7}, {"q4_0", "Q4_0", 2},
                                {"q4_k_m", "Q4_K_M", 15}};

const SynthPreset* find_synth_preset(const std::string& id) {
  for (const SynthPreset& p : kPresets)
    if (id == p.id) return &p;
  return nullptr;
}

const SynthType* find_synth_type(const std::string& name) {
  for (const SynthType& t : kTypes)
    if (name == t.name) return &t;
  return nullptr;
}

std::string preset_list() {
  std::string s;
  for (const SynthPreset& p : kPresets) s += str_cat(s.empty() ? "" : ", ", p.id);
  return s;
}

// $HEARTH_TESTDATA, else ../../shared/testdata next to the executable (build/hearth in a worktree
// of /work), else ../shared/testdata from the working directory.
std::string default_vocab_path(const char* file) {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("HEARTH_TESTDATA")) dirs.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path() / "../../shared/testdata");
  dirs.emplace_back("../shared/testdata");
  for (const fs::path& d : dirs) {
    fs::path p = d / "vocab" / file;
    if (fs::is_regular_file(p, ec)) return p.lexically_normal().string();
  }
  return (fs::path("../shared/testdata/vocab") / file).string();
}

fit::ModelShape to_shape(const SynthPreset& p, int64_t n_vocab) {
  fit::ModelShape s;
  s.name = p.id;
  s.arch = p.arch;
  s.n_layer = p.n_layer;
  s.n_embd = p.n_embd;
  s.n_head = p.n_head;
  s.n_kv_head = p.n_kv_head;
  s.head_dim = p.head_dim;
  s.n_ff = p.n_ff;
  s.n_vocab = n_vocab;
  s.n_ctx_train = p.n_ctx;
  s.tied_embeddings = p.tied;
  s.qkv_bias = p.qkv_bias;
  return s;
}

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Gaussian values (Box-Muller) from a per-row generator.
void fill_gaussian(float* dst, int64_t n, uint64_t state, float std_dev) {
  for (int64_t i = 0; i < n; i += 2) {
    double u1 = (static_cast<double>(splitmix64(state) >> 11) + 1.0) * 0x1.0p-53;
    double u2 = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
    double r = std::sqrt(-2.0 * std::log(u1)) * std_dev;
    dst[i] = static_cast<float>(r * std::cos(6.283185307179586 * u2));
    if (i + 1 < n) dst[i + 1] = static_cast<float>(r * std::sin(6.283185307179586 * u2));
  }
}

bool is_norm(const std::string& name) { return name.find("norm") != std::string::npos; }
bool is_bias(const std::string& name) { return name.find(".bias") != std::string::npos; }

// One tensor's bytes: random rows converted to its type, rows split over the pool.
Result<std::vector<uint8_t>> make_tensor(ThreadPool& pool, const fit::TensorDesc& t,
                                         uint64_t seed, uint64_t index, bool zeros) {
  const quant::TypeTraits* traits = quant::find_type_traits(t.ggml_type);
  if (traits == nullptr) return invalid_argument(t.name, ": unknown type ", t.ggml_type);
  const int64_t n_cols = t.ne[0], n_rows = t.n_elements() / t.ne[0];
  HEARTH_ASSIGN_OR_RETURN(size_t row_bytes, quant::row_size(t.ggml_type, n_cols));
  const bool plain = t.ggml_type == 0 || t.ggml_type == 1;
  if (!plain && (traits->from_float == nullptr || n_cols % traits->block_size != 0))
    return invalid_argument(t.name, ": cannot produce type ", traits->name, " for rows of ",
                            n_cols);
  std::vector<uint8_t> out(row_bytes * n_rows);
  const float fixed = is_norm(t.name) ? 1.0f : 0.0f;
  const bool random = !is_norm(t.name) && !is_bias(t.name);
  if (zeros && random) return out;  // all-zero blocks (scale 0) are valid in every type
  pool.parallel_for("synth", static_cast<size_t>(n_rows), [&](size_t begin, size_t end, int) {
    std::vector<float> row(n_cols);
    for (size_t r = begin; r < end; ++r) {
      uint64_t state = seed ^ (index * 0xD1B54A32D192ED03ull) ^ (r * 0x8CB92BA72F3D8DD7ull);
      if (random) fill_gaussian(row.data(), n_cols, splitmix64(state), 0.02f);
      else std::fill(row.begin(), row.end(), fixed);
      uint8_t* dst = out.data() + r * row_bytes;
      if (t.ggml_type == 0) {
        std::memcpy(dst, row.data(), row_bytes);
      } else if (t.ggml_type == 1) {
        for (int64_t c = 0; c < n_cols; ++c) {
          fp16_t h = float_to_fp16(row[c]);
          std::memcpy(dst + 2 * c, &h, 2);
        }
      } else {
        traits->from_float(row.data(), dst, n_cols, nullptr);
      }
    }
  }, 16);
  return out;
}

void set_hparams(gguf::Writer& w, const SynthPreset& p, const SynthType& type) {
  const std::string a = p.arch;
  w.set("general.architecture", gguf::Value::str(a));
  w.set("general.name", gguf::Value::str(str_cat("synth-", p.id, "-", type.name)));
  w.set("general.file_type", gguf::Value::u32(static_cast<uint32_t>(type.file_type)));
  w.set("general.quantization_version", gguf::Value::u32(2));
  w.set(a + ".context_length", gguf::Value::u32(static_cast<uint32_t>(p.n_ctx)));
  w.set(a + ".embedding_length", gguf::Value::u32(static_cast<uint32_t>(p.n_embd)));
  w.set(a + ".block_count", gguf::Value::u32(static_cast<uint32_t>(p.n_layer)));
  w.set(a + ".feed_forward_length", gguf::Value::u32(static_cast<uint32_t>(p.n_ff)));
  w.set(a + ".attention.head_count", gguf::Value::u32(static_cast<uint32_t>(p.n_head)));
  w.set(a + ".attention.head_count_kv", gguf::Value::u32(static_cast<uint32_t>(p.n_kv_head)));
  w.set(a + ".attention.layer_norm_rms_epsilon", gguf::Value::f32(static_cast<float>(p.rms_eps)));
  w.set(a + ".rope.freq_base", gguf::Value::f32(static_cast<float>(p.rope_base)));
  w.set(a + ".rope.dimension_count", gguf::Value::u32(static_cast<uint32_t>(p.head_dim)));
  if (p.head_dim * p.n_head != p.n_embd) {
    w.set(a + ".attention.key_length", gguf::Value::u32(static_cast<uint32_t>(p.head_dim)));
    w.set(a + ".attention.value_length", gguf::Value::u32(static_cast<uint32_t>(p.head_dim)));
  }
}

// Copies tokenizer.ggml.* of the vocab file; returns the vocabulary size.
Result<int64_t> copy_vocab(gguf::Writer& w, const std::string& vocab_path) {
  HEARTH_ASSIGN_OR_RETURN(gguf::File vocab, gguf::File::open(vocab_path));
  HEARTH_ASSIGN_OR_RETURN(const gguf::Array* tokens, vocab.get_array("tokenizer.ggml.tokens"));
  for (const gguf::KeyValue& kv : vocab.metadata())
    if (kv.key.rfind("tokenizer.", 0) == 0) w.set(kv.key, kv.value);
  return static_cast<int64_t>(tokens->items.size());
}

struct SynthOptions {
  std::string preset, type, out, vocab;
  uint64_t seed = 42;
  int threads = 0;
  int n_layer = 0;  // 0: the preset's
  bool zeros = false;
};

Status synth(const SynthOptions& o) {
  const SynthPreset* found = find_synth_preset(o.preset);
  if (found == nullptr)
    return invalid_argument("unknown preset '", o.preset, "' (known: ", preset_list(), ")");
  SynthPreset layers_override = *found;  // the preset's widths, maybe fewer layers
  if (o.n_layer > 0) layers_override.n_layer = o.n_layer;
  const SynthPreset* preset = &layers_override;
  const SynthType* type = find_synth_type(o.type);
  if (type == nullptr)
    return invalid_argument("unknown type '", o.type, "' (known: f32, f16, q8_0, q4_0, q4_k_m)");
  gguf::Writer w;
  set_hparams(w, *preset, *type);
  const std::string vocab = o.vocab.empty() ? default_vocab_path(preset->vocab) : o.vocab;
  auto n_vocab = copy_vocab(w, vocab);
  if (!n_vocab.ok()) return n_vocab.status().with_context("reading the vocabulary " + vocab);
  const fit::ModelShape shape = to_shape(*preset, *n_vocab);
  HEARTH_ASSIGN_OR_RETURN(std::vector<fit::TensorDesc> layout, fit::layout_tensors(shape));
  HEARTH_ASSIGN_OR_RETURN(const fit::QuantScheme* scheme, fit::find_scheme(type->scheme));
  HEARTH_ASSIGN_OR_RETURN(layout, fit::apply_scheme(*scheme, shape, std::move(layout)));
  ThreadPool pool(o.threads);
  uint64_t total = 0;
  for (size_t i = 0; i < layout.size(); ++i) {
    const fit::TensorDesc& t = layout[i];
    HEARTH_ASSIGN_OR_RETURN(std::vector<uint8_t> data, make_tensor(pool, t, o.seed, i, o.zeros));
    total += data.size();
    HEARTH_RETURN_IF_ERROR(w.add_tensor_copy(
        t.name, t.ggml_type, std::span<const int64_t>(t.ne, t.n_dims), std::move(data)));
  }
  HEARTH_RETURN_IF_ERROR(w.write_file(o.out));
  std::fprintf(stderr, "hearth synth: %s: %s %s, %zu tensors, %.1f MiB of weights, vocab %lld from %s\n",
               o.out.c_str(), preset->id, scheme->name, layout.size(), total / 1048576.0,
               static_cast<long long>(*n_vocab), vocab.c_str());
  return Status::Ok();
}

int cmd_synth(int argc, char** argv) {
  CLI::App app{str_cat(
      "Writes a random-weight GGUF model with the shapes of a published one (benchmarks).\n"
      "Presets: ", preset_list(), ".\n"
      "Vocabularies: the Llama 2 SentencePiece vocabulary (ggml-vocab-llama-spm.gguf, 32000) for\n"
      "tiny, tinyllama, llama-2 and mistral (Mistral's own is 32768); the GPT-2 BPE vocabulary\n"
      "(ggml-vocab-gpt-2.gguf, 50257) stands in for the Llama 3 and Qwen2.5 vocabularies, so those\n"
      "models' embedding and output have the GPT-2 vocabulary size.")};
  app.name("synth");
  SynthOptions o;
  app.add_option("--preset", o.preset, "model shape")->required();
  app.add_option("--type", o.type, "f32, f16, q8_0, q4_0 or q4_k_m")->required();
  app.add_option("-o,--output", o.out, "output GGUF file")->required();
  app.add_option("--seed", o.seed, "random seed (default 42)");
  app.add_option("--vocab", o.vocab, "vocabulary GGUF (default: the preset's from testdata/vocab)");
  app.add_option("-t,--threads", o.threads, "threads (default: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--layers", o.n_layer,
                 "keep the preset's widths but only this many layers (0: all; fast test models)")
      ->check(CLI::Range(0, 1024));
  app.add_flag("--zeros", o.zeros,
               "zero weights (norms 1): the sizes without the cost of random values (memory tests)");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  Status s = synth(o);
  return s.ok() ? 0 : fail("synth", s);
}

}  // namespace

HEARTH_COMMAND("synth", "write a random-weight model with a real model's shapes", 80, cmd_synth);

}  // namespace hearth::tools
