#include "server/openai_params.h"

#include <cstdlib>

#include "core/status.h"

namespace hearth::server {
namespace {

using json = nlohmann::json;

// A field check: fills the error and returns false when the field has the wrong type or range.
struct FieldReader {
  const json& body;
  ParamError* err;

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
  bool boolean(const char* name, bool* out) {
    if (!body.contains(name) || body[name].is_null()) return true;
    if (!body[name].is_boolean()) return fail(name, str_cat("'", name, "' must be true or false"));
    *out = body[name].get<bool>();
    return true;
  }
  bool fail(const std::string& name, const std::string& msg) {
    *err = {msg, name};
    return false;
  }
};

bool read_stop(const json& v, std::vector<std::string>* out, ParamError* err) {
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
  *err = {"'stop' must be a string or an array of strings", "stop"};
  return false;
}

bool read_logit_bias(const json& body, engine::SamplingParams* p, ParamError* err) {
  if (!body.contains("logit_bias") || body["logit_bias"].is_null()) return true;
  if (!body["logit_bias"].is_object())
    return *err = {"'logit_bias' must be an object", "logit_bias"}, false;
  for (const auto& [k, v] : body["logit_bias"].items()) {
    char* end = nullptr;
    long tok = std::strtol(k.c_str(), &end, 10);
    if (k.empty() || *end != '\0' || !v.is_number())
      return *err = {str_cat("'logit_bias' entry '", k, "' must map a token id to a number"),
                     "logit_bias"},
             false;
    p->logit_bias[static_cast<int32_t>(tok)] = v.get<float>();
  }
  return true;
}

// Chat: logprobs (bool) + top_logprobs (0..20, needs logprobs). Completions: logprobs (0..20).
bool read_logprobs(const json& body, bool chat, int* out, ParamError* err) {
  FieldReader f{body, err};
  *out = -1;
  if (!chat) {
    int64_t n = -1;
    if (!f.integer("logprobs", 0, kMaxTopLogprobs, &n)) return false;
    *out = static_cast<int>(n);
    return true;
  }
  bool on = false;
  int64_t top = -1;
  if (!f.boolean("logprobs", &on) || !f.integer("top_logprobs", 0, kMaxTopLogprobs, &top))
    return false;
  if (top >= 0 && !on) return f.fail("top_logprobs", "'top_logprobs' needs 'logprobs': true");
  *out = on ? static_cast<int>(std::max<int64_t>(top, 0)) : -1;
  return true;
}

}  // namespace

bool read_openai_request(const json& body, bool chat, OpenAIRequest* out, ParamError* err) {
  engine::SamplingParams* p = &out->params;
  FieldReader f{body, err};
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
            f.integer("seed", INT64_MIN, INT64_MAX, &seed) && f.integer("n", 1, kMaxChoices, &n) &&
            f.boolean("stream", &out->stream);
  if (!ok) return false;
  p->top_k = static_cast<int>(top_k);
  p->max_tokens = static_cast<int>(max_tokens);
  p->seed = seed < 0 ? -1 : seed;
  out->n = static_cast<int>(n);
  if (body.contains("stop") && !read_stop(body["stop"], &p->stop, err)) return false;
  if (!read_logit_bias(body, p, err) || !read_logprobs(body, chat, &p->logprobs, err)) return false;
  if (body.contains("ignore_eos") && !body["ignore_eos"].is_null()) {  // llama.cpp extension
    if (!body["ignore_eos"].is_boolean())
      return f.fail("ignore_eos", "'ignore_eos' must be true or false");
    p->ignore_eos = body["ignore_eos"].get<bool>();
  }
  if (body.contains("stream_options") && !body["stream_options"].is_null()) {
    const json& so = body["stream_options"];
    if (!so.is_object()) return f.fail("stream_options", "'stream_options' must be an object");
    FieldReader g{so, err};
    if (!g.boolean("include_usage", &out->include_usage)) {
      err->param = "stream_options.include_usage";
      return false;
    }
  }
  return true;
}

}  // namespace hearth::server
