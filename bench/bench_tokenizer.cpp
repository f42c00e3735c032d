// Tokenizer throughput (MB/s of input text) on ~5 MB of English: the held-out Brown corpus text
// (../shared/testdata/brown-val.txt) repeated. SPM with the Llama 2 vocabulary, byte-level BPE
// with the GPT-2 vocabulary under the gpt-2, llama3 and qwen2 pre-tokenizers, and decoding.
//
//   ./build/hearth_microbench --benchmark_filter=Tokenizer
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace {

using hearth::tokenizer::Tokenizer;
using hearth::tokenizer::Vocab;

// $HEARTH_TESTDATA, or ../shared/testdata seen from the repository or from build/.
const std::string& testdata_dir() {
  static const std::string dir = [] {
    if (const char* env = std::getenv("HEARTH_TESTDATA")) return std::string(env) + "/";
    for (const char* candidate : {"../shared/testdata", "../../shared/testdata"}) {
      if (std::filesystem::is_directory(candidate)) return std::string(candidate) + "/";
    }
    return std::string("../shared/testdata/");
  }();
  return dir;
}

// ~5 MB of English text, or "" when the test data is absent.
const std::string& english_text() {
  static const std::string text = [] {
    std::ifstream in(testdata_dir() + "brown-val.txt", std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string one = buffer.str();
    std::string out;
    while (!one.empty() && out.size() < 5'000'000) out += one;
    return out;
  }();
  return text;
}

// The tokenizer of a vocabulary file, optionally with another BPE pre-tokenizer.
const Tokenizer* load(const std::string& relative, const std::string& pre = "") {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  const std::string key = relative + "|" + pre;
  if (auto it = cache.find(key); it != cache.end()) return it->second.get();
  auto file = hearth::gguf::File::open(testdata_dir() + relative);
  if (!file.ok()) return nullptr;
  auto spec = Vocab::spec_from_gguf(*file);
  if (!spec.ok()) return nullptr;
  if (!pre.empty()) spec->pre = pre;
  auto vocab = Vocab::build(std::move(spec).value());
  if (!vocab.ok()) return nullptr;
  auto tok = Tokenizer::from_vocab(std::move(vocab).value());
  if (!tok.ok()) return nullptr;
  return cache.emplace(key, std::move(tok).value()).first->second.get();
}

void run_encode(benchmark::State& state, const std::string& vocab, const std::string& pre) {
  const Tokenizer* tok = load(vocab, pre);
  const std::string& text = english_text();
  if (tok == nullptr || text.empty()) {
    state.SkipWithError("../shared/testdata not found");
    return;
  }
  size_t n_tokens = 0;
  for (auto _ : state) {
    auto ids = tok->encode(text, true);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
  state.counters["tokens/s"] = benchmark::Counter(
      static_cast<double>(n_tokens) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_TokenizerEncodeSpmLlama(benchmark::State& state) {
  run_encode(state, "vocab/ggml-vocab-llama-spm.gguf", "");
}
void BM_TokenizerEncodeBpeGpt2(benchmark::State& state) {
  run_encode(state, "vocab/ggml-vocab-gpt-2.gguf", "");
}
void BM_TokenizerEncodeBpeGpt2Llama3Pre(benchmark::State& state) {
  run_encode(state, "vocab/ggml-vocab-gpt-2.gguf", "llama-bpe");
}
void BM_TokenizerEncodeBpeQwen2(benchmark::State& state) {
  run_encode(state, "models/rand-qwen2-gpt-2.gguf", "");
}

void BM_TokenizerDecodeSpmLlama(benchmark::State& state) {
  const Tokenizer* tok = load("vocab/ggml-vocab-llama-spm.gguf");
  const std::string& text = english_text();
  if (tok == nullptr || text.empty()) {
    state.SkipWithError("../shared/testdata not found");
    return;
  }
  const auto ids = tok->encode(text, false);
  for (auto _ : state) {
    std::string out = tok->decode(ids);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK(BM_TokenizerEncodeSpmLlama)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_TokenizerEncodeBpeGpt2)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_TokenizerEncodeBpeGpt2Llama3Pre)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_TokenizerEncodeBpeQwen2)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_TokenizerDecodeSpmLlama)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
