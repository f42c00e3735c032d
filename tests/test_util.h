// Shared helpers for tests: where the shared test data is, running the hearth binary.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace hearth::testing {

// ../shared/testdata (or $HEARTH_TESTDATA), or "" when absent.
inline std::string testdata_dir() {
  if (const char* env = std::getenv("HEARTH_TESTDATA")) return env;
  std::filesystem::path dir = HEARTH_TESTDATA_DIR;
  if (std::filesystem::is_directory(dir)) return dir.lexically_normal().string();
  return "";
}

inline std::string testdata_path(const std::string& relative) {
  return testdata_dir() + "/" + relative;
}

// Use at the top of a test that needs ../shared/testdata.
#define HEARTH_REQUIRE_TESTDATA()                                                     \
  do {                                                                                \
    if (::hearth::testing::testdata_dir().empty())                                    \
      GTEST_SKIP() << "../shared/testdata not found (set HEARTH_TESTDATA to run this)"; \
  } while (0)

inline std::string hearth_binary() { return HEARTH_BINARY; }

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `hearth <args>` through the shell (args are passed as written: quote them yourself).
inline CommandResult run_hearth(const std::string& args, const std::string& stdin_text = "") {
  namespace fs = std::filesystem;
  static int counter = 0;
  fs::path tmp = fs::temp_directory_path() /
                 ("hearth_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::create_directories(tmp);
  std::string in_path = (tmp / "in").string(), out_path = (tmp / "out").string(),
              err_path = (tmp / "err").string();
  {
    FILE* f = std::fopen(in_path.c_str(), "wb");
    std::fwrite(stdin_text.data(), 1, stdin_text.size(), f);
    std::fclose(f);
  }
  std::string cmd = "'" + hearth_binary() + "' " + args + " <'" + in_path + "' >'" + out_path +
                    "' 2>'" + err_path + "'";
  int status = std::system(cmd.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::string s;
    if (FILE* f = std::fopen(p.c_str(), "rb")) {
      char buf[65536];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
      std::fclose(f);
    }
    return s;
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  fs::remove_all(tmp);
  return result;
}

}  // namespace hearth::testing
