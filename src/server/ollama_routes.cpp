// Ollama-compatible routes: /api/generate, /api/chat (NDJSON streaming, final statistics in ns),
// /api/tags, /api/show, /api/ps, /api/version, GET/HEAD /.
#include "server/stream.h"
#include "server/tool_calls.h"

namespace hearth::server {
namespace {

using ojson = nlohmann::ordered_json;

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

json ollama_tool_calls(const std::vector<ParsedToolCall>& calls) {
  json out = json::array();
  for (const ParsedToolCall& c : calls) {
    json args = json::parse(c.arguments, nullptr, false);
    out.push_back(
        {{"function",
          {{"name", c.name}, {"arguments", args.is_discarded() ? json(c.arguments) : args}}}});
  }
  return out;
}

// NDJSON lines; for /api/chat the text goes through a ChatOutputStreamer (tool calls are sent
// whole, in one line before the final one, as Ollama does).
class OllamaFormatter : public StreamFormatter {
 public:
  OllamaFormatter(bool chat, std::string model, OutputOptions opt = {})
      : chat_(chat), model_(std::move(model)), streamer_(opt) {}
  std::string chunk(const StreamEvent& ev) override {
    if (!chat_) return dump(line(ev.text, false)) + "\n";
    return deltas(streamer_.feed(ev.text));
  }
  std::string finish(const StreamEvent& ev, const RequestTotals& t) override {
    if (ev.reason == engine::FinishReason::kError)
      return dump(json{{"error", ev.error.message()}}) + "\n";
    std::string out = chat_ ? deltas(streamer_.finish()) : "";
    if (!calls_.empty()) {
      json j = line("", false);
      j["message"]["tool_calls"] = ollama_tool_calls(calls_);
      out += dump(j) + "\n";
    }
    json j = line("", true);
    j["done_reason"] = ev.reason == engine::FinishReason::kLength ? "length" : "stop";
    j["total_duration"] = t.total_ns;
    j["load_duration"] = 0;
    j["prompt_eval_count"] = t.prompt_tokens;
    j["prompt_eval_duration"] = t.prompt_ns;
    j["eval_count"] = t.completion_tokens;
    j["eval_duration"] = t.eval_ns;
    return out + dump(j) + "\n";
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
  std::string deltas(const std::vector<ChatDelta>& ds) {
    std::string out;
    for (const ChatDelta& d : ds) {
      if (d.tool_index >= 0) {
        if (!d.tool_id.empty()) calls_.push_back({d.tool_name, "", true, false});
        calls_[static_cast<size_t>(d.tool_index)].arguments += d.arguments;
        continue;
      }
      json j = line(d.content, false);
      if (!d.reasoning.empty()) j["message"]["thinking"] = d.reasoning;
      out += dump(j) + "\n";
    }
    return out;
  }

  bool chat_;
  std::string model_;
  ChatOutputStreamer streamer_;
  std::vector<ParsedToolCall> calls_;
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
  ojson messages = ojson::array(), tools;
  OutputOptions out_opt;
  if (chat) {
    ojson obody = ojson::parse(hreq.body, nullptr, false);  // key order kept for the template
    if (!normalize_messages(obody.contains("messages") ? obody["messages"] : ojson(), &messages,
                            &err))
      return ollama_error(res, 400, err);
    tools = obody.contains("tools") ? obody["tools"] : ojson();
    if (!check_tools(tools, &err)) return ollama_error(res, 400, err);
    out_opt.parse_tools = tools.is_array() && !tools.empty();
    out_opt.split_reasoning = body.value("think", false) == true;
  } else {
    if (body.contains("prompt") && !body["prompt"].is_string())
      return ollama_error(res, 400, "'prompt' must be a string");
    if (body.contains("system") && !body["system"].is_string())
      return ollama_error(res, 400, "'system' must be a string");
    prompt = body.value("prompt", "");
    if (!body.value("raw", false)) {
      if (body.contains("system"))
        messages.push_back({{"role", "system"}, {"content", body["system"]}});
      messages.push_back({{"role", "user"}, {"content", prompt}});
    }
  }
  // An empty /api/generate prompt only loads the model (Ollama semantics).
  if (!chat && prompt.empty()) {
    json j = OllamaFormatter(false, s.config().model.name).line("", true);
    j["done_reason"] = "load";
    return res.set_content(dump(j), "application/json");
  }
  bool add_bos = true;
  if (!messages.empty()) {
    auto rendered = s.prompter().render(messages, tools);
    if (!rendered.ok())
      return ollama_error(res, rendered.status().code() == StatusCode::kInvalidArgument ? 400 : 500,
                          rendered.status().message());
    prompt = rendered->text;
    add_bos = rendered->add_bos;
    out_opt.reasoning_open = rendered->reasoning_open;
    for (const std::string& st : rendered->stops) params.stop.push_back(st);
  }
  Submitted sub;
  if (!submit_prompt(s, prompt, add_bos, params, 1, true, res, &sub)) return;
  auto fmt = std::make_shared<OllamaFormatter>(chat, s.config().model.name, out_opt);
  if (body.value("stream", true))
    return stream_events(s, res, std::move(sub), fmt, "application/x-ndjson");
  ChoiceResult r = std::move(wait_all(sub)[0]);
  const std::string& text = r.text;
  if (r.final.reason == engine::FinishReason::kError)
    return ollama_error(res, 500, r.final.error.message());
  json j = json::parse(fmt->finish(r.final, sub.totals()));  // the done line (fmt was not fed)
  if (chat) {
    ParsedOutput p = parse_chat_output(text, out_opt);
    j["message"] = {{"role", "assistant"}, {"content", p.content}};
    if (!p.reasoning.empty()) j["message"]["thinking"] = p.reasoning;
    if (!p.tool_calls.empty()) j["message"]["tool_calls"] = ollama_tool_calls(p.tool_calls);
  } else {
    j["response"] = text;
  }
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
