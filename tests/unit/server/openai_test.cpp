#include <gtest/gtest.h>

#include <atomic>

#include "server_fixture.h"

namespace hearth::testing {
namespace {

json chat_body(bool stream, int max_tokens = 8) {
  return {{"model", "brown-6m"},
          {"messages", {{{"role", "user"}, {"content", "Hello there"}}}},
          {"max_tokens", max_tokens},
          {"temperature", 0},
          {"stream", stream}};
}

TEST(Server, HealthIs503WhileLoading) {
  TestServer s({}, 256, 256, /*ready=*/false);
  auto r = s.client().Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  auto gen = s.post("/v1/chat/completions", chat_body(false));
  ASSERT_TRUE(gen);
  EXPECT_EQ(gen->status, 503);
  s.srv->set_ready(true);
  EXPECT_EQ(s.client().Get("/health")->status, 200);
}

TEST(Server, ChatCompletionNonStreaming) {
  TestServer s;
  auto r = s.post("/v1/chat/completions", chat_body(false));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "brown-6m");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"].get<std::string>().size(), 8u);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 8);
  // chatml prompt + BOS: token count follows the rendered text.
  std::string prompt = "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n";
  EXPECT_EQ(j["usage"]["prompt_tokens"], static_cast<int>(prompt.size()) + 1);
}

TEST(Server, ChatCompletionStreamingFramesLikeOpenAI) {
  TestServer s;
  json body = chat_body(true);
  body["stream_options"] = {{"include_usage", true}};
  auto r = s.post("/v1/chat/completions", body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  auto frames = sse_data(r->body);
  ASSERT_GE(frames.size(), 4u);
  EXPECT_EQ(frames.back(), "[DONE]");
  json first = json::parse(frames[0]);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  std::string content;
  size_t i = 1;
  for (; i + 3 < frames.size() + 1 && i < frames.size() - 3; ++i) {
    json c = json::parse(frames[i]);
    EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
    content += c["choices"][0]["delta"]["content"].get<std::string>();
  }
  json fin = json::parse(frames[frames.size() - 3]);
  EXPECT_EQ(fin["choices"][0]["finish_reason"], "length");
  json usage = json::parse(frames[frames.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 8);
  // Same request without streaming gives the same text (greedy).
  auto plain = json::parse(s.post("/v1/chat/completions", chat_body(false))->body);
  EXPECT_EQ(content, plain["choices"][0]["message"]["content"]);
}

TEST(Server, CompletionsEndpointAndModels) {
  TestServer s;
  auto r =
      s.post("/v1/completions",
             {{"model", "brown-6m"}, {"prompt", "abc"}, {"max_tokens", 3}, {"temperature", 0}});
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"].get<std::string>().size(), 3u);
  auto st = s.post("/v1/completions",
                   {{"prompt", "abc"}, {"max_tokens", 2}, {"stream", true}, {"temperature", 0}});
  auto frames = sse_data(st->body);
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(json::parse(frames[0])["object"], "text_completion");
  EXPECT_EQ(frames.back(), "[DONE]");
  auto m = json::parse(s.client().Get("/v1/models")->body);
  EXPECT_EQ(m["data"][0]["id"], "brown-6m");
}

TEST(Server, UserErrorsAreOpenAIErrorObjects) {
  TestServer s;
  auto bad = s.client().Post("/v1/chat/completions", "{\"model\": ", "application/json");
  ASSERT_EQ(bad->status, 400);
  EXPECT_NE(json::parse(bad->body)["error"]["message"].get<std::string>().find("invalid JSON"),
            std::string::npos);
  json b = chat_body(false);
  b["temperature"] = "hot";
  auto t = s.post("/v1/chat/completions", b);
  ASSERT_EQ(t->status, 400);
  EXPECT_EQ(json::parse(t->body)["error"]["param"], "temperature");
  b = chat_body(false);
  b["model"] = "gpt-5";
  auto m = s.post("/v1/chat/completions", b);
  ASSERT_EQ(m->status, 404);
  EXPECT_NE(m->body.find("gpt-5"), std::string::npos);
  b = chat_body(false);
  b["messages"] = json::array();
  EXPECT_EQ(s.post("/v1/chat/completions", b)->status, 400);
  b = chat_body(false);
  b["messages"][0]["content"] = std::string(400, 'x');
  auto longp = s.post("/v1/chat/completions", b);
  ASSERT_EQ(longp->status, 400);
  std::string msg = json::parse(longp->body)["error"]["message"];
  EXPECT_NE(msg.find("256"), std::string::npos) << msg;
  std::string rendered =
      "<|im_start|>user\n" + std::string(400, 'x') + "<|im_end|>\n<|im_start|>assistant\n";
  EXPECT_NE(msg.find(std::to_string(rendered.size() + 1)), std::string::npos) << msg;  // + BOS
  auto nf = s.client().Get("/v1/nothing");
  EXPECT_EQ(nf->status, 404);
  EXPECT_TRUE(json::parse(nf->body).contains("error"));
  // The server still serves.
  EXPECT_EQ(s.post("/v1/chat/completions", chat_body(false))->status, 200);
}

TEST(Server, ApiKeyRequired) {
  server::ServerConfig cfg;
  cfg.api_key = "sekrit";
  TestServer s(cfg);
  auto none = s.post("/v1/chat/completions", chat_body(false));
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["type"], "authentication_error");
  auto wrong =
      s.post("/v1/chat/completions", chat_body(false), {{"Authorization", "Bearer sekriT"}});
  EXPECT_EQ(wrong->status, 401);
  auto ok = s.post("/v1/chat/completions", chat_body(false), {{"Authorization", "Bearer sekrit"}});
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(s.client().Get("/health")->status, 200);  // health stays open
  EXPECT_EQ(s.client().Get("/api/tags")->status, 401);
}

TEST(Server, FullQueueIs503WithRetryAfter) {
  TestServer s({}, /*max_waiting=*/0);
  auto r = s.post("/v1/chat/completions", chat_body(false));
  ASSERT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "2");
  EXPECT_NE(r->body.find("queue is full"), std::string::npos);
}

TEST(Server, DrainingRejectsNewWork) {
  TestServer s;
  s.srv->set_draining(true);
  auto r = s.post("/v1/chat/completions", chat_body(false));
  ASSERT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("shutting down"), std::string::npos);
  EXPECT_EQ(s.client().Get("/v1/models")->status, 200);
}

