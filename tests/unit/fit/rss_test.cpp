// The estimate against reality: peak RSS of `hearth run` on brown-6m vs. the predicted total.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fit/gguf_source.h"
#include "test_util.h"

namespace hearth::fit {
namespace {

// Runs `hearth run` with stdout/stderr to /dev/null and returns its peak RSS in bytes (0 on
// failure).
uint64_t peak_rss_of_run(const std::string& model, int n_ctx) {
  const std::string binary = hearth::testing::hearth_binary();
  const std::string ctx = std::to_string(n_ctx);
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
    execl(binary.c_str(), binary.c_str(), "run", "-m", model.c_str(), "-p", "The jury said", "-n",
          "32", "-c", ctx.c_str(), "--temp", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (pid < 0 || wait4(pid, &status, 0, &usage) != pid) return 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 0;
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // ru_maxrss is in KiB on Linux
}

TEST(PeakRss, HearthRunOnBrown6mIsPredicted) {
  HEARTH_REQUIRE_TESTDATA();
  if (std::getenv("HEARTH_SANITIZED") != nullptr) {
    GTEST_SKIP() << "peak RSS under AddressSanitizer says nothing about a release build";
  }
  for (const char* file : {"brown-6m-f32.gguf", "brown-6m-Q8_0.gguf", "brown-6m-Q4_K_M.gguf"}) {
    const std::string path = hearth::testing::testdata_path(std::string("models/") + file);
    auto spec = spec_from_gguf_file(path);
    ASSERT_TRUE(spec.ok()) << spec.status().to_string();
    FitOptions o;
    o.n_ctx = 256;
    const uint64_t predicted = estimate_memory(*spec, o).total_bytes;
    const uint64_t measured = peak_rss_of_run(path, 256);
    ASSERT_GT(measured, 0u) << "hearth run failed on " << file;
    std::printf("%s: predicted %.1f MiB, measured peak RSS %.1f MiB\n", file, predicted / 1048576.0,
                measured / 1048576.0);
    // Never below the measurement; the goal is 5%, today within 15% (docs/FIT.md says why).
    EXPECT_GE(predicted, measured) << file;
    EXPECT_LE(static_cast<double>(predicted), 1.15 * measured) << file;
  }
}

}  // namespace
}  // namespace hearth::fit
