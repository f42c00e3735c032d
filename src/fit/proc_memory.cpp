#include "fit/proc_memory.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/mapped_file.h"

namespace hearth::fit {
namespace {

// The value in kB of "Key:   123 kB" at the start of a line of `text`; false when absent.
bool field_kb(std::string_view text, std::string_view key, uint64_t* kb) {
  size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string_view::npos) {
    const size_t colon = pos + key.size();
    if ((pos == 0 || text[pos - 1] == '\n') && colon < text.size() && text[colon] == ':') {
      *kb = std::strtoull(std::string(text.substr(colon + 1, 32)).c_str(), nullptr, 10);
      return true;
    }
    pos = colon;
  }
  return false;
}

}  // namespace

Result<ProcMemory> parse_proc_status(std::string_view text) {
  ProcMemory m;
  const struct {
    const char* key;
    uint64_t* out;
  } fields[] = {{"VmRSS", &m.rss_bytes},
                {"VmHWM", &m.peak_rss_bytes},
                {"RssAnon", &m.anon_bytes},
                {"RssFile", &m.file_bytes}};
  for (const auto& f : fields) {
    uint64_t kb = 0;
    if (!field_kb(text, f.key, &kb))
      return corrupt_file("/proc/self/status has no ", f.key,
                          " line (is /proc mounted, is this Linux?)");
    *f.out = kb * 1024;
  }
  return m;
}

Result<ProcMemory> read_proc_memory() {
  HEARTH_ASSIGN_OR_RETURN(std::string text, read_file_to_string("/proc/self/status"));
  return parse_proc_status(text);
}

bool memory_report_enabled() {
  const char* env = std::getenv("HEARTH_MEMORY_REPORT");
  return env != nullptr && std::strcmp(env, "0") != 0 && env[0] != '\0';
}

void report_memory_stage(std::string_view stage) {
  if (!memory_report_enabled()) return;
  auto m = read_proc_memory();
  if (!m.ok()) {
    std::fprintf(stderr, "hearth memory: %.*s: %s\n", static_cast<int>(stage.size()), stage.data(),
                 m.status().message().c_str());
    return;
  }
  std::fprintf(stderr, "hearth memory: %.*s: rss %llu (anon %llu, file %llu), peak %llu bytes\n",
               static_cast<int>(stage.size()), stage.data(),
               static_cast<unsigned long long>(m->rss_bytes),
               static_cast<unsigned long long>(m->anon_bytes),
               static_cast<unsigned long long>(m->file_bytes),
               static_cast<unsigned long long>(m->peak_rss_bytes));
}

}  // namespace hearth::fit
