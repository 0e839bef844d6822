#!/usr/bin/env python3
"""Writes docs/COMPATIBILITY.md from the truth tests' records (target/compatibility/*.jsonl).

    python3 scripts/compatibility.py [--records target/compatibility] [--out docs/COMPATIBILITY.md]

Each line of a record file is one case (CompatibilityRecords in the converter's test jar documents
the fields): a model's original, the target runtime, the stack that loaded initkit's output, and the
verdict. The page has a summary (runtime and stack x source generation) and, per suite, a table of
models with one column per runtime and stack; every cell that is not a plain pass has its reason
listed under the table. Python 3 standard library only.
"""
import argparse
import collections
import datetime
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIMES = ["keras3", "tf-keras", "dl4j", "tensorflow"]
GENERATIONS = ["Keras 1", "Keras 2", "tf.keras", "Keras 3"]
VERDICTS = {  # verdict -> (cell mark, summary word)
    "loads-and-predicts": ("✓", "loads"),
    "changed-as-warned": ("warned", "warned"),
    "refused-before-writing": ("refused", "refused"),
    "unverified": ("unverified", "unverified"),
    "not-a-model": ("n/a", "n/a"),
    "fails": ("**FAILS**", "**fails**"),
}
SUITES = {
    "keras-interop": ("Generated models and catalogue: `--for keras3` / `--for tf-keras`",
                      "KerasInteropIT: testdata/models and testdata/catalogue/keras-*, each original "
                      "(`keras3.keras`, `keras3.h5`, `tfkeras.h5`) written `--for` the runtime, loaded by real "
                      "Keras 3 / tf-keras and compared with Keras's prediction of the original in the same process "
                      "(bit-equal where the same Keras loads both, else the model's tolerance)."),
    "dl4j-for": ("Generated models and catalogue: `--for dl4j`",
                 "Dl4jForRuntimeIT: the same originals written `--for dl4j`, imported by DL4J's KerasModelImport "
                 "in a child JVM and compared with Keras's prediction of the original (1e-4)."),
    "savedmodel": ("Generated models and catalogue: `--for tensorflow`",
                   "KerasToSavedModelIT: SavedModel export, served by TensorFlow."),
    "corpus-keras": ("../shared/keras-corpus: `--for keras3` / `--for tf-keras`",
                     "KerasCorpusRuntimeIT: every corpus file written `--for keras3` (.keras) and `--for tf-keras` "
                     "(.h5); real Keras 3 / tf-keras load it and predict, on a seeded input made from the "
                     "original's input shapes, within 1e-5 of Keras on the original (in the output's own Keras "
                     "when that loads the original, else in the other one)."),
    "corpus-tensorflow": ("../shared/keras-corpus: `--for tensorflow`",
                          "SavedModelCorpusRuntimeIT: every corpus file written `--for tensorflow` (a SavedModel), "
                          "loaded by TF Python (`tf.saved_model.load`) and run through its `serving_default` "
                          "signature, within 1e-5 of Keras on the original and the same seeded input, in the same "
                          "process (the original in the Keras that wrote it, else in the other one); the TF Java "
                          "column serves the same SavedModels in the test's JVM (`SavedModelBundle`) on the pinned "
                          "stack's input and compares with that stack's Keras outputs (1e-5)."),
    "corpus-dl4j": ("../shared/keras-corpus: `--for dl4j`",
                    "Dl4jCorpusRuntimeIT: every corpus file written `--for dl4j`, imported by DL4J in a child JVM, "
                    "within 1e-4 of Keras on the original and the same seeded input."),
}


def load(records_dir):
    rows = []
    for f in sorted(records_dir.glob("*.jsonl")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"{f}:{n}: not JSON: {e}")
    return rows


def column(r):
    """A column: the runtime and the stack's version of it."""
    stack = r["stack"]
    if r["runtime"] in ("keras3", "tf-keras") and stack.startswith("keras "):
        keras, _, tfk = stack.partition(" / ")
        stack = "Keras " + keras.split()[1] if r["runtime"] == "keras3" else tfk
    elif " (vs " in stack:
        stack = stack.split(" (vs ")[0]
    return (RUNTIMES.index(r["runtime"]) if r["runtime"] in RUNTIMES else 9, r["runtime"], stack)


def cell(r):
    mark = VERDICTS.get(r["verdict"], (r["verdict"], r["verdict"]))[0]
    d = r.get("max_diff")
    if r["verdict"] in ("loads-and-predicts", "changed-as-warned") and d:
        mark += f" {d:.1e}"
    return mark


