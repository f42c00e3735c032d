// Property test (issue 9): a random-weight model sampled at temperature 1 through the engine's
// sample_token with a JSON-schema grammar attached; every generation must finish, parse as JSON
// and validate against its schema. 200 generations per schema (20 under sanitizers), the schemas
// in parallel threads.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <iterator>
#include <thread>

#include "core/thread_pool.h"
#include "engine/engine.h"
#include "gguf/gguf.h"
#include "grammar/constraint.h"
#include "grammar/json_schema.h"
#include "model/model.h"
#include "schema_validator.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"

namespace hearth::grammar {
namespace {

using nlohmann::json;

// Every schema bounds its output length (maxLength, maxItems, bounded numbers), so a generation
// always completes within kMaxTokens (each token adds at least one byte).
const char* const kSchemas[] = {
    // nested objects, enums, booleans, nullable
    R"({"type":"object","properties":{
        "user":{"type":"object","properties":{
            "name":{"type":"string","maxLength":6},
            "role":{"enum":["admin","user","guest"]},
            "active":{"type":"boolean"}},
          "required":["name","role","active"],"additionalProperties":false},
        "note":{"type":["string","null"],"maxLength":4}},
      "required":["user","note"],"additionalProperties":false})",
    // arrays with min/max items, integers with bounds
    R"({"type":"object","properties":{
        "scores":{"type":"array","items":{"type":"integer","minimum":-5,"maximum":300},
                  "minItems":1,"maxItems":4},
        "flags":{"type":"array","items":{"type":"boolean"},"maxItems":2}},
      "required":["scores","flags"],"additionalProperties":false})",
    // numbers, optional properties, anyOf
    R"({"type":"object","properties":{
        "x":{"type":"number"},"y":{"type":"number","minimum":0},
        "z":{"anyOf":[{"type":"integer"},{"type":"null"}]}},
      "required":["x"],"additionalProperties":false})",
    // strings with lengths, formats, $ref
    R"({"$defs":{"tag":{"type":"string","minLength":1,"maxLength":3}},
      "type":"object","properties":{
        "id":{"type":"string","format":"uuid"},
        "day":{"type":"string","format":"date"},
        "tags":{"type":"array","items":{"$ref":"#/$defs/tag"},"maxItems":3}},
      "required":["id","day","tags"],"additionalProperties":false})",
    // top-level array of enums / consts of any value
    R"({"type":"array","items":{"enum":[1,"two",null,{"k":[true]}]},"minItems":2,"maxItems":5})",
};
constexpr int kMaxTokens = 400;

struct Fixture {
  const tokenizer::Tokenizer* tok;
  const model::Model* model;
  std::shared_ptr<const TokenTrie> trie;
  std::vector<std::string> pieces;  // (n_vocab)
};

// n_runs generations under one schema on a session of its own; "" or what went wrong.
std::string run_schema(const Fixture& f, const char* schema_text, int n_runs) {
  const int n_vocab = static_cast<int>(f.model->config().n_vocab);
  const json schema = json::parse(schema_text);
  auto g = compile_json_schema(nlohmann::ordered_json::parse(schema_text));
  if (!g.ok()) return g.status().to_string();
  ThreadPool pool(1);
  model::Session session(*f.model, pool, kMaxTokens + 16);
  const std::vector<int32_t> prompt = f.tok->encode("Answer in JSON:", true);
  if (Status st = session.eval(prompt); !st.ok()) return st.to_string();
  const std::vector<float> prompt_logits(session.last_logits().begin(),
                                         session.last_logits().end());  // (n_vocab)
  for (int run = 0; run < n_runs; ++run) {
    engine::Request req;
    req.params.temperature = 1.0f;
    req.params.top_k = 40;  // a full sort of 32k logits per token would dominate the run time
    req.params.top_p = 1.0f;
    req.params.min_p = 0.0f;
    req.rng_state = static_cast<uint64_t>(run) * 7919 + 1;
    req.grammar = Constraint::create(*g, f.trie);
    session.truncate(static_cast<int64_t>(prompt.size()));
    std::vector<float> logits = prompt_logits;  // (n_vocab)
    std::string text;
    for (int step = 0; step < kMaxTokens; ++step) {
      Result<int32_t> t = engine::sample_token(logits.data(), n_vocab, req);
      if (!t.ok()) return t.status().to_string() + " after '" + text + "'";
      if (f.tok->is_eog(*t)) break;
      text += f.pieces[static_cast<size_t>(*t)];
      req.output.push_back(*t);
      if (req.grammar->must_end()) break;
      const int32_t id = *t;
      if (Status st = session.eval(std::span<const int32_t>(&id, 1)); !st.ok())
        return st.to_string();
      logits.assign(session.last_logits().begin(), session.last_logits().end());
    }
    if (!req.grammar->can_end())
      return "unfinished after " + std::to_string(kMaxTokens) + ": " + text;
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded()) return "not JSON: " + text;
    const std::string err = schema_check::validate(value, schema, schema);
    if (!err.empty()) return err + ": " + text;
  }
  return "";
}

// The schemas run in parallel threads (one session each over the shared read-only model).
TEST(GrammarProperty, RandomModelAlwaysProducesValidJson) {
  HEARTH_REQUIRE_TESTDATA();
  const std::string path = testing::testdata_path("models/rand-llama-llama-spm.gguf");
  auto file = gguf::File::open(path);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  auto model = model::Model::load(path);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  Fixture f{tok->get(), model->get(), nullptr, {}};
  for (int32_t i = 0; i < static_cast<int32_t>((*model)->config().n_vocab); ++i)
    f.pieces.push_back((*tok)->token_to_piece(i));
  f.trie = TokenTrie::build(f.pieces, (*tok)->vocab().eog_ids());
  int n_runs = std::getenv("HEARTH_SANITIZED") ? 20 : 200;
  if (const char* env = std::getenv("HEARTH_GRAMMAR_RUNS")) n_runs = std::atoi(env);
  constexpr size_t kN = std::size(kSchemas);
  std::array<std::string, kN> errors;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kN; ++i)
    threads.emplace_back([&, i] { errors[i] = run_schema(f, kSchemas[i], n_runs); });
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(errors[i], "") << "schema " << kSchemas[i];
}

}  // namespace
}  // namespace hearth::grammar
