#include "server/server.h"

#include <sys/socket.h>

#include <csignal>

#include "core/log.h"
#include "server/stream.h"

namespace hearth::server {
namespace {

// Compares in time independent of where the strings differ.
bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    unsigned char ca = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff |= static_cast<unsigned char>(ca ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

bool is_ollama_path(const std::string& path) {
  return path.rfind("/api/", 0) == 0;
}

}  // namespace

Server::Server(const ServerConfig& config, engine::Engine& engine, const Tokenizer& tokenizer)
    : config_(config),
      engine_(engine),
      tokenizer_(tokenizer),
      format_(config.chat_format ? *config.chat_format
                                 : detect_chat_format(config.model.chat_template)),
      http_(std::make_unique<httplib::Server>()),
      metrics_(std::make_unique<Metrics>()) {
  const std::string& source =
      config_.chat_template.empty() ? config_.model.chat_template : config_.chat_template;
  auto prompter = ChatPrompter::create(source, config_.chat_format, tokenizer_.bos_text(),
                                       tokenizer_.eos_text());
  if (!prompter.ok()) {  // the model's own template: fall back to its family's format
    log_warn("hearth serve: ", prompter.status().message(), "; using the ",
             chat_format_name(format_), " chat format instead");
    prompter = ChatPrompter::create("", format_, tokenizer_.bos_text(), tokenizer_.eos_text());
  }
  prompter_ = std::make_unique<ChatPrompter>(std::move(*prompter));
  // A streaming client holds a worker for its whole response: size the pool for the promised
  // concurrency plus headroom for short requests (health, metrics, tags).
  int threads =
      config_.http_threads > 0 ? config_.http_threads : std::max(config_.parallel, 64) + 16;
  http_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  http_->set_payload_max_length(config_.max_body_bytes);
  http_->set_keep_alive_max_count(1000);
  register_common_routes();
  register_openai_routes(*http_, *this);
  register_ollama_routes(*http_, *this);
}

Server::~Server() {
  stop();
}

void Server::register_common_routes() {
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (config_.api_key.empty() || req.path == "/health" || req.path == "/" ||
        req.method == "OPTIONS") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    std::string auth = req.get_header_value("Authorization");
    const std::string bearer = "Bearer ";
    std::string key = auth.rfind(bearer, 0) == 0 ? auth.substr(bearer.size()) : "";
    if (constant_time_equal(key, config_.api_key))
      return httplib::Server::HandlerResponse::Unhandled;
    std::string msg = auth.empty() ? "missing API key: send the header 'Authorization: Bearer KEY'"
                                   : "invalid API key";
    if (is_ollama_path(req.path))
      ollama_error(res, 401, msg);
    else
      openai_error(res, 401, msg);
    return httplib::Server::HandlerResponse::Handled;
  });
  http_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg = res.status == 404   ? "no route for " + req.method + " " + req.path
                      : res.status == 413 ? "the request body is larger than the server accepts"
                                          : "HTTP error " + std::to_string(res.status);
    if (is_ollama_path(req.path))
      ollama_error(res, res.status, msg);
    else
      openai_error(res, res.status, msg);
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string msg = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          msg = str_cat("internal error: ", e.what());
        } catch (...) {
        }
        openai_error(res, 500, msg);
      });
  http_->Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (!ready_) {
      res.status = 503;
      res.set_content(R"({"status":"loading model"})", "application/json");
      return;
    }
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_->render(engine_.stats()), "text/plain; version=0.0.4");
  });
  http_->Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
    json body;
    std::string err;
    if (!parse_body(req, &body, &err)) return openai_error(res, 400, err);
    if (!body.contains("content") || !body["content"].is_string())
      return openai_error(res, 400, "'content' must be a string", "content");
    bool add_special = body.value("add_special", false);
    auto tokens = tokenizer_.encode(body["content"].get<std::string>(), add_special);
    res.set_content(dump(json{{"tokens", tokens}}), "application/json");
  });
  http_->Post("/detokenize", [this](const httplib::Request& req, httplib::Response& res) {
    json body;
    std::string err;
    if (!parse_body(req, &body, &err)) return openai_error(res, 400, err);
    if (!body.contains("tokens") || !body["tokens"].is_array())
      return openai_error(res, 400, "'tokens' must be an array of token ids", "tokens");
    std::vector<int32_t> tokens;
    for (const json& t : body["tokens"]) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
          t.get<int64_t>() >= tokenizer_.n_vocab()) {
        return openai_error(res, 400,
                            str_cat("token ", t.dump(), " is not a token id (the vocabulary has ",
                                    tokenizer_.n_vocab(), ")"),
                            "tokens");
      }
      tokens.push_back(t.get<int32_t>());
    }
    res.set_content(dump(json{{"content", tokenizer_.decode(tokens)}}), "application/json");
  });
}

