// OpenAI-compatible routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models.
// n > 1 runs n independent engine requests on one channel; streamed choices interleave by index.
#include "server/openai_params.h"
#include "server/stream.h"
#include "server/tool_calls.h"
#include "server/tool_choice.h"

namespace hearth::server {
namespace {

using ojson = nlohmann::ordered_json;

json token_bytes(const std::string& piece) {
  json b = json::array();
  for (unsigned char c : piece) b.push_back(static_cast<int>(c));
  return b;
}

// Chat shape: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}].
json chat_logprobs(const Tokenizer& tok, const std::vector<engine::TokenLogprob>& lps) {
  json content = json::array();
  for (const engine::TokenLogprob& lp : lps) {
    std::string piece = tok.token_piece(lp.token);
    json top = json::array();
    for (const auto& [id, l] : lp.top) {
      std::string p = tok.token_piece(id);
      top.push_back({{"token", p}, {"logprob", l}, {"bytes", token_bytes(p)}});
    }
    content.push_back({{"token", piece},
                       {"logprob", lp.logprob},
                       {"bytes", token_bytes(piece)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}, {"refusal", nullptr}};
}

// Legacy completions shape: {tokens, token_logprobs, top_logprobs: [{piece: logprob}],
// text_offset}. `offset` is the text length before these tokens (advanced past them).
json legacy_logprobs(const Tokenizer& tok, const std::vector<engine::TokenLogprob>& lps,
                     size_t* offset) {
  json tokens = json::array(), lp_out = json::array(), top = json::array(), off = json::array();
  for (const engine::TokenLogprob& lp : lps) {
    std::string piece = tok.token_piece(lp.token);
    tokens.push_back(piece);
    lp_out.push_back(lp.logprob);
    json t = json::object();
    for (const auto& [id, l] : lp.top) t[tok.token_piece(id)] = l;
    top.push_back(t);
    off.push_back(*offset);
    *offset += piece.size();
  }
  return {
      {"tokens", tokens}, {"token_logprobs", lp_out}, {"top_logprobs", top}, {"text_offset", off}};
}

json usage_json(const RequestTotals& t) {
  return {{"prompt_tokens", t.prompt_tokens},
          {"completion_tokens", t.completion_tokens},
          {"total_tokens", t.prompt_tokens + t.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", t.prefix_hit}}}};
}

const char* reason_name(engine::FinishReason r, bool tool_calls) {
  if (tool_calls) return "tool_calls";
  return r == engine::FinishReason::kLength ? "length" : "stop";
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

json delta_json(const ChatDelta& d) {
  if (d.tool_index < 0)
    return d.reasoning.empty() ? json{{"content", d.content}}
                               : json{{"reasoning_content", d.reasoning}};
  json call = {{"index", d.tool_index}};
  if (!d.tool_id.empty()) {
    call["id"] = d.tool_id;
    call["type"] = "function";
    call["function"] = {{"name", d.tool_name}, {"arguments", d.arguments}};
  } else {
    call["function"] = {{"arguments", d.arguments}};
  }
  return {{"tool_calls", json::array({call})}};
}

// SSE frames for chat (deltas split into content / reasoning_content / tool_calls by a
// ChatOutputStreamer per choice) and text completions.
class OpenAIFormatter : public StreamFormatter {
 public:
  OpenAIFormatter(bool chat, std::string model, bool usage, const Tokenizer& tok,
                  OutputOptions out_opt)
      : chat_(chat),
        model_(std::move(model)),
        usage_(usage),
        tok_(tok),
        out_opt_(out_opt),
        id_(random_id(chat ? "chatcmpl-" : "cmpl-")),
        created_(unix_now()) {}
  std::string start(int n_choices) override {
    offsets_.assign(static_cast<size_t>(n_choices), 0);
    pending_lp_.assign(static_cast<size_t>(n_choices), {});
    streamers_.assign(static_cast<size_t>(n_choices), ChatOutputStreamer(out_opt_));
    if (!chat_) return "";
    std::string out;
    for (int i = 0; i < n_choices; ++i)
      out += frame(choice(i, json{{"role", "assistant"}, {"content", ""}}, nullptr, nullptr));
    return out;
  }
  std::string chunk(const StreamEvent& ev) override {
    const size_t i = static_cast<size_t>(ev.index);
    if (!chat_) {
      json lp =
          ev.logprobs.empty() ? json(nullptr) : legacy_logprobs(tok_, ev.logprobs, &offsets_[i]);
      return frame(choice(ev.index, json(ev.text), nullptr, lp));
    }
    auto& lps = pending_lp_[i];
    lps.insert(lps.end(), ev.logprobs.begin(), ev.logprobs.end());
    return deltas(ev.index, streamers_[i].feed(ev.text));
  }
  std::string finish(const StreamEvent& ev, const RequestTotals&) override {
    if (ev.reason == engine::FinishReason::kError) {
      json err = {{"error",
                   {{"message", ev.error.message()},
                    {"type", "server_error"},
                    {"param", nullptr},
                    {"code", nullptr}}}};
      return "data: " + dump(err) + "\n\ndata: [DONE]\n\n";
    }
    if (!chat_) return frame(choice(ev.index, json(""), reason_name(ev.reason, false), nullptr));
    ChatOutputStreamer& st = streamers_[static_cast<size_t>(ev.index)];
    std::string out = deltas(ev.index, st.finish());
    auto& lps = pending_lp_[static_cast<size_t>(ev.index)];  // tokens whose text was held back
    json lp = lps.empty() ? json(nullptr) : chat_logprobs(tok_, lps);
    lps.clear();
    return out +
           frame(choice(ev.index, json::object(), reason_name(ev.reason, st.has_tool_calls()), lp));
  }
  std::string end(const RequestTotals& t) override {
    std::string out;
    if (usage_) {
      json u = base();
      u["choices"] = json::array();
      u["usage"] = usage_json(t);
      out += "data: " + dump(u) + "\n\n";
    }
    return out + "data: [DONE]\n\n";
  }

 private:
  // One frame per delta; the log-probs gathered so far ride on the first.
  std::string deltas(int index, const std::vector<ChatDelta>& ds) {
    std::string out;
    auto& lps = pending_lp_[static_cast<size_t>(index)];
    for (const ChatDelta& d : ds) {
      json lp = lps.empty() ? json(nullptr) : chat_logprobs(tok_, lps);
      lps.clear();
      out += frame(choice(index, delta_json(d), nullptr, lp));
    }
    return out;
  }
  json base() const {
    return {{"id", id_},
            {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
            {"created", created_},
            {"model", model_},
            {"system_fingerprint", "hearth"}};
  }
  json choice(int index, json delta_or_text, json finish, json logprobs) const {
    json c = {{"index", index}, {"finish_reason", finish}, {"logprobs", std::move(logprobs)}};
    c[chat_ ? "delta" : "text"] = std::move(delta_or_text);
    json j = base();
    j["choices"] = json::array({c});
    return j;
  }
  static std::string frame(const json& j) { return "data: " + dump(j) + "\n\n"; }

  bool chat_;
  std::string model_;
  bool usage_;
  const Tokenizer& tok_;
  OutputOptions out_opt_;
  std::string id_;
  int64_t created_;
  std::vector<size_t> offsets_;                                // (n) completions text_offset
  std::vector<std::vector<engine::TokenLogprob>> pending_lp_;  // (n) not yet sent (chat)
  std::vector<ChatOutputStreamer> streamers_;                  // (n)
};

// The assistant message of a finished chat choice.
json chat_message(const std::string& text, const OutputOptions& opt, bool* tool_calls) {
  ParsedOutput p = parse_chat_output(text, opt);
  json m = {{"role", "assistant"}, {"content", p.content}};
  if (!p.reasoning.empty()) m["reasoning_content"] = p.reasoning;
  *tool_calls = !p.tool_calls.empty();
  if (p.tool_calls.empty()) return m;
  json calls = json::array();
  for (const ParsedToolCall& c : p.tool_calls)
    calls.push_back({{"id", new_tool_call_id()},
                     {"type", "function"},
                     {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  m["tool_calls"] = calls;
  if (p.content.find_first_not_of(" \n\r\t") == std::string::npos) m["content"] = nullptr;
  return m;
}

// The non-streaming answer: one choice per engine request.
json completion_body(Server& s, bool chat, bool logprobs, const OutputOptions& opt,
                     std::vector<ChoiceResult>& results, const RequestTotals& t) {
  json choices = json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    const ChoiceResult& r = results[i];
    json c = {{"index", i}, {"logprobs", nullptr}};
    bool tool_calls = false;
    size_t offset = 0;
    if (chat) {
      c["message"] = chat_message(r.text, opt, &tool_calls);
      if (logprobs) c["logprobs"] = chat_logprobs(s.tokenizer(), r.logprobs);
    } else {
      c["text"] = r.text;
      if (logprobs) c["logprobs"] = legacy_logprobs(s.tokenizer(), r.logprobs, &offset);
    }
    c["finish_reason"] = reason_name(r.final.reason, tool_calls);
    choices.push_back(c);
  }
  return {{"id", random_id(chat ? "chatcmpl-" : "cmpl-")},
          {"object", chat ? "chat.completion" : "text_completion"},
          {"created", unix_now()},
          {"model", s.config().model.name},
          {"system_fingerprint", "hearth"},
          {"choices", choices},
          {"usage", usage_json(t)}};
}

// Reads messages, tools and tool_choice, renders the chat template. False after writing a 400.
bool chat_prompt(Server& s, const std::string& raw_body, engine::SamplingParams* params,
                 RenderedPrompt* prompt, OutputOptions* opt, httplib::Response& res) {
  ojson body = ojson::parse(raw_body, nullptr, false);  // key order kept: templates print tools
  ojson messages, tools = body.contains("tools") ? body["tools"] : ojson();
  std::string err;
  if (!normalize_messages(body.contains("messages") ? body["messages"] : ojson(), &messages, &err))
    return openai_error(res, 400, err, "messages"), false;
  if (!check_tools(tools, &err)) return openai_error(res, 400, err, "tools"), false;
  ToolChoice choice;
  if (!read_tool_choice(body.contains("tool_choice") ? body["tool_choice"] : ojson(), tools,
                        &choice, &err))
    return openai_error(res, 400, err, "tool_choice"), false;
  if (choice.mode == ToolChoice::kNone) tools = ojson();
  auto rendered = s.prompter().render(messages, tools);
  if (!rendered.ok()) {
    const Status& st = rendered.status();
    return openai_error(res, st.code() == StatusCode::kInvalidArgument ? 400 : 500, st.message(),
                        "messages"),
           false;
  }
  *prompt = std::move(*rendered);
  for (const std::string& stop : prompt->stops) params->stop.push_back(stop);
  opt->parse_tools = choice.mode != ToolChoice::kNone;
  opt->reasoning_open = prompt->reasoning_open;
  if (!constrain_tool_choice(choice, tools, params, &err))
    return openai_error(res, 400, err, "tool_choice"), false;
  return true;
}

void handle_completion(Server& s, const httplib::Request& hreq, httplib::Response& res, bool chat) {
  json body;
  std::string err;
  if (!parse_body(hreq, &body, &err)) return openai_error(res, 400, err);
  if (!check_model(s, body, res)) return;
  OpenAIRequest oreq;
  ParamError perr;
  if (!read_openai_request(body, chat, &oreq, &perr))
    return openai_error(res, 400, perr.message, perr.param);
  engine::SamplingParams& params = oreq.params;
  RenderedPrompt prompt;
  OutputOptions out_opt;
  if (chat) {
    if (!chat_prompt(s, hreq.body, &params, &prompt, &out_opt, res)) return;
  } else {
    if (!body.contains("prompt") || !body["prompt"].is_string())
      return openai_error(res, 400, "'prompt' must be a string", "prompt");
    prompt.text = body["prompt"].get<std::string>();
  }
  Submitted sub;
  if (!submit_prompt(s, prompt.text, prompt.add_bos, params, oreq.n, false, res, &sub)) return;
  if (oreq.stream) {
    auto fmt = std::make_shared<OpenAIFormatter>(chat, s.config().model.name, oreq.include_usage,
                                                 s.tokenizer(), out_opt);
    return stream_events(s, res, std::move(sub), fmt, "text/event-stream");
  }
  std::vector<ChoiceResult> results = wait_all(sub);
  for (const ChoiceResult& r : results)
    if (r.final.reason == engine::FinishReason::kError)
      return openai_error(res, 500, r.final.error.message());
  json out = completion_body(s, chat, params.logprobs >= 0, out_opt, results, sub.totals());
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
