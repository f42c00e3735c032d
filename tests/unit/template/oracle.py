#!/usr/bin/env python3
"""Renders every template in testdata/templates with the contexts of cases.json through Python
jinja2, configured as Hugging Face transformers renders chat templates, and compares the result with
expected.jsonl. This documents (and checks) how the contexts used by template_golden_test were derived.

Usage: oracle.py [TEMPLATES_DIR] [--show NAME CASE] [--write-extra]

--write-extra also renders every template with the "extra_cases" contexts of cases.json (more
tools, tool-call arguments as strings, thinking flags, multimodal content, no
add_generation_prompt) and writes extra_expected.jsonl, which template_golden_test checks too.
"""
import datetime, json, os, sys
import jinja2, jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))

class Generation(jinja2.ext.Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)
    def _render(self, caller):
        return caller()

def make_env(now):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)
    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: now.strftime(fmt)
    return env

def render(env, source, ctx):
    try:
        return {"rendered": env.from_string(source).render(**ctx)}
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}

def main():
    args = sys.argv[1:]
    tdir = args[0] if args and not args[0].startswith("--") else os.path.join(
        HERE, "../../../../shared/testdata/templates")
    spec = json.load(open(os.path.join(HERE, "cases.json")))
    env = make_env(datetime.datetime.fromisoformat(spec["now"]))
    rows = [json.loads(l) for l in open(os.path.join(tdir, "expected.jsonl"))]
    ok = 0
    for row in rows:
        ctx = dict(spec["globals"], **spec["cases"][row["case"]])
        got = render(env, open(os.path.join(tdir, row["template"])).read(), ctx)
        want = {k: row[k] for k in ("rendered", "error") if k in row}
        if "--show" in args and [row["template"], row["case"]] == args[args.index("--show") + 1:][:2]:
            print(got.get("rendered", got.get("error")))
        if got == want:
            ok += 1
        else:
            print("MISMATCH", row["template"], row["case"])
    print(f"{ok}/{len(rows)} rows match")
    if "--write-extra" in args:
        with open(os.path.join(HERE, "extra_expected.jsonl"), "w") as out:
            n = 0
            for case, ctx in spec["extra_cases"].items():
                for name in sorted(os.listdir(tdir)):
                    if not name.endswith(".jinja"):
                        continue
                    got = render(env, open(os.path.join(tdir, name)).read(), dict(spec["globals"], **ctx))
                    out.write(json.dumps(dict(template=name, case=case, **got), ensure_ascii=False) + "\n")
                    n += 1
        print(f"wrote {n} rows to extra_expected.jsonl")

main()
