// n > 1 choices and logprobs / top_logprobs on the OpenAI routes, over the fake model.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "server_fixture.h"

namespace hearth::testing {
namespace {

json chat(int n, bool stream, int max_tokens = 6) {
  return {{"messages", {{{"role", "user"}, {"content", "Hi"}}}},
          {"max_tokens", max_tokens},
          {"temperature", 1.0},
          {"seed", 11},
          {"n", n},
          {"stream", stream}};
}

TEST(Choices, NonStreamingGivesNIndexedChoices) {
  TestServer s;
  auto r = s.post("/v1/chat/completions", chat(3, false));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  ASSERT_EQ(j["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j["choices"][i]["index"], i);
    EXPECT_EQ(j["choices"][i]["message"]["content"].get<std::string>().size(), 6u);
  }
  EXPECT_EQ(j["usage"]["completion_tokens"], 18);
  // Seeded: the same request gives the same choices again.
  auto again = json::parse(s.post("/v1/chat/completions", chat(3, false))->body);
  EXPECT_EQ(again["choices"], j["choices"]);
  // n = 1 with seed 11 + i gives choice i (each choice is an independent seeded request).
  json one = chat(1, false);
  one["seed"] = 12;
  EXPECT_EQ(json::parse(s.post("/v1/chat/completions", one)->body)["choices"][0]["message"],
            j["choices"][1]["message"]);
}

TEST(Choices, StreamingInterleavesByIndexAndFinishesEach) {
  TestServer s;
  json body = chat(2, true);
  body["stream_options"] = {{"include_usage", true}};
  auto r = s.post("/v1/chat/completions", body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  std::string text[2];
  int finishes[2] = {0, 0}, roles[2] = {0, 0};
  json usage;
  for (const std::string& f : sse_data(r->body)) {
    if (f == "[DONE]") continue;
    json j = json::parse(f);
    if (j.contains("usage") && j["choices"].empty()) {
      usage = j["usage"];
      continue;
    }
    int i = j["choices"][0]["index"];
    ASSERT_TRUE(i == 0 || i == 1);
    const json& d = j["choices"][0]["delta"];
    if (d.contains("role")) ++roles[i];
    if (d.contains("content")) text[i] += d["content"].get<std::string>();
    if (!j["choices"][0]["finish_reason"].is_null()) ++finishes[i];
  }
  json whole = json::parse(s.post("/v1/chat/completions", chat(2, false))->body);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(roles[i], 1);
    EXPECT_EQ(finishes[i], 1);
    EXPECT_EQ(text[i], whole["choices"][i]["message"]["content"]);
  }
  EXPECT_EQ(usage["completion_tokens"], 12);
}

TEST(Choices, NIsCapped) {
  TestServer s;
  auto r = s.post("/v1/chat/completions", chat(17, false));
  ASSERT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["param"], "n");
  EXPECT_EQ(s.post("/v1/chat/completions", chat(0, false))->status, 400);
}

TEST(Logprobs, LogSoftmaxOfRawLogits) {
  const float logits[4] = {0.0f, std::log(2.0f), std::log(4.0f),
                           std::log(1.0f)};  // p = 1,2,4,1 / 8
  engine::TokenLogprob lp = engine::token_logprobs(logits, 4, 1, 2);
  EXPECT_EQ(lp.token, 1);
  EXPECT_NEAR(lp.logprob, std::log(2.0 / 8), 1e-6);
  ASSERT_EQ(lp.top.size(), 2u);
  EXPECT_EQ(lp.top[0].first, 2);
  EXPECT_NEAR(lp.top[0].second, std::log(4.0 / 8), 1e-6);
  EXPECT_EQ(lp.top[1].first, 1);
  EXPECT_EQ(engine::token_logprobs(logits, 4, 3, 0).top.size(), 0u);
}

TEST(Logprobs, ChatShapeAndValues) {
  TestServer s;
  json body = chat(1, false, 5);
  body["temperature"] = 0;
  body["logprobs"] = true;
  body["top_logprobs"] = 3;
  auto r = s.post("/v1/chat/completions", body);
  ASSERT_EQ(r->status, 200) << r->body;
  json c = json::parse(r->body)["choices"][0];
  const json& content = c["logprobs"]["content"];
  ASSERT_EQ(content.size(), 5u);
  std::string joined;
  for (const json& t : content) {
    joined += t["token"].get<std::string>();
    EXPECT_LE(t["logprob"].get<double>(), 0.0);
    ASSERT_EQ(t["top_logprobs"].size(), 3u);
    EXPECT_EQ(t["bytes"].size(), t["token"].get<std::string>().size());
    for (size_t k = 1; k < 3; ++k)
      EXPECT_GE(t["top_logprobs"][k - 1]["logprob"].get<double>(),
                t["top_logprobs"][k]["logprob"].get<double>());
    // Greedy: the sampled token is the most likely one.
    EXPECT_EQ(t["top_logprobs"][0]["token"], t["token"]);
    EXPECT_DOUBLE_EQ(t["top_logprobs"][0]["logprob"].get<double>(), t["logprob"].get<double>());
  }
  EXPECT_EQ(joined, c["message"]["content"]);
  // Streaming carries the same entries, spread over the chunks.
  body["stream"] = true;
  json streamed = json::array();
  for (const std::string& f : sse_data(s.post("/v1/chat/completions", body)->body)) {
    if (f == "[DONE]") continue;
    json j = json::parse(f);
    if (!j["choices"].empty() && j["choices"][0]["logprobs"].is_object())
      for (const json& t : j["choices"][0]["logprobs"]["content"]) streamed.push_back(t);
  }
  EXPECT_EQ(streamed, content);
}

TEST(Logprobs, LegacyCompletionsShape) {
  TestServer s;
  json body = {{"prompt", "abc"}, {"max_tokens", 4}, {"temperature", 0}, {"logprobs", 2}};
  auto r = s.post("/v1/completions", body);
  ASSERT_EQ(r->status, 200) << r->body;
  json c = json::parse(r->body)["choices"][0];
  const json& lp = c["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 4u);
  ASSERT_EQ(lp["token_logprobs"].size(), 4u);
  ASSERT_EQ(lp["top_logprobs"].size(), 4u);
  std::string joined;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(lp["text_offset"][i], joined.size());
    joined += lp["tokens"][i].get<std::string>();
    EXPECT_LE(lp["top_logprobs"][i].size(), 2u);
    EXPECT_GE(lp["top_logprobs"][i].size(), 1u);
  }
  EXPECT_EQ(joined, c["text"]);
}

TEST(Logprobs, BadFields) {
  TestServer s;
  json body = chat(1, false);
  body["top_logprobs"] = 2;  // without logprobs: true
  auto r = s.post("/v1/chat/completions", body);
  ASSERT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["param"], "top_logprobs");
  body["logprobs"] = true;
  body["top_logprobs"] = 21;
  EXPECT_EQ(s.post("/v1/chat/completions", body)->status, 400);
  EXPECT_EQ(s.post("/v1/completions", json{{"prompt", "x"}, {"logprobs", true}})->status, 400);
}

TEST(Templates, RaisedTemplateErrorIs400) {
  server::ServerConfig cfg;
  cfg.model.chat_template =
      "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}"
      "{% endif %}{{ messages[0].content }}";
  TestServer s(cfg);
  json body = {{"messages", {{{"role", "system"}, {"content", "S"}}}}, {"max_tokens", 2}};
  auto r = s.post("/v1/chat/completions", body);
  ASSERT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("System role not supported"), std::string::npos) << r->body;
  auto o = s.post("/api/chat",
                  json{{"model", "brown-6m"}, {"messages", body["messages"]}, {"stream", false}});
  ASSERT_EQ(o->status, 400);
  EXPECT_NE(o->body.find("System role not supported"), std::string::npos);
  body["messages"][0]["role"] = "user";
  EXPECT_EQ(s.post("/v1/chat/completions", body)->status, 200);
}

}  // namespace
}  // namespace hearth::testing
