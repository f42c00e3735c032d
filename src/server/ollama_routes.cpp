// Ollama-compatible routes: /api/generate, /api/chat (NDJSON streaming, final statistics in ns),
// /api/tags, /api/show, /api/ps, /api/version, GET/HEAD /.
#include "server/stream.h"

namespace hearth::server {
namespace {

// Reads `options` {num_ctx, num_predict, temperature, top_k, top_p, min_p, repeat_penalty, seed,
// stop, ...}; returns false with a message on a wrongly typed option.
bool read_options(const json& body, int n_ctx, engine::SamplingParams* p, std::string* err) {
  if (!body.contains("options") || body["options"].is_null()) return true;
  const json& o = body["options"];
  if (!o.is_object()) return *err = "'options' must be an object", false;
  auto num = [&](const char* k, float* out) {
    if (!o.contains(k)) return true;
    if (!o[k].is_number()) return *err = str_cat("options.", k, " must be a number"), false;
    *out = o[k].get<float>();
    return true;
  };
  auto integer = [&](const char* k, int64_t* out) {
    if (!o.contains(k)) return true;
    if (!o[k].is_number_integer())
      return *err = str_cat("options.", k, " must be an integer"), false;
    *out = o[k].get<int64_t>();
    return true;
  };
  int64_t top_k = p->top_k, num_predict = -1, seed = -1, num_ctx = n_ctx, last_n = p->repeat_last_n;
  if (!num("temperature", &p->temperature) || !num("top_p", &p->top_p) ||
      !num("min_p", &p->min_p) || !num("repeat_penalty", &p->repeat_penalty) ||
      !num("presence_penalty", &p->presence_penalty) ||
      !num("frequency_penalty", &p->frequency_penalty) || !integer("top_k", &top_k) ||
      !integer("num_predict", &num_predict) || !integer("seed", &seed) ||
      !integer("num_ctx", &num_ctx) || !integer("repeat_last_n", &last_n)) {
    return false;
  }
  if (num_ctx > n_ctx)
    return *err = str_cat("options.num_ctx is ", num_ctx, " but the server runs with a context of ",
                          n_ctx, " (start it with --ctx)"),
           false;
  if (o.contains("stop")) {
    if (!o["stop"].is_array()) return *err = "options.stop must be an array of strings", false;
    for (const json& s : o["stop"]) {
      if (!s.is_string()) return *err = "options.stop must be an array of strings", false;
      p->stop.push_back(s.get<std::string>());
    }
  }
  p->top_k = static_cast<int>(top_k);
  p->max_tokens = num_predict < 0 ? -1 : static_cast<int>(num_predict);
  p->seed = seed < 0 ? -1 : seed;
  p->repeat_last_n = static_cast<int>(last_n);
  return true;
}

class OllamaFormatter : public StreamFormatter {
 public:
  OllamaFormatter(bool chat, std::string model) : chat_(chat), model_(std::move(model)) {}
  std::string chunk(const std::string& text) override { return dump(line(text, false)) + "\n"; }
  std::string finish(const StreamEvent& ev, const RequestTotals& t) override {
    if (ev.reason == engine::FinishReason::kError)
      return dump(json{{"error", ev.error.message()}}) + "\n";
    json j = line("", true);
    j["done_reason"] = ev.reason == engine::FinishReason::kLength ? "length" : "stop";
    j["total_duration"] = t.total_ns;
    j["load_duration"] = 0;
    j["prompt_eval_count"] = t.prompt_tokens;
    j["prompt_eval_duration"] = t.prompt_ns;
    j["eval_count"] = t.completion_tokens;
    j["eval_duration"] = t.eval_ns;
    return dump(j) + "\n";
  }
  json line(const std::string& text, bool done) const {
    json j = {{"model", model_}, {"created_at", iso8601_now()}};
    if (chat_)
      j["message"] = {{"role", "assistant"}, {"content", text}};
    else
      j["response"] = text;
    j["done"] = done;
    return j;
  }

