// OpenAI-compatible routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models.
#include "server/stream.h"

namespace hearth::server {
namespace {

// A field check: writes the error and returns false when the field has the wrong type or range.
struct FieldReader {
  const json& body;
  std::string error, param;

  bool number(const char* name, float lo, float hi, float* out) {
    if (!body.contains(name) || body[name].is_null()) return true;
    if (!body[name].is_number() || body[name].get<double>() < lo || body[name].get<double>() > hi)
      return fail(name, str_cat("'", name, "' must be a number between ", lo, " and ", hi));
    *out = body[name].get<float>();
    return true;
  }
  bool integer(const char* name, int64_t lo, int64_t hi, int64_t* out) {
    if (!body.contains(name) || body[name].is_null()) return true;
    if (!body[name].is_number_integer() || body[name].get<int64_t>() < lo ||
        body[name].get<int64_t>() > hi)
      return fail(name, str_cat("'", name, "' must be an integer between ", lo, " and ", hi));
    *out = body[name].get<int64_t>();
    return true;
  }
  bool fail(const std::string& name, const std::string& msg) {
    param = name;
    error = msg;
    return false;
  }
};

bool read_stop(const json& v, std::vector<std::string>* out, std::string* err) {
  if (v.is_null()) return true;
  if (v.is_string()) {
    out->push_back(v.get<std::string>());
    return true;
  }
  if (v.is_array()) {
    for (const json& s : v) {
      if (!s.is_string()) break;
      out->push_back(s.get<std::string>());
    }
    if (out->size() == v.size()) return true;
  }
  *err = "'stop' must be a string or an array of strings";
  return false;
}

// Reads the OpenAI sampling fields into params.
bool read_openai_params(const json& body, engine::SamplingParams* p, std::string* err,
                        std::string* param) {
  FieldReader f{body, "", ""};
  p->temperature = 1.0f;
  p->top_p = 1.0f;
  p->top_k = 0;
  p->min_p = 0.0f;
  int64_t max_tokens = -1, top_k = 0, seed = -1, n = 1;
  bool ok = f.number("temperature", 0, 2, &p->temperature) && f.number("top_p", 0, 1, &p->top_p) &&
            f.number("min_p", 0, 1, &p->min_p) && f.integer("top_k", 0, 1 << 20, &top_k) &&
            f.number("presence_penalty", -2, 2, &p->presence_penalty) &&
            f.number("frequency_penalty", -2, 2, &p->frequency_penalty) &&
            f.number("repeat_penalty", 0, 10, &p->repeat_penalty) &&
            f.integer("max_tokens", 1, 1 << 30, &max_tokens) &&
            f.integer("max_completion_tokens", 1, 1 << 30, &max_tokens) &&
            f.integer("seed", INT64_MIN, INT64_MAX, &seed) && f.integer("n", 1, 1, &n);
  if (!ok) {
    *err = f.error + (f.param == "n" ? " (several choices per request are not supported yet)" : "");
    *param = f.param;
    return false;
  }
  p->top_k = static_cast<int>(top_k);
  p->max_tokens = static_cast<int>(max_tokens);
  p->seed = seed < 0 ? -1 : seed;
  if (body.contains("stop") && !read_stop(body["stop"], &p->stop, err))
    return *param = "stop", false;
  if (body.contains("logit_bias") && !body["logit_bias"].is_null()) {
    if (!body["logit_bias"].is_object())
      return *err = "'logit_bias' must be an object", *param = "logit_bias", false;
    for (const auto& [k, v] : body["logit_bias"].items()) {
      char* end = nullptr;
      long tok = std::strtol(k.c_str(), &end, 10);
      if (k.empty() || *end != '\0' || !v.is_number())
        return *err = str_cat("'logit_bias' entry '", k, "' must map a token id to a number"),
               *param = "logit_bias", false;
      p->logit_bias[static_cast<int32_t>(tok)] = v.get<float>();
    }
  }
  if (body.contains("ignore_eos") && !body["ignore_eos"].is_null()) {  // llama.cpp extension
    if (!body["ignore_eos"].is_boolean())
      return *err = "'ignore_eos' must be true or false", *param = "ignore_eos", false;
    p->ignore_eos = body["ignore_eos"].get<bool>();
  }
  if (body.value("logprobs", false) == true)
    return *err = "'logprobs' is not supported yet", *param = "logprobs", false;
  return true;
}

bool check_model(Server& s, const json& body, httplib::Response& res) {
  if (!body.contains("model") || body["model"].is_null()) return true;
  if (!body["model"].is_string())
    return openai_error(res, 400, "'model' must be a string", "model"), false;
  std::string m = body["model"].get<std::string>();
  if (m.empty() || m == s.config().model.name) return true;
  openai_error(res, 404,
               str_cat("the model '", m, "' does not exist; this server serves '",
                       s.config().model.name, "'"),
               "model");
  return false;
}

class OpenAIFormatter : public StreamFormatter {
 public:
  OpenAIFormatter(bool chat, std::string model, bool usage)
      : chat_(chat),
        model_(std::move(model)),
        usage_(usage),
        id_(random_id(chat ? "chatcmpl-" : "cmpl-")),
        created_(unix_now()) {}
  std::string start() override {
    if (!chat_) return "";
    return frame(choice(json{{"role", "assistant"}, {"content", ""}}, nullptr));
  }
  std::string chunk(const std::string& text) override {
    return frame(choice(chat_ ? json{{"content", text}} : json(text), nullptr));
  }
  std::string finish(const StreamEvent& ev, const RequestTotals& t) override {
    if (ev.reason == engine::FinishReason::kError) {
      json err = {{"error",
                   {{"message", ev.error.message()},
                    {"type", "server_error"},
                    {"param", nullptr},
                    {"code", nullptr}}}};
      return "data: " + dump(err) + "\n\ndata: [DONE]\n\n";
    }
    std::string out = frame(choice(chat_ ? json::object() : json(""), reason(ev.reason)));
    if (usage_) {
      json u = base();
      u["choices"] = json::array();
      u["usage"] = usage(t);
      out += "data: " + dump(u) + "\n\n";
    }
    return out + "data: [DONE]\n\n";
  }
  static json usage(const RequestTotals& t) {
    return {{"prompt_tokens", t.prompt_tokens},
            {"completion_tokens", t.completion_tokens},
            {"total_tokens", t.prompt_tokens + t.completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", t.prefix_hit}}}};
  }
  static json reason(engine::FinishReason r) {
    return r == engine::FinishReason::kLength ? "length" : "stop";
  }

 private:
  json base() const {
    return {{"id", id_},
            {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
            {"created", created_},
            {"model", model_},
            {"system_fingerprint", "hearth"}};
  }
  json choice(json delta_or_text, json finish) const {
    json c = {{"index", 0}, {"finish_reason", finish}, {"logprobs", nullptr}};
    c[chat_ ? "delta" : "text"] = std::move(delta_or_text);
    json j = base();
    j["choices"] = json::array({c});
    return j;
  }
  static std::string frame(const json& j) { return "data: " + dump(j) + "\n\n"; }

  bool chat_;
  std::string model_;
  bool usage_;
  std::string id_;
  int64_t created_;
};

bool read_messages(const json& body, std::vector<ChatMessage>* out, std::string* err) {
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty()) {
    *err = "'messages' must be a non-empty array of {role, content}";
    return false;
  }
  for (size_t i = 0; i < body["messages"].size(); ++i) {
    const json& m = body["messages"][i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      *err = str_cat("messages[", i, "] needs a string 'role'");
      return false;
    }
    std::string content;
    const json& c = m.contains("content") ? m["content"] : json(nullptr);
    if (c.is_string()) {
      content = c.get<std::string>();
    } else if (c.is_array()) {  // [{type: "text", text: "..."}]
      for (const json& part : c) {
        if (!part.is_object() || part.value("type", "") != "text" || !part["text"].is_string()) {
          *err = str_cat("messages[", i, "].content: only parts of type 'text' are supported");
          return false;
        }
        content += part["text"].get<std::string>();
      }
    } else if (!c.is_null()) {
      *err = str_cat("messages[", i, "].content must be a string or an array of text parts");
      return false;
    }
    out->push_back({m["role"].get<std::string>(), content});
  }
  return true;
}

void handle_completion(Server& s, const httplib::Request& hreq, httplib::Response& res, bool chat) {
  json body;
  std::string err, param;
  if (!parse_body(hreq, &body, &err)) return openai_error(res, 400, err);
  if (!check_model(s, body, res)) return;
  engine::SamplingParams params;
  if (!read_openai_params(body, &params, &err, &param)) return openai_error(res, 400, err, param);
  std::string prompt;
  if (chat) {
    std::vector<ChatMessage> messages;
    if (!read_messages(body, &messages, &err)) return openai_error(res, 400, err, "messages");
    prompt = apply_chat_format(s.chat_format(), messages);
    for (const std::string& st : chat_format_stops(s.chat_format())) params.stop.push_back(st);
  } else {
    if (!body.contains("prompt") || !body["prompt"].is_string())
      return openai_error(res, 400, "'prompt' must be a string", "prompt");
    prompt = body["prompt"].get<std::string>();
  }
  bool stream = body.value("stream", false);
  bool usage = body.contains("stream_options") && body["stream_options"].is_object() &&
               body["stream_options"].value("include_usage", false);
  Submitted sub;
  if (!submit_prompt(s, prompt, true, params, false, res, &sub)) return;
  auto fmt = std::make_shared<OpenAIFormatter>(chat, s.config().model.name, usage);
  if (stream) return stream_events(s, res, std::move(sub), fmt, "text/event-stream");
  std::string text;
  StreamEvent ev = wait_all(*sub.sink, &text);
  if (ev.reason == engine::FinishReason::kError) return openai_error(res, 500, ev.error.message());
  RequestTotals t = sub.sink->totals();
  json choice = {
      {"index", 0}, {"finish_reason", OpenAIFormatter::reason(ev.reason)}, {"logprobs", nullptr}};
  if (chat)
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  else
    choice["text"] = text;
  json out = {{"id", random_id(chat ? "chatcmpl-" : "cmpl-")},
              {"object", chat ? "chat.completion" : "text_completion"},
              {"created", unix_now()},
              {"model", s.config().model.name},
              {"system_fingerprint", "hearth"},
              {"choices", json::array({choice})},
              {"usage", OpenAIFormatter::usage(t)}};
  res.set_content(dump(out), "application/json");
}

}  // namespace

void register_openai_routes(httplib::Server& http, Server& s) {
  http.Post("/v1/chat/completions", [&s](const httplib::Request& req, httplib::Response& res) {
    handle_completion(s, req, res, true);
  });
  http.Post("/v1/completions", [&s](const httplib::Request& req, httplib::Response& res) {
    handle_completion(s, req, res, false);
  });
  http.Get("/v1/models", [&s](const httplib::Request&, httplib::Response& res) {
    json m = {{"id", s.config().model.name},
              {"object", "model"},
              {"created", unix_now()},
              {"owned_by", "hearth"}};
    res.set_content(dump(json{{"object", "list"}, {"data", json::array({m})}}), "application/json");
  });
}

}  // namespace hearth::server
