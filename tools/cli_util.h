// Helpers shared by the subcommands: CLI11 parsing with hearth's exit-code conventions.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "core/status.h"

namespace hearth::tools {

// Parses argv with `app`; returns -1 to continue, or the exit code to return (0 for --help,
// 2 for a usage error, with the message on stderr).
inline int parse_cli(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::printf("%s", app.help().c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "hearth %s: %s\nRun `hearth %s --help` for the options.\n",
                 app.get_name().c_str(), e.what(), app.get_name().c_str());
    return 2;
  }
  return -1;
}

// Prints "hearth CMD: <message>" to stderr and returns 1.
inline int fail(const std::string& command, const Status& status) {
  std::fprintf(stderr, "hearth %s: %s\n", command.c_str(), status.message().c_str());
  return 1;
}

}  // namespace hearth::tools