Result<int> Server::bind(const std::string& host, int port) {
  std::signal(SIGPIPE, SIG_IGN);  // a client closing its socket must not kill the server
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of clients overflows it and some
  // connections fail. Remember the listening socket so the backlog can be raised after bind.
  int listen_fd = -1;
  http_->set_socket_options([&listen_fd](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  int bound =
      port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return io_error("cannot listen on ", host, ":", port, " (in use or not allowed)");
  if (listen_fd >= 0) ::listen(listen_fd, 1024);  // Linux: listen() again resizes the backlog
  http_->set_socket_options(httplib::default_socket_options);
  return bound;
}

void Server::run() {
  http_->listen_after_bind();
}

void Server::stop() {
  if (http_ && http_->is_running()) http_->stop();
}

}  // namespace hearth::server

namespace hearth::server {

bool submit_prompt(Server& server, const std::string& prompt, bool add_special,
                   const engine::SamplingParams& params, int n, bool ollama, httplib::Response& res,
                   Submitted* out) {
  auto fail = [&](int code, const std::string& msg) {
    if (code == 503)
      res.set_header("Retry-After", std::to_string(server.config().retry_after_seconds));
    if (ollama)
      ollama_error(res, code, msg);
    else
      openai_error(res, code, msg);
    for (auto& r : out->reqs) server.engine().cancel(r);
    return false;
  };
  if (!server.ready()) return fail(503, "the model is still loading");
  if (server.draining()) return fail(503, "the server is shutting down");
  std::vector<int32_t> tokens = server.tokenizer().encode(prompt, add_special);  // (n_prompt)
  const int n_ctx = server.engine().config().sched.max_model_len;
  if (static_cast<int>(tokens.size()) >= n_ctx) {
    return fail(400, str_cat("the prompt is ", tokens.size(), " tokens long but the context is ",
                             n_ctx, " tokens (prompt plus at least one generated token must fit)"));
  }
  out->channel = std::make_shared<Channel>();
  for (int i = 0; i < n; ++i) {
    auto req = std::make_shared<engine::Request>();
    req->prompt = tokens;
    req->params = params;
    if (params.seed >= 0) req->params.seed = params.seed + i;  // distinct, reproducible choices
    auto sink = std::make_shared<ChannelSink>(server.metrics(), out->channel, i);
    req->sink = sink;
    Status st = server.engine().submit(req);
    {
      std::lock_guard<std::mutex> lock(server.metrics().mu);
      ++server.metrics().requests_total;
    }
    if (!st.ok()) return fail(status_http_code(st), st.message());
    out->reqs.push_back(req);
    out->sinks.push_back(sink);
  }
  std::atomic<int>* counter = &server.in_flight_counter();
  ++*counter;
  out->in_flight = std::shared_ptr<void>(counter, [](std::atomic<int>* c) { --*c; });
  return true;
}

void stream_events(Server& server, httplib::Response& res, Submitted sub,
                   std::shared_ptr<StreamFormatter> fmt, const char* content_type) {
  struct State {
    Submitted sub;
    std::shared_ptr<StreamFormatter> fmt;
    bool started = false;
    size_t open = 0;  // choices not finished yet
    std::deque<StreamEvent> pending;
  };
  auto state = std::make_shared<State>();
  state->sub = std::move(sub);
  state->fmt = std::move(fmt);
  state->open = state->sub.reqs.size();
  engine::Engine* engine = &server.engine();
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      content_type,
      [state](size_t, httplib::DataSink& sink) {
        std::string out;
        if (!state->started) {
          state->started = true;
          out = state->fmt->start(static_cast<int>(state->sub.reqs.size()));
        }
        state->sub.channel->pop(&state->pending, std::chrono::milliseconds(200));
        bool done = false;
        while (!state->pending.empty() && !done) {
          StreamEvent ev = std::move(state->pending.front());
          state->pending.pop_front();
          if (!ev.finished) {
            out += state->fmt->chunk(ev);
            continue;
          }
          out += state->fmt->finish(ev, state->sub.sinks[static_cast<size_t>(ev.index)]->totals());
          if (ev.reason == engine::FinishReason::kError) {
            done = true;
          } else if (--state->open == 0) {
            out += state->fmt->end(state->sub.totals());
            done = true;
          }
        }
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;
        if (done) sink.done();
        return true;
      },
      [state, engine](bool success) {
        // Client gone (or one choice failed): free the blocks of every choice still running.
        if (!success || state->open > 0)
          for (auto& r : state->sub.reqs) engine->cancel(r);
      });
}

}  // namespace hearth::server
