#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace hearth {
namespace {
LogLevel initial_level() {
  const char* env = std::getenv("HEARTH_LOG_LEVEL");
  if (env == nullptr) return LogLevel::kInfo;
  if (std::strcmp(env, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(env, "warn") == 0) return LogLevel::kWarn;
  if (std::strcmp(env, "error") == 0) return LogLevel::kError;
  if (std::strcmp(env, "quiet") == 0) return LogLevel::kQuiet;
  return LogLevel::kInfo;
}
std::atomic<LogLevel> g_level{initial_level()};
std::mutex g_log_mutex;
}  // namespace

void set_log_level(LogLevel level) { g_level.store(level); }
LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }

void log_message(LogLevel level, const std::string& message) {
  static const char* kTags[] = {"debug", "info", "warn", "error", ""};
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::fprintf(stderr, "hearth %s: %s\n", kTags[static_cast<int>(level)], message.c_str());
}

}  // namespace hearth
