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
#include <unordered_map>
#include <vector>

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
  std::vector<int32_t> doc;  // (n_doc_tokens) kDocument tokenized, no BOS
};

// A complete output of the schema below, as a model would write it.
const char* const kDocument =
    "{\"name\": \"Ada Lovelace, Countess of Lovelace and the first programmer\", \"age\": 36, "
    "\"email\": \"0f8fad5b-d9cb-469f-a165-70867728950e\", \"tags\": [\"mathematics\", "
    "\"analytical engine\", \"poetry\"], \"score\": 98.25, \"active\": true}";

// Longest-match tokenization over the vocabulary's pieces (the SPM encoder would prefix a space).
std::vector<int32_t> greedy_tokens(const std::vector<std::string>& pieces,
                                   const std::string& text) {
  std::unordered_map<std::string, int32_t> ids;  // piece -> first token with that text
  for (size_t i = 0; i < pieces.size(); ++i)
    if (!pieces[i].empty()) ids.emplace(pieces[i], static_cast<int32_t>(i));
  std::vector<int32_t> out;
  for (size_t pos = 0; pos < text.size();) {
    size_t len = std::min<size_t>(32, text.size() - pos);
    while (len > 1 && !ids.count(text.substr(pos, len))) --len;
    auto it = ids.find(text.substr(pos, len));
    if (it == ids.end()) return {};
    out.push_back(it->second);
    pos += len;
  }
  return out;
}

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
    out->doc = greedy_tokens(pieces, kDocument);
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

// range(0): the prefix; range(1): 1 = the state was seen before (a cached mask), 0 = first visit
// (the trie walk; a fresh constraint per iteration, set up outside the timing).
void BM_GrammarMask(benchmark::State& state) {
  const Setup* s = setup();
  if (!s) {
    state.SkipWithError("ggml-vocab-llama-spm.gguf not found (set HEARTH_TESTDATA)");
    return;
  }
  const std::string prefix = kPrefixes[state.range(0)];
  const bool cached = state.range(1) != 0;
  auto c = grammar::Constraint::create(s->grammar, s->trie);
  if (!c->accept_text(prefix).ok()) {
    state.SkipWithError("prefix does not match the grammar");
    return;
  }
  std::vector<uint8_t> mask;  // (n_vocab)
  if (cached && !c->compute_mask(mask).ok()) state.SkipWithError("mask failed");
  for (auto _ : state) {
    if (!cached) {
      state.PauseTiming();
      c = grammar::Constraint::create(s->grammar, s->trie);
      if (!c->accept_text(prefix).ok()) state.SkipWithError("prefix failed");
      state.ResumeTiming();
    }
    if (!c->compute_mask(mask).ok()) state.SkipWithError("mask failed");
    benchmark::DoNotOptimize(mask.data());
  }
  size_t allowed = 0;
  for (uint8_t m : mask) allowed += m;
  state.SetLabel("'" + prefix + "' allowed=" + std::to_string(allowed) +
                 (cached ? " cached" : " walk"));
}
BENCHMARK(BM_GrammarMask)->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1}})->Unit(benchmark::kMicrosecond);

// A whole structured output token by token (mask + accept per token, a fresh constraint per
// document as per request): the mean time the grammar adds to one decode step.
void BM_GrammarDocument(benchmark::State& state) {
  const Setup* s = setup();
  if (!s) {
    state.SkipWithError("ggml-vocab-llama-spm.gguf not found (set HEARTH_TESTDATA)");
    return;
  }
  std::vector<uint8_t> mask;  // (n_vocab)
  size_t hits = 0, misses = 0;
  for (auto _ : state) {
    auto c = grammar::Constraint::create(s->grammar, s->trie);
    for (size_t i = 0; i < s->doc.size(); ++i) {
      if (!c->compute_mask(mask).ok()) return state.SkipWithError("mask failed");
      if (!mask[static_cast<size_t>(s->doc[i])] || !c->accept_token(s->doc[i]).ok())
        return state.SkipWithError("a document token does not fit the grammar");
    }
    hits = c->mask_cache_hits();
    misses = c->mask_cache_misses();
  }
  state.counters["us_per_token"] =
      benchmark::Counter(static_cast<double>(state.iterations() * s->doc.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(std::to_string(s->doc.size()) + " tokens, " + std::to_string(hits) +
                 " cached masks, " + std::to_string(misses) + " walks");
}
BENCHMARK(BM_GrammarDocument)->Unit(benchmark::kMillisecond);

}  // namespace
