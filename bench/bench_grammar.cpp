// Grammar mask cost per token on the 32k Llama 2 vocabulary (ggml-vocab-llama-spm.gguf) for a
// JSON-schema grammar, at several points of an output: the time the engine adds to each decode
// step of a structured-output request.
//
//   ./build/hearth_microbench --benchmark_filter=GrammarMask
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "gguf/gguf.h"
#include "grammar/constraint.h"
#include "grammar/json_schema.h"
#include "tokenizer/tokenizer.h"

namespace {

using namespace hearth;

std::string vocab_path() {
  if (const char* env = std::getenv("HEARTH_TESTDATA"))
    return std::string(env) + "/vocab/ggml-vocab-llama-spm.gguf";
  for (const char* candidate : {"../shared/testdata", "../../shared/testdata"})
    if (std::filesystem::is_directory(candidate))
      return std::string(candidate) + "/vocab/ggml-vocab-llama-spm.gguf";
  return "../shared/testdata/vocab/ggml-vocab-llama-spm.gguf";
}

struct Setup {
  std::shared_ptr<const grammar::TokenTrie> trie;
  std::shared_ptr<const grammar::Grammar> grammar;
};

const Setup* setup() {
  static const std::unique_ptr<Setup> s = []() -> std::unique_ptr<Setup> {
    auto file = gguf::File::open(vocab_path());
    if (!file.ok()) return nullptr;
    auto tok = tokenizer::Tokenizer::from_gguf(*file);
    if (!tok.ok()) return nullptr;
    std::vector<std::string> pieces;  // (n_vocab)
    for (int32_t i = 0; i < (*tok)->n_vocab(); ++i) pieces.push_back((*tok)->token_to_piece(i));
    auto g = grammar::compile_json_schema(nlohmann::ordered_json::parse(R"({
      "type":"object","properties":{
        "name":{"type":"string"},"age":{"type":"integer","minimum":0,"maximum":150},
        "email":{"type":"string","format":"uuid"},
        "tags":{"type":"array","items":{"type":"string"},"maxItems":5},
        "score":{"type":"number"},"active":{"type":"boolean"}},
      "required":["name","age","tags","active"],"additionalProperties":false})"));
    if (!g.ok()) return nullptr;
    auto out = std::make_unique<Setup>();
    out->trie = grammar::TokenTrie::build(pieces, (*tok)->vocab().eog_ids());
    out->grammar = *g;
    return out;
  }();
  return s.get();
}

// Output prefixes: structure, inside a string, inside a number, between properties.
const char* const kPrefixes[] = {
    "",
    "{\"name\": \"Ada Lovel",
    "{\"name\": \"Ada\", \"age\": 3",
    "{\"name\": \"Ada\", \"age\": 36, \"tags\": [\"x\", ",
    "{\"name\": \"Ada\", \"age\": 36, \"tags\": [], \"score\": 1.5",
};

void BM_GrammarMask(benchmark::State& state) {
  const Setup* s = setup();
  if (!s) {
    state.SkipWithError("ggml-vocab-llama-spm.gguf not found (set HEARTH_TESTDATA)");
    return;
  }
  const std::string prefix = kPrefixes[state.range(0)];
  auto c = grammar::Constraint::create(s->grammar, s->trie);
  if (!c->accept_text(prefix).ok()) {
    state.SkipWithError("prefix does not match the grammar");
    return;
  }
  std::vector<uint8_t> mask;  // (n_vocab)
  size_t allowed = 0;
  for (auto _ : state) {
    if (!c->compute_mask(mask).ok()) state.SkipWithError("mask failed");
    benchmark::DoNotOptimize(mask.data());
  }
  for (uint8_t m : mask) allowed += m;
  state.SetLabel("'" + prefix + "' allowed=" + std::to_string(allowed));
}
BENCHMARK(BM_GrammarMask)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

}  // namespace
