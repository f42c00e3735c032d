// `hearth serve -m MODEL [--host 127.0.0.1] [--port 8080] [--parallel N] [--ctx N] [--api-key KEY]
//  [--chat-format NAME] [--chat-template-file FILE] [--kv-tokens N] [--threads N]
//  [--memory SIZE] [--no-prefix-cache]`: the OpenAI- and Ollama-compatible server. Every engine
//  step is one batched forward pass over all running requests, with K/V in one paged store
//  (engine/model_forward.h) sized by the fit plan: context x parallel tokens unless --kv-tokens
//  says otherwise.
// Ready when GET /health answers 200. SIGTERM / SIGINT: new generations get 503, the streams in
// flight finish, then the process exits.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

#include "cli_util.h"
#include "command.h"
#include "core/log.h"
#include "core/thread_pool.h"
#include "engine/engine.h"
#include "engine/model_forward.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "model_loader.h"
#include "server/server.h"
#include "server/tokenizer_adapter.h"
#include "tokenizer/tokenizer.h"

namespace hearth::tools {
namespace {

constexpr int64_t kMaxDefaultCtx = 4096;  // context chosen when --ctx is not given, at most
constexpr int64_t kMaxParallel = 64;      // sequences chosen when --parallel is not given, at most

struct ServeOptions {
  std::string model, host = "127.0.0.1", api_key, chat_format, chat_template_file, memory;
  int port = 8080, parallel = 0, ctx = 0, kv_tokens = 0, threads = 0;  // 0: chosen by the plan
  bool no_prefix_cache = false;
};

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

server::ModelInfo model_info(const gguf::File& file, const std::string& path) {
  server::ModelInfo m;
  m.path = path;
  m.architecture = file.get_string_or("general.architecture", "llama");
  std::string stem = path.substr(path.find_last_of('/') + 1);
  m.name = stem.size() > 5 && stem.ends_with(".gguf") ? stem.substr(0, stem.size() - 5) : stem;
  m.chat_template = file.get_string_or("tokenizer.chat_template", "");
  m.size_bytes = file.file_size();
  int64_t n_params = 0;
  for (const auto& t : file.tensors()) n_params += t.n_elements();
  m.parameter_size = n_params >= 1000000000 ? str_cat(n_params / 100000000 / 10.0, "B")
                                            : str_cat(n_params / 100000 / 10.0, "M");
  return m;
}

// Blocks SIGTERM/SIGINT in every thread and waits for one on a dedicated thread.
// `run_returned` is set once Server::run() has returned: a stop() that lands before the server
// reaches its accept loop is lost, so stop() is repeated until run() is really over.
void drain_on_signal(server::Server& srv, engine::Engine& engine,
                     const std::atomic<bool>& run_returned) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  log_info("hearth serve: signal ", sig, ": finishing the requests in flight");
  srv.set_draining(true);
  for (;;) {
    engine::EngineStats st = engine.stats();
    if (st.running == 0 && st.waiting == 0 && srv.in_flight() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  while (!run_returned.load()) {
    srv.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int run_serve(const ServeOptions& o) {
  if (!is_loopback(o.host) && o.api_key.empty())
    log_warn("hearth serve: listening on ", o.host,
             " without --api-key: anyone who can reach it can use it");
  std::optional<server::ChatFormat> forced;
  if (!o.chat_format.empty()) {
    forced = server::parse_chat_format(o.chat_format);
    if (!forced)
      return fail("serve", invalid_argument("unknown --chat-format '", o.chat_format,
                                            "' (chatml, llama-2, llama-3, mistral, gemma, phi-3)"));
  }
  std::string chat_template;
  if (!o.chat_template_file.empty()) {
    std::ifstream in(o.chat_template_file, std::ios::binary);
    if (!in)
      return fail("serve", not_found("cannot read --chat-template-file ", o.chat_template_file));
    chat_template.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    auto parsed = server::ChatPrompter::create(chat_template, forced, "", "");
    if (!parsed.ok())
      return fail("serve", invalid_argument(o.chat_template_file, ": ", parsed.status().message()));
  }
  // Refused before loading when the setup cannot fit; what was not given is chosen to fit.
  auto plan = plan_context(o.model, o.ctx, o.parallel, o.memory, kMaxDefaultCtx, kMaxParallel);
  if (!plan.ok()) return fail("serve", plan.status());
  auto loaded = load_model_and_tokenizer(o.model);
  if (!loaded.ok()) return fail("serve", loaded.status());
  const gguf::File& file = loaded->model->file();
  server::ModelInfo info = model_info(file, o.model);
  const int ctx = static_cast<int>(plan->n_ctx);
  const int parallel = static_cast<int>(plan->n_parallel);
  // The plan fitted n_ctx x n_parallel tokens of KV into memory; the paged store holds that many.
  const int64_t kv_tokens = o.kv_tokens > 0 ? o.kv_tokens : plan->n_ctx * plan->n_parallel;
  if (kv_tokens < ctx)
    return fail("serve", invalid_argument("--kv-tokens ", kv_tokens,
                                          " cannot hold one request of the context of ", ctx,
                                          " tokens: give at least --kv-tokens ", ctx));

  engine::EngineConfig ec;
  ec.sched.max_model_len = ctx;
  ec.sched.max_num_seqs = parallel;
  // Every running request's decode token rides in every step, with room left for a prefill chunk
  // big enough to keep the GEMM efficient (>= 64 rows).
  ec.sched.max_tokens_per_step = std::max(512, parallel + 64);
  ec.n_blocks = static_cast<int>((kv_tokens + kv::kBlockSize - 1) / kv::kBlockSize);
  ec.prefix_cache = !o.no_prefix_cache;
  ThreadPool pool(resolve_threads(o.threads, *loaded->model));
  engine::ModelForward forward(*loaded->model, pool, ec.n_blocks);
  server::GgufTokenizer tokenizer(*loaded->tokenizer);
  engine::Engine engine(ec, forward, tokenizer);

  server::ServerConfig sc;
  sc.model = info;
  sc.n_ctx = ctx;
  sc.parallel = parallel;
  sc.api_key = o.api_key;
  sc.chat_format = forced;
  sc.chat_template = chat_template;
  server::Server srv(sc, engine, tokenizer);
  auto port = srv.bind(o.host, o.port);
  if (!port.ok()) return fail("serve", port.status());

  sigset_t set;  // handled by the drain thread only
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  engine.start();
  srv.set_ready(true);
  std::atomic<bool> run_returned{false};
  std::thread drain([&] { drain_on_signal(srv, engine, run_returned); });
  std::printf(
      "hearth serve: %s on http://%s:%d (context %d, %d parallel, %d KV blocks = %s, prefix "
      "cache %s, chat %s, needs %s of %s)\n",
      info.name.c_str(), o.host.c_str(), *port, ctx, parallel, ec.n_blocks,
      fit::format_bytes(forward.storage().shape().bytes()).c_str(), ec.prefix_cache ? "on" : "off",
      srv.prompter().describe().c_str(), fit::format_bytes(plan->memory.total_bytes).c_str(),
      fit::format_bytes(plan->memory_bytes).c_str());
  std::fflush(stdout);
  srv.run();
  run_returned.store(true);
  pthread_kill(drain.native_handle(), SIGTERM);  // run() ended on its own: release the drain thread
  drain.join();
  engine.stop();
  return 0;
}

int cmd_serve(int argc, char** argv) {
  CLI::App app{"Serve a model over OpenAI- and Ollama-compatible HTTP APIs", "serve"};
  ServeOptions o;
  app.add_option("-m,--model", o.model, "GGUF model file")->required();
  app.add_option("--host", o.host, "address to bind (default 127.0.0.1)");
  app.add_option("--port", o.port, "port (default 8080; 0 = any free port)");
  app.add_option("--parallel", o.parallel,
                 "sequences computed together (default: 64, fewer if that does not fit --memory)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--ctx", o.ctx,
                 "context length per request (default: the model's, at most 4096, less if that "
                 "does not fit --memory)")
      ->check(CLI::Range(16, 1 << 20));
  app.add_option("--memory", o.memory,
                 "memory to fit in, e.g. 8GB (default: this machine's available memory)");
  app.add_option("--kv-tokens", o.kv_tokens, "KV cache size in tokens, shared by all requests")
      ->check(CLI::Range(16, 1 << 26));
  app.add_flag("--no-prefix-cache", o.no_prefix_cache,
               "recompute shared prompt prefixes instead of reusing their KV blocks");
  app.add_option("--threads", o.threads, "compute threads (default: all cores)");
  app.add_option("--api-key", o.api_key, "require 'Authorization: Bearer KEY'");
  app.add_option("--chat-format", o.chat_format,
                 "chatml | llama-2 | llama-3 | mistral | gemma | phi-3: a fixed format instead of "
                 "the model's Jinja chat template");
  app.add_option("--chat-template-file", o.chat_template_file,
                 "a Jinja chat template to use instead of the model's (tokenizer.chat_template)");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  return run_serve(o);
}

}  // namespace
HEARTH_COMMAND("serve", "serve a model over OpenAI- and Ollama-compatible HTTP", 20, cmd_serve);
}  // namespace hearth::tools
