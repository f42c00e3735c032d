// The HTTP adapter: OpenAI and Ollama routes over an Engine, on cpp-httplib.
// Every route parses and validates into an engine::Request, submits it, and relays the engine's
// StreamSink events as SSE (OpenAI) or NDJSON (Ollama). Handlers never throw into the engine;
// every user error becomes an OpenAI- or Ollama-shaped JSON error with its HTTP code.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/engine.h"
#include "server/chat_format.h"
#include "server/chat_prompt.h"

namespace httplib {
class Server;
}

namespace hearth::server {

// What the server needs from a tokenizer (the engine's Vocab plus encoding).
class Tokenizer : public engine::Vocab {
 public:
  virtual std::vector<int32_t> encode(const std::string& text, bool add_special) const = 0;
  virtual std::string decode(const std::vector<int32_t>& tokens) const {
    std::string s;
    for (int32_t t : tokens) s += token_piece(t);
    return s;
  }
  virtual int n_vocab() const = 0;
  // The text of the BOS / EOS tokens (chat templates print them; "" when the vocabulary has none).
  virtual std::string bos_text() const { return ""; }
  virtual std::string eos_text() const { return ""; }
};

struct ModelInfo {
  std::string name = "hearth";  // the id clients pass as "model"
  std::string path;
  std::string architecture = "llama";
  std::string parameter_size;  // "6.8M"
  std::string quantization;    // "Q8_0"
  uint64_t size_bytes = 0;
  std::string chat_template;  // the GGUF template text ("" if none)
};

struct ServerConfig {
  ModelInfo model;
  int n_ctx = 2048;
  int http_threads = 0;  // 0: max(parallel, 64) + 16
  int parallel = 64;     // concurrent streams promised
  size_t max_body_bytes = 8u << 20;
  std::string api_key;                    // "" = no auth
  std::optional<ChatFormat> chat_format;  // forced (--chat-format); else the Jinja template
  std::string chat_template;              // --chat-template-file text; "" = model.chat_template
  int retry_after_seconds = 2;
};

struct Metrics;  // server/metrics.h

class Server {
 public:
  Server(const ServerConfig& config, engine::Engine& engine, const Tokenizer& tokenizer);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port (port 0 = an ephemeral port); returns the bound port.
  Result<int> bind(const std::string& host, int port);
  void run();  // serves until stop(); call after bind()
  void stop();
  void set_ready(bool ready) { ready_ = ready; }
  // Draining (SIGTERM): new generations get 503 while the streams in flight finish.
  void set_draining(bool draining) { draining_ = draining; }
  bool draining() const { return draining_; }
  // Generation requests accepted and not yet fully answered (streams still writing included).
  int in_flight() const { return in_flight_; }
  std::atomic<int>& in_flight_counter() { return in_flight_; }
  ChatFormat chat_format() const { return format_; }
  // Renders conversations: the Jinja template, or the family format (chat_prompt.h).
  const ChatPrompter& prompter() const { return *prompter_; }

  // Shared with the route files.
  const ServerConfig& config() const { return config_; }
  engine::Engine& engine() { return engine_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  Metrics& metrics() { return *metrics_; }
  bool ready() const { return ready_; }

 private:
  void register_common_routes();

  ServerConfig config_;
  engine::Engine& engine_;
  const Tokenizer& tokenizer_;
  ChatFormat format_;
  std::unique_ptr<ChatPrompter> prompter_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<Metrics> metrics_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
};

// Route registration (openai_routes.cpp, ollama_routes.cpp).
void register_openai_routes(httplib::Server& http, Server& server);
void register_ollama_routes(httplib::Server& http, Server& server);

}  // namespace hearth::server
