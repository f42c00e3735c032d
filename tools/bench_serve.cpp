// `hearth bench serve --url URL [--concurrency 1,4,16,64] [--requests N] [--prompt-tokens P]
//  [--gen-tokens G] [--shared-prefix S] [--seed S] [--json]`: a load generator for a running
//  hearth (or any OpenAI-compatible) server.
//
// For each concurrency level c: N requests (at least c) to POST /v1/completions with
// stream: true, max_tokens G, ignore_eos, temperature 0, issued by c client threads that each
// send their next request as soon as the previous one finishes. Prompts are P tokens long (cut
// from random words through the server's /tokenize and /detokenize) and differ per request; with
// --shared-prefix S their first S tokens are the same for every request (a shared system prompt,
// for the prefix cache). Reported per level: requests/s, aggregate generation tokens/s (tokens
// from usage.completion_tokens over the level's wall time), time to first token and inter-token
// latency p50/p99 (from content chunk arrivals), errors (HTTP or stream failures), and the
// steady-state decode throughput: content chunks per second while every client's request is past
// its first token (decode_window.h; comparable to llama-batched-bench's S_TG, which excludes
// prompt processing).
#include "bench_serve.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_util.h"
#include "decode_window.h"

namespace hearth::tools {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct ServeBenchOptions {
  std::string url, concurrency = "1,4,16,64", api_key;
  int requests = 64, prompt_tokens = 128, gen_tokens = 64, shared_prefix = 0, timeout_s = 600;
  uint32_t seed = 1;
  bool json_out = false;
};

struct RequestResult {
  bool ok = false;
  std::string error;
  int prompt_tokens = 0, completion_tokens = 0;
  double ttft_s = 0;
  std::vector<double> gaps_s;               // time between consecutive content chunks
  std::vector<Clock::time_point> chunk_at;  // arrival of every content chunk
};

struct LevelResult {
  int concurrency = 0, requests = 0, errors = 0;
  double wall_s = 0, req_per_s = 0, gen_tok_per_s = 0, prompt_tok_per_s = 0;
  double ttft_p50_ms = 0, ttft_p99_ms = 0, itl_p50_ms = 0, itl_p99_ms = 0;
  int64_t prompt_tokens = 0, gen_tokens = 0;
  DecodeWindow decode;  // full-decode window: every client's request past its first token
  std::string first_error;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Result<std::vector<int>> parse_levels(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 4096)
      return invalid_argument("--concurrency: '", item,
                              "' is not a number of clients in 1..4096 (e.g. 1,4,16,64)");
    out.push_back(static_cast<int>(v));
  }
  if (out.empty()) return invalid_argument("--concurrency: give at least one level, e.g. 1,4,16");
  return out;
}

httplib::Headers headers(const ServeBenchOptions& o) {
  httplib::Headers h;
  if (!o.api_key.empty()) h.emplace("Authorization", "Bearer " + o.api_key);
  return h;
}

// POSTs `body` to `path` and returns the JSON answer.
Result<json> post_json(httplib::Client& c, const ServeBenchOptions& o, const std::string& path,
                       const json& body) {
  auto r = c.Post(path, headers(o), body.dump(), "application/json");
  if (!r) return io_error(o.url, path, ": ", httplib::to_string(r.error()));
  if (r->status != 200)
    return io_error(o.url, path, " answered HTTP ", r->status, ": ", r->body.substr(0, 300));
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return io_error(o.url, path, " answered something that is not JSON");
  return j;
}

// Token ids of random words: a pool that prompts are cut from.
Result<std::vector<int32_t>> word_tokens(httplib::Client& c, const ServeBenchOptions& o,
                                         std::mt19937& rng, size_t want) {
  static const char* kWords[] = {"the",   "river", "old",   "house",  "light", "winter", "city",
                                 "sang",  "under", "green", "stone",  "quick", "letter", "north",
                                 "bread", "cloud", "seven", "market", "quiet", "garden"};
  std::vector<int32_t> out;
  while (out.size() < want) {
    std::string text;
    for (int i = 0; i < 256; ++i) text += std::string(i ? " " : "") + kWords[rng() % 20];
    HEARTH_ASSIGN_OR_RETURN(json j, post_json(c, o, "/tokenize", json{{"content", text}}));
    if (!j.contains("tokens") || !j["tokens"].is_array() || j["tokens"].empty())
      return io_error(o.url, "/tokenize answered without tokens");
    for (const json& t : j["tokens"]) out.push_back(t.get<int32_t>());
  }
  out.resize(want);
  return out;
}

