// Reading and checking the fields of OpenAI request bodies (sampling, n, logprobs, messages).
// Every wrong field gives a message naming it and the `param` of the OpenAI error object.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/request.h"

namespace hearth::server {

constexpr int kMaxChoices = 16;      // largest `n`
constexpr int kMaxTopLogprobs = 20;  // largest `top_logprobs` / completions `logprobs`

struct OpenAIRequest {
  engine::SamplingParams params;  // params.logprobs: -1 off, else the top alternatives asked
  int n = 1;
  bool stream = false, include_usage = false;
};

struct ParamError {
  std::string message, param;
};

// Reads the sampling fields, n, logprobs / top_logprobs (chat: logprobs bool + top_logprobs
// 0..20; completions: logprobs 0..20), stream and stream_options. False with `err` filled.
bool read_openai_request(const nlohmann::json& body, bool chat, OpenAIRequest* out,
                         ParamError* err);

}  // namespace hearth::server