 private:
  bool chat_;
  std::string model_;
};

bool check_model(Server& s, const json& body, httplib::Response& res) {
  std::string m =
      body.contains("model") && body["model"].is_string() ? body["model"].get<std::string>() : "";
  if (m.empty()) return ollama_error(res, 400, "'model' is required"), false;
  const std::string& name = s.config().model.name;
  if (m == name || m == name + ":latest") return true;
  ollama_error(res, 404, str_cat("model '", m, "' not found; this server serves '", name, "'"));
  return false;
}

void handle_generate(Server& s, const httplib::Request& hreq, httplib::Response& res, bool chat) {
  json body;
  std::string err;
  if (!parse_body(hreq, &body, &err)) return ollama_error(res, 400, err);
  if (!check_model(s, body, res)) return;
  engine::SamplingParams params;
  if (!read_options(body, s.engine().config().sched.max_model_len, &params, &err))
    return ollama_error(res, 400, err);
  std::string prompt;
  std::vector<ChatMessage> messages;
  if (chat) {
    if (!body.contains("messages") || !body["messages"].is_array())
      return ollama_error(res, 400, "'messages' must be an array of {role, content}");
    for (const json& m : body["messages"]) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string() ||
          (m.contains("content") && !m["content"].is_string()))
        return ollama_error(res, 400, "each message needs a string 'role' and 'content'");
      messages.push_back({m["role"].get<std::string>(), m.value("content", "")});
    }
  } else {
    if (body.contains("prompt") && !body["prompt"].is_string())
      return ollama_error(res, 400, "'prompt' must be a string");
    if (body.contains("system") && !body["system"].is_string())
      return ollama_error(res, 400, "'system' must be a string");
    prompt = body.value("prompt", "");
    if (!body.value("raw", false)) {
      if (body.contains("system"))
        messages.push_back({"system", body["system"].get<std::string>()});
      messages.push_back({"user", prompt});
    }
  }
  // An empty /api/generate prompt only loads the model (Ollama semantics).
  if (!chat && prompt.empty()) {
    json j = OllamaFormatter(false, s.config().model.name).line("", true);
    j["done_reason"] = "load";
    return res.set_content(dump(j), "application/json");
  }
  if (!messages.empty()) {
    prompt = apply_chat_format(s.chat_format(), messages);
    for (const std::string& st : chat_format_stops(s.chat_format())) params.stop.push_back(st);
  }
  Submitted sub;
  if (!submit_prompt(s, prompt, true, params, true, res, &sub)) return;
  auto fmt = std::make_shared<OllamaFormatter>(chat, s.config().model.name);
  if (body.value("stream", true))
    return stream_events(s, res, std::move(sub), fmt, "application/x-ndjson");
  std::string text;
  StreamEvent ev = wait_all(*sub.sink, &text);
  if (ev.reason == engine::FinishReason::kError) return ollama_error(res, 500, ev.error.message());
  json j = json::parse(fmt->finish(ev, sub.sink->totals()));
  if (chat)
    j["message"]["content"] = text;
  else
    j["response"] = text;
  res.set_content(dump(j), "application/json");
}

json model_details(const ModelInfo& m) {
  return {{"parent_model", ""},
          {"format", "gguf"},
          {"family", m.architecture},
          {"families", json::array({m.architecture})},
          {"parameter_size", m.parameter_size},
          {"quantization_level", m.quantization}};
}

json model_entry(const ModelInfo& m) {
  return {{"name", m.name},       {"model", m.name}, {"modified_at", iso8601_now()},
          {"size", m.size_bytes}, {"digest", ""},    {"details", model_details(m)}};
}

}  // namespace

void register_ollama_routes(httplib::Server& http, Server& s) {
  http.Post("/api/generate", [&s](const httplib::Request& req, httplib::Response& res) {
    handle_generate(s, req, res, false);
  });
  http.Post("/api/chat", [&s](const httplib::Request& req, httplib::Response& res) {
    handle_generate(s, req, res, true);
  });
  http.Get("/api/tags", [&s](const httplib::Request&, httplib::Response& res) {
    res.set_content(dump(json{{"models", json::array({model_entry(s.config().model)})}}),
                    "application/json");
  });
  http.Get("/api/ps", [&s](const httplib::Request&, httplib::Response& res) {
    json m = model_entry(s.config().model);
    m["expires_at"] = "9999-12-31T23:59:59Z";  // the served model never unloads
    m["size_vram"] = 0;
    res.set_content(dump(json{{"models", json::array({m})}}), "application/json");
  });
  http.Post("/api/show", [&s](const httplib::Request& req, httplib::Response& res) {
    json body;
    std::string err;
    if (!parse_body(req, &body, &err)) return ollama_error(res, 400, err);
    if (!body.contains("model") && body.contains("name")) body["model"] = body["name"];
    if (!check_model(s, body, res)) return;
    const ModelInfo& m = s.config().model;
    json info = {{"general.architecture", m.architecture},
                 {"general.file_type", m.quantization},
                 {m.architecture + ".context_length", s.engine().config().sched.max_model_len}};
    res.set_content(dump(json{{"modelfile", "FROM " + m.path},
                              {"parameters", ""},
                              {"template", m.chat_template},
                              {"details", model_details(m)},
                              {"model_info", info},
                              {"capabilities", json::array({"completion"})}}),
                    "application/json");
  });
  http.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"version":"0.1.0"})", "application/json");
  });
  // GET and HEAD (cpp-httplib answers HEAD with the GET handler, without the body).
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Ollama is running", "text/plain");
  });
}

}  // namespace hearth::server