Result<std::string> detokenize(httplib::Client& c, const ServeBenchOptions& o,
                               const std::vector<int32_t>& tokens) {
  HEARTH_ASSIGN_OR_RETURN(json j, post_json(c, o, "/detokenize", json{{"tokens", tokens}}));
  if (!j.contains("content") || !j["content"].is_string())
    return io_error(o.url, "/detokenize answered without content");
  return j["content"].get<std::string>();
}

// n prompts of prompt_tokens tokens; the first shared_prefix tokens the same in all of them.
Result<std::vector<std::string>> make_prompts(const ServeBenchOptions& o, int n) {
  httplib::Client c(o.url);
  c.set_read_timeout(o.timeout_s, 0);
  std::mt19937 rng(o.seed);
  const int shared = std::min(o.shared_prefix, o.prompt_tokens);
  HEARTH_ASSIGN_OR_RETURN(std::vector<int32_t> prefix,
                          word_tokens(c, o, rng, static_cast<size_t>(shared)));
  const size_t own = static_cast<size_t>(o.prompt_tokens - shared);
  HEARTH_ASSIGN_OR_RETURN(std::vector<int32_t> pool, word_tokens(c, o, rng, own * n + 1));
  std::vector<std::string> prompts;
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> t = prefix;  // (prompt_tokens)
    t.insert(t.end(), pool.begin() + static_cast<long>(own * i),
             pool.begin() + static_cast<long>(own * (i + 1)));
    HEARTH_ASSIGN_OR_RETURN(std::string text, detokenize(c, o, t));
    prompts.push_back(std::move(text));
  }
  return prompts;
}

// Reads the SSE lines of one streamed completion as they arrive.
struct SseReader {
  std::string pending;
  Clock::time_point start, last;
  RequestResult* out;
  bool done = false, any_content = false;

  void line(const std::string& l) {
    if (l.rfind("data: ", 0) != 0) return;
    const std::string data = l.substr(6);
    if (data == "[DONE]") return void(done = true);
    json j = json::parse(data, nullptr, false);
    if (j.is_discarded()) return;
    if (j.contains("error")) return void(out->error = j["error"].dump());
    if (j.contains("usage") && j["usage"].is_object()) {
      out->prompt_tokens = j["usage"].value("prompt_tokens", 0);
      out->completion_tokens = j["usage"].value("completion_tokens", 0);
    }
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) return;
    const json& ch = j["choices"][0];
    if (!ch.contains("text") || !ch["text"].is_string() || ch["text"].get<std::string>().empty())
      return;
    const Clock::time_point now = Clock::now();
    if (!any_content)
      out->ttft_s = std::chrono::duration<double>(now - start).count();
    else
      out->gaps_s.push_back(std::chrono::duration<double>(now - last).count());
    any_content = true;
    last = now;
    out->chunk_at.push_back(now);
  }
  bool feed(const char* data, size_t n) {
    pending.append(data, n);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string l = pending.substr(0, nl);
      if (!l.empty() && l.back() == '\r') l.pop_back();
      pending.erase(0, nl + 1);
      line(l);
    }
    return true;
  }
};

RequestResult run_request(httplib::Client& c, const ServeBenchOptions& o,
                          const std::string& prompt) {
  RequestResult res;
  const json body = {{"prompt", prompt}, {"max_tokens", o.gen_tokens},
                     {"temperature", 0}, {"ignore_eos", true},
                     {"stream", true},   {"stream_options", {{"include_usage", true}}}};
  SseReader reader;
  reader.out = &res;
  reader.start = Clock::now();
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.headers = headers(o);
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  int status = 0;
  std::string error_body;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (status != 200) return error_body.append(data, n), true;
    return reader.feed(data, n);
  };
  auto r = c.send(req);
  if (!r) {
    res.error = "connection: " + httplib::to_string(r.error());
  } else if (status != 200) {
    res.error = "HTTP " + std::to_string(status) + ": " + error_body.substr(0, 200);
  } else if (!res.error.empty()) {
    res.error = "stream error: " + res.error;
  } else if (!reader.done) {
    res.error = "the stream ended without data: [DONE]";
  } else if (res.completion_tokens == 0) {
    res.error = "no usage chunk with completion_tokens";
  } else {
    res.ok = true;
  }
  return res;
}

