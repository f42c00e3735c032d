// `hearth serve` as a real process on brown-6m: ready on /health, answers OpenAI and Ollama
// requests, exits 0 on SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

extern char** environ;

namespace hearth::testing {
namespace {

using json = nlohmann::json;

// Starts `hearth serve` on brown-6m with `extra` arguments; returns its pid and port.
struct Served {
  pid_t pid = 0;
  int port = 0;
};

Served spawn_serve(const std::vector<std::string>& extra) {
  Served s;
  int out[2];
  if (pipe(out) != 0) return s;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  std::string bin = hearth_binary(), model = testdata_path("models/brown-6m-Q8_0.gguf");
  std::vector<std::string> args = {bin, "serve", "-m", model, "--port", "0", "--threads", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int spawned = posix_spawn(&s.pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  std::string line;
  char ch;
  while (spawned == 0 && read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  close(out[0]);
  const size_t colon = line.find("127.0.0.1:");
  if (colon != std::string::npos) s.port = std::stoi(line.substr(colon + 10));
  return s;
}

double metric(httplib::Client& c, const std::string& name) {
  auto r = c.Get("/metrics");
  if (!r) return -1;
  const size_t at = r->body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(r->body.substr(at + name.size() + 2));
}

// A second request sharing a long prompt start skips those positions (prefix cache) and answers
// exactly as the first one did, and as a server without the prefix cache does.
TEST(ServeCli, PrefixCacheHitGivesTheSameText) {
  HEARTH_REQUIRE_TESTDATA();
  std::string system;
  for (int i = 0; i < 12; ++i)
    system += "The committee met in the old hall and voted on the plan. ";
  std::vector<std::string> texts;
  for (bool cache : {true, false}) {
    std::vector<std::string> extra = {"--parallel", "4", "--ctx", "256"};
    if (!cache) extra.push_back("--no-prefix-cache");
    Served s = spawn_serve(extra);
    ASSERT_GT(s.port, 0);
    httplib::Client c("127.0.0.1", s.port);
    c.set_read_timeout(120, 0);
    for (int i = 0; i < 2; ++i) {
      json body = {{"prompt", system + "Then the jury said"},
                   {"max_tokens", 12},
                   {"temperature", 0},
                   {"ignore_eos", true}};
      auto r = c.Post("/v1/completions", body.dump(), "application/json");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << r->body;
      texts.push_back(json::parse(r->body)["choices"][0]["text"].get<std::string>());
      const double hits = metric(c, "hearth_prefix_cache_hit_tokens_total");
      if (i == 0 || !cache) {
        EXPECT_EQ(hits, 0) << "request " << i;
      }
      if (i == 1 && cache) {
        EXPECT_GE(hits, 96) << "the second request shares 100+ tokens";
      }
    }
    kill(s.pid, SIGTERM);
    int status = 0;
    waitpid(s.pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ASSERT_EQ(texts.size(), 4u);
  EXPECT_FALSE(texts[0].empty());
  for (size_t i = 1; i < texts.size(); ++i) EXPECT_EQ(texts[i], texts[0]) << "answer " << i;
}

// `hearth bench serve` against a served brown-6m: every level reports its requests, the exact
// generated token count (ignore_eos) and no errors; bad options are clear errors.
TEST(ServeCli, BenchServeMeasuresAServer) {
  HEARTH_REQUIRE_TESTDATA();
  Served s = spawn_serve({"--parallel", "4", "--ctx", "128"});
  ASSERT_GT(s.port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(s.port);
  CommandResult r = run_hearth("bench serve --url " + url +
                               " --concurrency 1,3 --requests 2 --prompt-tokens 24 "
                               "--gen-tokens 5 --shared-prefix 16 --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_EQ(j["levels"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const json& L = j["levels"][i];
    const int n = i == 0 ? 2 : 3;  // at least one request per client
    EXPECT_EQ(L["concurrency"], i == 0 ? 1 : 3);
    EXPECT_EQ(L["requests"], n);
    EXPECT_EQ(L["errors"], 0) << L["first_error"];
    EXPECT_EQ(L["gen_tokens"], 5 * n);
    EXPECT_GE(L["prompt_tokens"].get<int>(), 24 * n);
    EXPECT_GT(L["gen_tokens_per_s"].get<double>(), 0);
    EXPECT_GT(L["ttft_p50_ms"].get<double>(), 0);
    EXPECT_GE(L["ttft_p99_ms"].get<double>(), L["ttft_p50_ms"].get<double>());
    // The full-decode window lies inside the level and counts tokens after the first ones.
    EXPECT_GE(L["decode_window_s"].get<double>(), 0);
    EXPECT_LE(L["decode_window_s"].get<double>(), L["wall_s"].get<double>());
    EXPECT_LE(L["decode_tokens"].get<int>(), 4 * n);
    if (i == 0) {  // one client: always in its decode window
      EXPECT_GT(L["decode_tokens_per_s"].get<double>(), 0);
    }
  }
  CommandResult bad = run_hearth("bench serve --url " + url + " --concurrency 1,x");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("'x'"), std::string::npos) << bad.err;
  kill(s.pid, SIGTERM);
  int status = 0;
  waitpid(s.pid, &status, 0);
  // Nothing listens there: every request fails, counted, exit code 1.
  CommandResult down = run_hearth("bench serve --url " + url + " --concurrency 1 --requests 1");
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find(url), std::string::npos) << down.err;
}

TEST(ServeCli, ServesBrownAndStopsOnSigterm) {
  HEARTH_REQUIRE_TESTDATA();
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  std::string bin = hearth_binary(), model = testdata_path("models/brown-6m-Q8_0.gguf");
  std::vector<std::string> args = {bin,          "serve", "-m",    model, "--port",    "0",
                                   "--parallel", "4",     "--ctx", "256", "--threads", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ASSERT_EQ(spawned, 0);
  close(out[1]);
  // First stdout line: "hearth serve: NAME on http://127.0.0.1:PORT (...)".
  std::string line;
  char ch;
  while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  close(out[0]);
  size_t colon = line.find("127.0.0.1:");
  ASSERT_NE(colon, std::string::npos) << line;
  int port = std::stoi(line.substr(colon + 10));
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  json body = {{"prompt", "The jury said"}, {"max_tokens", 8}, {"temperature", 0}};
  auto r = c.Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["usage"]["completion_tokens"], 8);
  EXPECT_FALSE(j["choices"][0]["text"].get<std::string>().empty());
  // Greedy is deterministic: the same request twice, and inside concurrent traffic.
  auto again = c.Post("/v1/completions", body.dump(), "application/json");
  EXPECT_EQ(json::parse(again->body)["choices"][0]["text"], j["choices"][0]["text"]);
  auto gen = c.Post("/api/generate",
                    json{{"model", "brown-6m-Q8_0"},
                         {"prompt", "Hello"},
                         {"stream", false},
                         {"options", {{"num_predict", 4}}}}
                        .dump(),
                    "application/json");
  ASSERT_TRUE(gen);
  EXPECT_EQ(gen->status, 200) << gen->body;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace hearth::testing
