// `hearth run` and `hearth serve` plan their context and parallel sequences with src/fit: they
// refuse (exit 1, before binding a port) a setup that does not fit `--memory`, and choose what
// fits when the user does not say.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

extern char** environ;

namespace hearth::testing {
namespace {

// brown-6m (trained context 256) at context 256 needs ~20 MB with 1 sequence, ~38 MB with 16,
// ~50 MB with 32 (`hearth fit MODEL --ctx 256 --parallel N`): 40MB fits 16 sequences.
constexpr const char* kTightMemory = "40MB";

std::string brown() {
  return "'" + testdata_path("models/brown-6m-Q8_0.gguf") + "'";
}

TEST(RunPlan, RefusesAContextThatDoesNotFitTheMemory) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("run -t 1 -m " + brown() + " -c 256 --memory 1MB -p hi -n 4");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("of memory is available"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("needs"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(RunPlan, RefusesAHugeContextAndSaysWhatWouldFit) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("run -t 1 -m " + brown() + " -c 16000000 --memory 1GB -p hi -n 4");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("context 16000000"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("would fit (--ctx "), std::string::npos) << r.err;
  // Beyond what -c accepts at all: a usage error.
  EXPECT_EQ(run_hearth("run -m " + brown() + " -c 99999999 -p hi").exit_code, 2);
}

TEST(RunPlan, BadMemoryIsAnError) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("run -m " + brown() + " --memory lots -p hi");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--memory"), std::string::npos) << r.err;
}

TEST(RunPlan, NormalRunsStillWork) {
  HEARTH_REQUIRE_TESTDATA();
  for (const char* extra : {"", " --memory 64GB", " -c 512 --memory 64GB", " --ctx 256"}) {
    auto r = run_hearth("run -t 1 -m " + brown() + " -p 'The jury said' -n 4 --temp 0" + extra);
    EXPECT_EQ(r.exit_code, 0) << extra << ": " << r.err;
    EXPECT_FALSE(r.out.empty()) << extra;
  }
}

TEST(ServePlan, RefusesBeforeBindingWhenNothingFits) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = run_hearth("serve -m " + brown() + " --port 0 --memory 1MB");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("hearth serve: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("of memory is available"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("http://"), std::string::npos) << r.out;
  auto ctx = run_hearth("serve -m " + brown() + " --port 0 --ctx 1000000 --parallel 4 --memory " +
                        kTightMemory);
  EXPECT_EQ(ctx.exit_code, 1) << ctx.err;
  EXPECT_NE(ctx.err.find("--ctx "), std::string::npos) << ctx.err;
}

// Starts `hearth serve ARGS`, returns its first stdout line (the startup line), stops it.
std::string serve_startup_line(const std::vector<std::string>& extra) {
  int out[2];
  if (pipe(out) != 0) return "";
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
  pid_t pid = 0;
  int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  std::string line;
  char ch;
  while (rc == 0 && read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  close(out[0]);
  if (rc != 0) return "";
  // Let the server reach its accept loop before SIGTERM (a stop requested before listening is
  // lost); SIGKILL if it has not drained within 5 s.
  usleep(300 * 1000);
  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; ++i) usleep(100 * 1000);
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  return line;
}

TEST(ServePlan, ChoosesContextAndParallelThatFit) {
  HEARTH_REQUIRE_TESTDATA();
  // Plenty of memory: the defaults (the model's context up to 4096, 64 sequences).
  std::string roomy = serve_startup_line({"--memory", "64GB"});
  EXPECT_NE(roomy.find("(context 256, 64 parallel"), std::string::npos) << roomy;
  EXPECT_NE(roomy.find("needs "), std::string::npos) << roomy;
  // A tight budget: fewer sequences, still serving.
  std::string tight = serve_startup_line({"--memory", kTightMemory});
  EXPECT_NE(tight.find("http://127.0.0.1:"), std::string::npos) << tight;
  EXPECT_NE(tight.find("(context 256, 16 parallel"), std::string::npos) << tight;
}

}  // namespace
}  // namespace hearth::testing
