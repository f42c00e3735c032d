// hearth: one binary, many subcommands. `hearth --help` lists them.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "command.h"

namespace hearth::tools {

std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}

namespace {

void print_help() {
  auto commands = command_registry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.order < b.order; });
  std::printf(
      "hearth - local LLM inference engine and server\n\n"
      "Usage: hearth <command> [options]\n"
      "       hearth              run the built-in demo model (models/brown-6m-Q8_0.gguf)\n\n"
      "Commands:\n");
  for (const auto& c : commands) std::printf("  %-12s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\n`hearth <command> --help` lists the options of a command.\n");
}

}  // namespace
}  // namespace hearth::tools

int main(int argc, char** argv) {
  using namespace hearth::tools;
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
                    std::strcmp(argv[1], "help") == 0)) {
    print_help();
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("hearth 0.1.0\n");
    return 0;
  }
  std::string name = argc >= 2 ? argv[1] : "demo";
  for (const auto& c : command_registry()) {
    if (c.name == name) return c.fn(argc >= 2 ? argc - 1 : 1, argc >= 2 ? argv + 1 : argv);
  }
  std::fprintf(stderr, "hearth: unknown command '%s' (see `hearth --help`)\n", name.c_str());
  return 2;
}