TEST(Server, BodyLimit) {
  server::ServerConfig cfg;
  cfg.max_body_bytes = 1000;
  TestServer s(cfg);
  json b = chat_body(false);
  b["messages"][0]["content"] = std::string(5000, 'x');
  auto r = s.post("/v1/chat/completions", b);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

// 64 concurrent streams plus malformed requests in between: every stream completes.
TEST(Server, SixtyFourConcurrentStreamsAndBadNeighbours) {
  TestServer s;
  std::atomic<int> complete{0}, bad_rejected{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 64; ++i) {
    clients.emplace_back([&, i] {
      json b = chat_body(true, 16);
      b["messages"][0]["content"] = "client " + std::to_string(i);
      auto r = s.post("/v1/chat/completions", b);
      if (r && r->status == 200 && sse_data(r->body).back() == "[DONE]")
        ++complete;
      else
        ADD_FAILURE() << "client " << i << ": "
                      << (r ? std::to_string(r->status) + " " + r->body
                            : httplib::to_string(r.error()));
      if (i % 8 == 0) {
        auto bad = s.client().Post("/v1/chat/completions", "{{{", "application/json");
        if (bad && bad->status == 400) ++bad_rejected;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(complete, 64);
  EXPECT_EQ(bad_rejected, 8);
  EXPECT_EQ(s.engine->stats().kv.pool.used, 0);
  // The server releases a stream just after its last bytes leave: wait for that event.
  for (int i = 0; i < 3000 && s.srv->in_flight() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(s.srv->in_flight(), 0);
}

TEST(Server, ClientDisconnectCancelsAndFreesBlocks) {
  TestServer s;
  json b = chat_body(true, 100000);
  int chunks = 0;
  auto c = s.client();
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = b.dump();
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++chunks < 3; };
  auto r = c.send(req);
  EXPECT_FALSE(r);  // we aborted
  for (int i = 0; i < 2000 && s.engine->stats().running > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(s.engine->stats().running, 0);
  EXPECT_EQ(s.engine->stats().kv.pool.used, 0);
}

TEST(Server, MetricsTokenizeDetokenize) {
  TestServer s;
  ASSERT_EQ(s.post("/v1/chat/completions", chat_body(false))->status, 200);
  auto m = s.client().Get("/metrics");
  ASSERT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("hearth_kv_blocks_used 0"), std::string::npos);
  EXPECT_NE(m->body.find("hearth_generation_tokens_total 8"), std::string::npos);
  EXPECT_NE(m->body.find("hearth_time_to_first_token_seconds_count 1"), std::string::npos);
  auto t = json::parse(s.post("/tokenize", {{"content", "AB"}})->body);
  EXPECT_EQ(t["tokens"], json::array({3 + 'A' % 61, 3 + 'B' % 61}));
  auto d = json::parse(s.post("/detokenize", {{"tokens", {7, 8}}})->body);
  EXPECT_EQ(d["content"], "HI");
  EXPECT_EQ(s.post("/detokenize", {{"tokens", {70}}})->status, 400);
}

}  // namespace
}  // namespace hearth::testing
