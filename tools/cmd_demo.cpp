// `hearth` with no command: the built-in demo. Generates a few sentences from
// models/brown-6m-Q8_0.gguf (a 6.8M-parameter model trained on the 1961 Brown corpus), found
// next to the executable (build/../models/, <exe dir>/models/) or under the current directory.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli_util.h"
#include "command.h"
#include "generate.h"
#include "model_loader.h"

namespace hearth::tools {
namespace {

constexpr const char* kDemoModel = "models/brown-6m-Q8_0.gguf";

std::string find_demo_model() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / ".." / kDemoModel);
    candidates.push_back(exe.parent_path() / kDemoModel);
  }
  candidates.push_back(fs::current_path(ec) / kDemoModel);
  for (const fs::path& p : candidates)
    if (fs::is_regular_file(p, ec)) return p.lexically_normal().string();
  return "";
}

int cmd_demo(int argc, char** argv) {
  const std::string path = find_demo_model();
  if (path.empty())
    return fail("demo", not_found(kDemoModel,
                                  " was not found next to the executable or in the "
                                  "current directory; try `hearth run -m MODEL -p TEXT`"));
  auto loaded = load_model_and_tokenizer(path);
  if (!loaded.ok()) return fail("demo", loaded.status());
  std::fprintf(stderr, "hearth demo: %s (%s)\n`hearth --help` lists the commands.\n\n",
               path.c_str(), loaded->model->config().summary().c_str());
  ThreadPool pool(resolve_threads(0, *loaded->model));
  model::Session session(*loaded->model, pool, loaded->model->config().n_ctx_train);
  sampling::SamplerParams sp;
  sp.temperature = 0.7f;
  sp.repeat_penalty = 1.1f;
  sp.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  sampling::Sampler sampler(sp);
  const std::string prompt = "The jury said that the city";
  std::printf("%s", prompt.c_str());
  std::vector<int32_t> tokens = loaded->tokenizer->encode(prompt, true);
  GenerateStats stats;
  Status s = generate(
      session, *loaded->tokenizer, sampler, tokens, GenerateOptions{120, {}, false},
      [](std::string_view t) {
        std::fwrite(t.data(), 1, t.size(), stdout);
        std::fflush(stdout);
      },
      stats);
  std::printf("\n");
  if (!s.ok()) return fail("demo", s);
  std::fprintf(stderr, "\n[%s]\n", stats.summary().c_str());
  return 0;
}

}  // namespace
HEARTH_COMMAND("demo", "run the built-in demo model", 0, cmd_demo);
}  // namespace hearth::tools
