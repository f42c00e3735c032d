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