LevelResult run_level(const ServeBenchOptions& o, int concurrency,
                      const std::vector<std::string>& prompts) {
  const int n = static_cast<int>(prompts.size());
  std::vector<RequestResult> results(static_cast<size_t>(n));
  std::atomic<int> next{0};
  const Clock::time_point t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      httplib::Client c(o.url);
      c.set_read_timeout(o.timeout_s, 0);
      c.set_connection_timeout(30, 0);
      for (int i = next++; i < n; i = next++)
        results[static_cast<size_t>(i)] = run_request(c, o, prompts[static_cast<size_t>(i)]);
    });
  }
  for (std::thread& t : threads) t.join();
  LevelResult L;
  L.concurrency = concurrency;
  L.requests = n;
  L.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> ttft, gaps;
  std::vector<DecodeTrace> traces;  // (successful requests) decode intervals and chunk arrivals
  const auto since = [&](Clock::time_point t) {
    return std::chrono::duration<double>(t - t0).count();
  };
  for (const RequestResult& r : results) {
    if (!r.ok) {
      if (L.errors++ == 0) L.first_error = r.error;
      continue;
    }
    if (!r.chunk_at.empty()) {
      DecodeTrace t{since(r.chunk_at.front()), since(r.chunk_at.back()), {}};
      for (size_t i = 1; i < r.chunk_at.size(); ++i) t.arrivals_s.push_back(since(r.chunk_at[i]));
      traces.push_back(std::move(t));
    }
    L.prompt_tokens += r.prompt_tokens;
    L.gen_tokens += r.completion_tokens;
    ttft.push_back(r.ttft_s);
    gaps.insert(gaps.end(), r.gaps_s.begin(), r.gaps_s.end());
  }
  L.req_per_s = (n - L.errors) / L.wall_s;
  L.gen_tok_per_s = static_cast<double>(L.gen_tokens) / L.wall_s;
  L.prompt_tok_per_s = static_cast<double>(L.prompt_tokens) / L.wall_s;
  L.ttft_p50_ms = percentile(ttft, 0.50) * 1e3;
  L.ttft_p99_ms = percentile(ttft, 0.99) * 1e3;
  L.itl_p50_ms = percentile(gaps, 0.50) * 1e3;
  L.itl_p99_ms = percentile(gaps, 0.99) * 1e3;
  L.decode = full_decode_window(traces, concurrency);
  return L;
}

