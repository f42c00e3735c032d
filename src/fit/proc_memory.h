// The resident memory of this process, from /proc/self/status, to check the estimate against.
//   HEARTH_MEMORY_REPORT=1 makes `hearth run` print one line per stage (plan, model loaded,
//   KV cache allocated, done) to stderr: current RSS, its anonymous and file-backed parts, and the
//   peak so far (VmHWM). docs/FIT.md uses these lines to split the peak into the estimate's items.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace hearth::fit {

struct ProcMemory {
  uint64_t rss_bytes = 0;       // VmRSS
  uint64_t peak_rss_bytes = 0;  // VmHWM: the most VmRSS has been
  uint64_t anon_bytes = 0;      // RssAnon: heap, stacks, repacked weights, KV cache
  uint64_t file_bytes = 0;      // RssFile: mapped pages of the GGUF file and of the binary
};

// Parses the text of a /proc/<pid>/status file; an error names the missing field.
Result<ProcMemory> parse_proc_status(std::string_view text);
Result<ProcMemory> read_proc_memory();

// True when HEARTH_MEMORY_REPORT is set to something other than "0".
bool memory_report_enabled();
// When enabled, prints "hearth memory: <stage>: rss ... (anon ..., file ...), peak ..." to stderr.
void report_memory_stage(std::string_view stage);

}  // namespace hearth::fit
