#!/usr/bin/env python3
"""Predicted vs measured peak RSS of `hearth run` (the table in docs/FIT.md).

usage: scripts/fit_rss.py [--hearth build/hearth] [--ctx 512,2048,8192] [--threads 2] MODEL.gguf...

For each model and context: `hearth fit MODEL --ctx N --json` (its total_bytes), then
`HEARTH_MEMORY_REPORT=1 hearth run` with a prompt of about min(600, N - 32) tokens of
brown-val.txt (so the forward pass reaches a full 512-token micro-batch), 16 generated tokens;
the measured peak is VmHWM at the end. Prints a Markdown table and the per-stage memory lines.
"""
import argparse
import json
import os
import re
import subprocess
import sys

TESTDATA = os.environ.get("HEARTH_TESTDATA",
                          os.path.join(os.path.dirname(__file__), "..", "..", "shared", "testdata"))
MIB = 1 << 20


def n_tokens(hearth, model, text):
    out = subprocess.run([hearth, "tokenize", "-m", model, "--ids", text], check=True,
                         capture_output=True, text=True).stdout
    return len(out.split())


def prompt_of(hearth, model, target):
    words = open(os.path.join(TESTDATA, "brown-val.txt"), encoding="utf-8").read().split()
    lo, hi = 1, min(len(words), target * 2)
    while hi - lo > 1:  # the most words whose tokens stay within target
        mid = (lo + hi) // 2
        if n_tokens(hearth, model, " ".join(words[:mid])) <= target:
            lo = mid
        else:
            hi = mid
    return " ".join(words[:lo])


def measure(hearth, model, ctx, threads, prompt):
    env = dict(os.environ, HEARTH_MEMORY_REPORT="1")
    r = subprocess.run([hearth, "run", "-m", model, "-c", str(ctx), "-t", str(threads), "-n", "16",
                        "--temp", "0", "--ignore-eos", "-p", prompt], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"hearth run failed on {model} ctx {ctx}: {r.stderr}")
    stages = re.findall(r"hearth memory: (.*): rss (\d+) \(anon (\d+), file (\d+)\), peak (\d+)",
                        r.stderr)
    return [(s, int(rss), int(anon), int(f), int(peak)) for s, rss, anon, f, peak in stages]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hearth", default="build/hearth")
    ap.add_argument("--ctx", default="512,2048,8192")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    rows = []
    for model in a.models:
        for ctx in [int(c) for c in a.ctx.split(",")]:
            fit = json.loads(subprocess.run(
                [a.hearth, "fit", model, "--ctx", str(ctx), "--json", "--memory", "1TB",
                 "--bandwidth", "30GB/s"], check=True, capture_output=True, text=True).stdout)
            prompt = prompt_of(a.hearth, model, min(600, ctx - 32))
            stages = measure(a.hearth, model, ctx, a.threads, prompt)
            peak = stages[-1][4]
            pred = fit["total_bytes"]
            name = os.path.basename(model)
            for s in stages:
                print(f"  {name} ctx {ctx} {s[0]}: rss {s[1]/MIB:.1f} anon {s[2]/MIB:.1f} "
                      f"file {s[3]/MIB:.1f} peak {s[4]/MIB:.1f} MiB", file=sys.stderr)
            items = {k: fit[k] / MIB for k in
                     ("weights_bytes", "kv_cache_bytes", "compute_bytes", "overhead_bytes")}
            print(f"  {name} ctx {ctx} predicted " +
                  " ".join(f"{k[:-6]} {v:.1f}" for k, v in items.items()), file=sys.stderr)
            rows.append((name, ctx, pred, peak))
            print(f"| {name} | {ctx} | {pred/MIB:.1f} MiB | {peak/MIB:.1f} MiB | "
                  f"{100.0 * (pred - peak) / peak:+.1f}% |", flush=True)


if __name__ == "__main__":
    main()