def esc(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary(rows, out):
    counts = collections.defaultdict(collections.Counter)
    cols = sorted({column(r) for r in rows})
    gens = [g for g in GENERATIONS if any(r["generation"] == g for r in rows)]
    gens += sorted({r["generation"] for r in rows} - set(gens))
    for r in rows:
        counts[(column(r), r["generation"])][r["verdict"]] += 1
    out.append("| runtime (loaded by) | " + " | ".join(gens) + " |")
    out.append("|---|" + "---|" * len(gens))
    for c in cols:
        cells = []
        for g in gens:
            n = counts.get((c, g))
            cells.append(" · ".join(f"{n[v]} {VERDICTS[v][1]}" for v in VERDICTS if n and n[v]) if n else "")
        out.append(f"| {c[1]} ({c[2]}) | " + " | ".join(cells) + " |")


def suite_table(rows, out):
    cols = sorted({column(r) for r in rows})
    by_case = collections.OrderedDict()
    for r in rows:
        by_case.setdefault((r["model"], r["source"]), {})[column(r)] = r
    show_source = any(m != s for m, s in by_case)
    out.append("| model | " + ("source | generation | " if show_source else "generation | ")
               + " | ".join(f"{c[1]} ({c[2]})" for c in cols) + " |")
    out.append("|---|" + ("---|---|" if show_source else "---|") + "---|" * len(cols))
    reasons = collections.OrderedDict()
    for (model, source), cells in by_case.items():
        any_r = next(iter(cells.values()))
        gen = any_r["generation"] + (f" {any_r['version']}" if any_r.get("version") else "")
        row = [f"`{model}`"] + ([f"`{source}`"] if show_source else []) + [gen]
        for c in cols:
            r = cells.get(c)
            row.append(cell(r) if r else "")
            if r and r.get("reason") and r["verdict"] != "loads-and-predicts":
                reasons.setdefault((model, source, r["verdict"], r["reason"]), []).append(f"{c[1]} ({c[2]})")
            elif r and r.get("reason"):
                reasons.setdefault((model, source, "note", r["reason"]), []).append(f"{c[1]} ({c[2]})")
        out.append("| " + " | ".join(esc(x) for x in row) + " |")
    if reasons:
        out.append("")
        out.append("Reasons (refusals are initkit's own line; failures and unverified cases quote the runtime):")
        out.append("")
        for (model, source, verdict, reason), where in reasons.items():
            what = f"`{model}`" + (f" `{source}`" if show_source and source != model else "")
            label = VERDICTS.get(verdict, (verdict,))[0]
            out.append(f"- {what} → {', '.join(where)}: {label}: {esc(reason)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", default=str(ROOT / "target" / "compatibility"), help="directory of *.jsonl")
    ap.add_argument("--out", default=str(ROOT / "docs" / "COMPATIBILITY.md"))
    args = ap.parse_args(argv)
    rows = load(Path(args.records))
    if not rows:
        sys.exit(f"no records in {args.records}: run scripts/compatibility.sh (or the truth ITs) first")
    stacks = sorted({r["stack"] for r in rows})
    out = [
        "# Compatibility: which runtime loads what initkit writes",
        "",
        "Generated by `bash scripts/compatibility.sh` (the truth tests, then `scripts/compatibility.py`) on "
        f"{datetime.date.today().isoformat()} from {len(rows)} measured cases; do not edit by hand. Stacks: "
        + "; ".join(f"`{s}`" for s in stacks) + ".",
        "",
        "A case is one original model file (source generation: the Keras that wrote it) converted with "
        "`initkit convert IN -o OUT --for RUNTIME` and loaded by that runtime. Verdicts:",
        "",
        "- ✓ (loads): the runtime loads initkit's output and predicts what Keras predicts on the original, on "
        "this machine in the same run (Keras 3, tf-keras and TF Python within 1e-5, DL4J within 1e-4; the number is the "
        "largest difference when not 0);",
        "- warned: loads, and predicts otherwise exactly where `convert` warned it would (an activation the "
        "target generation defines differently, e.g. Keras 2's `hard_sigmoid` in Keras 3);",
        "- refused: initkit refused before writing, with the one line given below;",
        "- unverified: no Keras here loads the original (Keras 1 configs, Lambda bytecode, custom layers), so "
        "there is nothing to compare with;",
        "- n/a: not a runnable model (weights only, a config without weights, not a Keras file);",
        "- **FAILS**: written, but the runtime does not load it or predicts otherwise: a bug, and a failing "
        "(or pinned, known) test.",
        "",
    ]
    if not any(r["runtime"] == "tensorflow" for r in rows):
        out += ["The `tensorflow` column (SavedModel, KerasToSavedModelIT) is not recorded yet.", ""]
    out += [
        "## Summary",
        "",
    ]
    summary(rows, out)
    by_suite = collections.OrderedDict((s, []) for s in SUITES)
    for r in rows:
        by_suite.setdefault(r["suite"], []).append(r)
    for suite, srows in by_suite.items():
        if not srows:
            continue
        title, how = SUITES.get(suite, (suite, ""))
        out += ["", f"## {title}", "", how, ""]
        summary(srows, out)
        out.append("")
        suite_table(srows, out)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(rows)} cases from {args.records}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
