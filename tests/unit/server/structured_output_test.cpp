// Structured output over HTTP: response_format json_schema / json_object, Ollama format, the
// grammar field, and 400s naming the unsupported feature or the grammar error. The fake
// tokenizer prints only letters, so the schemas here produce letter-only JSON (true / false).
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace hearth::testing {
namespace {

json chat(const json& extra, int max_tokens = 16) {
  json body = {{"model", "brown-6m"},
               {"messages", {{{"role", "user"}, {"content", "Answer"}}}},
               {"max_tokens", max_tokens},
               {"temperature", 1.0},
               {"seed", 3}};
  for (const auto& [k, v] : extra.items()) body[k] = v;
  return body;
}

TEST(StructuredOutput, OpenAIJsonSchemaReturnsValidJson) {
  TestServer s;
  for (int seed = 0; seed < 5; ++seed) {
    json body =
        chat({{"response_format",
               {{"type", "json_schema"},
                {"json_schema",
                 {{"name", "answer"}, {"strict", true}, {"schema", {{"type", "boolean"}}}}}}},
              {"seed", seed}});
    auto r = s.post("/v1/chat/completions", body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json out = json::parse(r->body);
    const std::string content = out["choices"][0]["message"]["content"];
    json value = json::parse(content, nullptr, false);
    EXPECT_TRUE(value.is_boolean()) << content;
    EXPECT_EQ(out["choices"][0]["finish_reason"], "stop");
  }
}

TEST(StructuredOutput, GrammarFieldOnBothApis) {
  TestServer s;
  auto r = s.post("/v1/completions", {{"model", "brown-6m"},
                                      {"prompt", "x"},
                                      {"max_tokens", 16},
                                      {"grammar", "root ::= \"Hello\" (\"Bye\" | \"Ciao\")"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string text = json::parse(r->body)["choices"][0]["text"];
  EXPECT_TRUE(text == "HelloBye" || text == "HelloCiao") << text;
  auto o = s.post(
      "/api/generate",
      {{"model", "brown-6m"}, {"prompt", "x"}, {"stream", false}, {"format", {{"enum", {true}}}}});
  ASSERT_TRUE(o);
  ASSERT_EQ(o->status, 200) << o->body;
  EXPECT_EQ(json::parse(o->body)["response"], "true");
}

TEST(StructuredOutput, UnsupportedSchemasAndBadGrammarsAre400) {
  TestServer s;
  auto r =
      s.post("/v1/chat/completions",
             chat({{"response_format",
                    {{"type", "json_schema"},
                     {"json_schema",
                      {{"name", "x"}, {"schema", {{"type", "string"}, {"pattern", "^a$"}}}}}}}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("'pattern' is not supported"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("response_format"), std::string::npos) << r->body;
  r = s.post("/v1/chat/completions", chat({{"grammar", "root ::= undefined-rule"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("line 1, column 10"), std::string::npos) << r->body;
  r = s.post("/v1/chat/completions", chat({{"response_format", {{"type", "xml"}}}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = s.post("/api/chat", {{"model", "brown-6m"},
                           {"messages", {{{"role", "user"}, {"content", "x"}}}},
                           {"format", {{"type", "object"}, {"not", {{"type", "null"}}}}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("'not' is not supported"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace hearth::testing
