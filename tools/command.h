// Subcommand registry: each tools/cmd_NAME.cpp registers itself with HEARTH_COMMAND.
// (tools/ sources are linked straight into the executable, so static registration is kept.)
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace hearth::tools {

// argv[0] is the subcommand name; returns the process exit code (0 ok, 1 error, 2 usage).
using CommandFn = int (*)(int argc, char** argv);

struct Command {
  std::string name;
  std::string summary;
  int order;  // position in `hearth --help`
  CommandFn fn;
};

std::vector<Command>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, int order, CommandFn fn) {
    command_registry().push_back({name, summary, order, fn});
  }
};

}  // namespace hearth::tools

#define HEARTH_COMMAND(name, summary, order, fn) \
  static ::hearth::tools::CommandRegistrar hearth_registrar_##fn(name, summary, order, fn)
