// A real hearth HTTP server on 127.0.0.1 (ephemeral port) over the engine with the TEST-ONLY
// fake forward, and helpers to talk to it with cpp-httplib's client.
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/server.h"
#include "unit/engine/fake_forward.h"

namespace hearth::testing {

using json = nlohmann::json;

// Bytes map to tokens 3..63; every token prints as one printable ASCII character; 0 ends.
class FakeTokenizer : public server::Tokenizer {
 public:
  std::vector<int32_t> encode(const std::string& text, bool add_special) const override {
    std::vector<int32_t> t;
    if (add_special) t.push_back(1);
    for (unsigned char c : text) t.push_back(3 + c % 61);
    return t;
  }
  std::string token_piece(int32_t t) const override {
    return t == 0 ? "" : std::string(1, static_cast<char>('A' + t % 58));
  }
  bool is_eog(int32_t t) const override { return t == 0; }
  int n_vocab() const override { return 64; }
};

// The ChatML template as models ship it (rendered by the server's Jinja interpreter).
inline const char* const kChatMLTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] "
    "+ "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' "
    "}}{% endif %}";

struct TestServer {
  explicit TestServer(server::ServerConfig cfg = {}, int max_waiting = 256, int n_blocks = 256,
                      bool ready = true)
      : fwd(64, n_blocks) {
    engine::EngineConfig ec;
    ec.n_blocks = n_blocks;
    ec.max_waiting = max_waiting;
    ec.sched.max_model_len = cfg.n_ctx = 256;
    ec.sched.max_tokens_per_step = 256;
    cfg.model.name = "brown-6m";
    if (cfg.model.chat_template.empty()) cfg.model.chat_template = kChatMLTemplate;
    engine = std::make_unique<engine::Engine>(ec, fwd, tok);
    engine->start();
    srv = std::make_unique<server::Server>(cfg, *engine, tok);
    auto bound = srv->bind("127.0.0.1", 0);
    EXPECT_TRUE(bound.ok()) << bound.status().message();
    port = bound.ok() ? *bound : 0;
    srv->set_ready(ready);
    thread = std::thread([this] { srv->run(); });
    // Wait until the listener accepts (a connection succeeding, not a time).
    for (int i = 0; i < 1000; ++i) {
      if (client().Get("/health")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~TestServer() {
    srv->stop();
    thread.join();
    engine->stop();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    return c;
  }
  httplib::Result post(const std::string& path, const json& body,
                       const httplib::Headers& headers = {}) const {
    return client().Post(path.c_str(), headers, body.dump(), "application/json");
  }

  FakeForward fwd;
  FakeTokenizer tok;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<server::Server> srv;
  std::thread thread;
  int port = 0;
};

// Splits an SSE body into the JSON payloads of its `data:` lines ("[DONE]" kept as a string).
inline std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    size_t end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

}  // namespace hearth::testing