void print_levels(const ServeBenchOptions& o, const std::vector<LevelResult>& levels) {
  if (o.json_out) {
    json j = {{"url", o.url},
              {"prompt_tokens", o.prompt_tokens},
              {"gen_tokens", o.gen_tokens},
              {"shared_prefix", o.shared_prefix},
              {"levels", json::array()}};
    for (const LevelResult& L : levels) {
      j["levels"].push_back({{"concurrency", L.concurrency},
                             {"requests", L.requests},
                             {"errors", L.errors},
                             {"first_error", L.first_error},
                             {"wall_s", L.wall_s},
                             {"requests_per_s", L.req_per_s},
                             {"gen_tokens", L.gen_tokens},
                             {"gen_tokens_per_s", L.gen_tok_per_s},
                             {"prompt_tokens", L.prompt_tokens},
                             {"prompt_tokens_per_s", L.prompt_tok_per_s},
                             {"ttft_p50_ms", L.ttft_p50_ms},
                             {"ttft_p99_ms", L.ttft_p99_ms},
                             {"itl_p50_ms", L.itl_p50_ms},
                             {"itl_p99_ms", L.itl_p99_ms},
                             {"decode_window_s", L.decode.window_s},
                             {"decode_tokens", L.decode.tokens},
                             {"decode_tokens_per_s", L.decode.tokens_per_s()}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s: prompt %d tokens (%d shared), generate %d tokens\n", o.url.c_str(),
              o.prompt_tokens, o.shared_prefix, o.gen_tokens);
  std::printf("%5s %5s %7s %8s %9s %9s %8s %10s %10s %9s %9s %6s\n", "conc", "reqs", "wall_s",
              "req/s", "gen_t/s", "decode_t/s", "window_s", "ttft_p50", "ttft_p99", "itl_p50",
              "itl_p99", "errors");
  for (const LevelResult& L : levels) {
    std::printf("%5d %5d %7.2f %8.3f %9.2f %10.2f %8.2f %8.0fms %8.0fms %7.1fms %7.1fms %6d\n",
                L.concurrency, L.requests, L.wall_s, L.req_per_s, L.gen_tok_per_s,
                L.decode.tokens_per_s(), L.decode.window_s, L.ttft_p50_ms, L.ttft_p99_ms,
                L.itl_p50_ms, L.itl_p99_ms, L.errors);
    if (L.errors > 0) std::printf("      first error: %s\n", L.first_error.c_str());
  }
}

}  // namespace

int cmd_bench_serve(int argc, char** argv) {
  CLI::App app{"Load-tests a running server through its streaming /v1/completions endpoint"};
  app.name("bench serve");
  ServeBenchOptions o;
  app.add_option("--url", o.url, "server base URL, e.g. http://127.0.0.1:8080")->required();
  app.add_option("--concurrency", o.concurrency,
                 "comma-separated client counts (default 1,4,16,64)");
  app.add_option("--requests", o.requests, "requests per level (at least the level's clients)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--prompt-tokens", o.prompt_tokens, "prompt length in tokens")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--gen-tokens", o.gen_tokens, "tokens generated per request")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--shared-prefix", o.shared_prefix,
                 "first tokens of every prompt that are the same (a shared system prompt)")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--seed", o.seed, "seed of the random prompts");
  app.add_option("--timeout", o.timeout_s, "seconds to wait for one response")
      ->check(CLI::Range(1, 86400));
  app.add_option("--api-key", o.api_key, "sent as 'Authorization: Bearer KEY'");
  app.add_flag("--json", o.json_out, "print JSON instead of a table");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0)
    return fail("bench serve",
                invalid_argument("--url '", o.url, "' must start with http:// or https://"));
  while (!o.url.empty() && o.url.back() == '/') o.url.pop_back();
  if (o.shared_prefix > o.prompt_tokens)
    return fail("bench serve",
                invalid_argument("--shared-prefix ", o.shared_prefix,
                                 " is longer than --prompt-tokens ", o.prompt_tokens));
  auto levels = parse_levels(o.concurrency);
  if (!levels.ok()) return fail("bench serve", levels.status());
  std::vector<LevelResult> results;
  for (int c : *levels) {
    auto prompts = make_prompts(o, std::max(o.requests, c));
    if (!prompts.ok()) return fail("bench serve", prompts.status());
    o.seed += 7919;  // fresh prompts per level: no prefix-cache hits across levels
    results.push_back(run_level(o, c, *prompts));
    const LevelResult& L = results.back();  // progress: a long run can be read level by level
    std::fprintf(stderr,
                 "concurrency %d: %d requests in %.2f s, %.3f req/s, %.2f gen t/s, decode %.2f "
                 "t/s over %.2f s, ttft p50 %.0f ms p99 %.0f ms, itl p50 %.1f ms p99 %.1f ms, %d "
                 "errors\n",
                 L.concurrency, L.requests, L.wall_s, L.req_per_s, L.gen_tok_per_s,
                 L.decode.tokens_per_s(), L.decode.window_s, L.ttft_p50_ms, L.ttft_p99_ms,
                 L.itl_p50_ms, L.itl_p99_ms, L.errors);
  }
  print_levels(o, results);
  for (const LevelResult& L : results)
    if (L.errors > 0) return 1;
  return 0;
}

}  // namespace hearth::tools
