#!/usr/bin/env python3
"""Runs the official npm clients (openai, ollama) against a real `hearth serve` on loopback.

Usage: run_clients.py HEARTH_BINARY MODEL [TEST.mjs ...] [--server-args "ARGS"]
Starts `hearth serve -m MODEL --port 0`, reads the bound port from its first stdout line, waits
for GET /health, runs `node --test` over the given scripts with HEARTH_URL set, then stops the
server with SIGTERM. Exits 77 (ctest SKIP_RETURN_CODE) when node or tests/clients/node_modules is
missing (a clone without npm: run `npm ci` in tests/clients).
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))


def wait_health(url, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def main(argv):
    server_args = []
    if "--server-args" in argv:
        i = argv.index("--server-args")
        server_args = shlex.split(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, model, scripts = argv[1], argv[2], argv[3:]
    node = shutil.which("node")
    if node is None:
        print("SKIP: node is not installed (apt install nodejs npm)")
        return SKIP
    for pkg in ("openai", "ollama"):
        if not os.path.isdir(os.path.join(HERE, "node_modules", pkg)):
            print(f"SKIP: tests/clients/node_modules/{pkg} is missing (run `npm ci` in tests/clients)")
            return SKIP
    if "--chat-template-file" in server_args:
        tmpl = server_args[server_args.index("--chat-template-file") + 1]
        if not os.path.isfile(tmpl):
            print(f"SKIP: {tmpl} is missing (../shared/testdata)")
            return SKIP
    if not os.path.isfile(model):
        print(f"error: model {model} not found", file=sys.stderr)
        return 1
    cmd = [binary, "serve", "-m", model, "--port", "0", "--parallel", "8", "--ctx", "2048",
           "--threads", "1"] + server_args
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    result = 1
    try:
        line = proc.stdout.readline()
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            print(f"error: `{' '.join(cmd)}` did not print its address: {line!r}", file=sys.stderr)
            return 1
        url = f"http://127.0.0.1:{m.group(1)}"
        if not wait_health(url, proc):
            print(f"error: {url}/health never answered 200", file=sys.stderr)
            return 1
        env = dict(os.environ, HEARTH_URL=url,
                   HEARTH_MODEL=os.path.basename(model).removesuffix(".gguf"))
        paths = [os.path.join(HERE, s) for s in scripts]
        result = subprocess.run([node, "--test", "--test-concurrency=1"] + paths, env=env,
                                cwd=HERE).returncode
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        if rc != 0:
            print(f"error: hearth serve exited with {rc} after SIGTERM", file=sys.stderr)
    return result if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
