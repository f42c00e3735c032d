// `hearth bench serve ...`: the HTTP load generator (bench_serve.cpp), a sub-mode of `hearth
// bench`.
#pragma once

namespace hearth::tools {

// argv[0] is "serve"; returns the process exit code (1 when any request failed).
int cmd_bench_serve(int argc, char** argv);

}  // namespace hearth::tools
