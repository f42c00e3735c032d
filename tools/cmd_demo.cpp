// `hearth` with no command: the built-in demo on models/brown-6m-Q8_0.gguf.
#include <cstdio>

#include "command.h"

namespace hearth::tools {
namespace {

int cmd_demo(int argc, char** argv) {
  std::printf("hearth: demo model models/brown-6m-Q8_0.gguf (generation lands with `hearth run`)\n");
  return 0;
}

}  // namespace
HEARTH_COMMAND("demo", "run the built-in demo model", 0, cmd_demo);
}  // namespace hearth::tools
