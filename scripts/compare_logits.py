#!/usr/bin/env python3
"""Compare `hearth logits` against llama.cpp's reference logits, position by position.

For each prompt of ../shared/testdata/reference/MODEL.logits.json, runs
`hearth logits -m MODEL.gguf -p PROMPT --top 5` and prints the worst relative error of the
reference's top-5 logits at every position (absolute below 1.0, as the golden tests do), so a
single position that drifts stands out. The reference prints 6 decimals: ~1e-7 is a match.

    scripts/compare_logits.py brown-6m-Q4_K_M
    HEARTH_ISA=avx2 HEARTH_REPACK=0 scripts/compare_logits.py brown-6m-Q4_K_M --hearth build/hearth

Exit status 1 when any error exceeds --tolerance (default 1e-3, the issue's bound).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = os.path.join(ROOT, "..", "shared", "testdata")


def worst_errors(ref_positions, got_positions):
    errors = []
    for ref, got in zip(ref_positions, got_positions):
        have = {tok: logit for tok, logit in got["top"]}
        worst = 0.0
        for tok, want in ref["top"]:
            if tok not in have:  # a reference top-5 id outside hearth's top 5
                worst = float("inf")
                continue
            worst = max(worst, abs(have[tok] - want) / max(abs(want), 1.0))
        errors.append(worst)
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="reference name, e.g. brown-6m-Q4_K_M")
    parser.add_argument("--hearth", default=os.path.join(ROOT, "build", "hearth"))
    parser.add_argument("--testdata", default=TESTDATA)
    parser.add_argument("--threads", default="1")
    parser.add_argument("--tolerance", type=float, default=1e-3)
    args = parser.parse_args()

    ref_path = os.path.join(args.testdata, "reference", args.model + ".logits.json")
    model_path = os.path.join(args.testdata, "models", args.model + ".gguf")
    for path in (ref_path, model_path, args.hearth):
        if not os.path.exists(path):
            sys.exit(f"compare_logits: {path} does not exist")
    with open(ref_path) as f:
        reference = json.load(f)

    failed = False
    for prompt in reference:
        cmd = [args.hearth, "logits", "-m", model_path, "-p", prompt["prompt"], "--top", "5",
               "-t", args.threads]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"compare_logits: {' '.join(cmd)} failed:\n{run.stderr}")
        got = json.loads(run.stdout)
        if got["tokens"] != prompt["tokens"]:
            print(f"{prompt['prompt']!r}: tokens differ: {got['tokens']} vs {prompt['tokens']}")
            failed = True
            continue
        errors = worst_errors(prompt["positions"], got["positions"])
        failed |= any(e > args.tolerance for e in errors)
        print(f"{prompt['prompt'][:30]!r:34} " + " ".join(f"{e:.1e}" for e in errors))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
