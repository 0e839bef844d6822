#!/usr/bin/env python3
"""Issue 19's speed target: `initkit compare`'s training time per epoch against Keras 3 (TensorFlow
backend, CPU) training the same model on the same data with the same batch size, measured side by
side in one run. Writes a Markdown report (default bench/results/train.md) that docs/performance.md
includes (bench/publish.py).

  python3 bench/train_bench.py                          # the bundled MLP and CNN, 5 epochs, 3 repetitions
  python3 bench/train_bench.py --models testdata/analysis/models/cnn8/keras3.keras --epochs 10
  python3 bench/train_bench.py --engine dl4j            # the DL4J engine instead of TensorFlow
  python3 bench/train_bench.py --publish                # then regenerate docs/performance.md

Per epoch: initkit's `compare --json` reports the training seconds after each epoch (evaluation
excluded); the peer (bench/peers/keras_train_peer.py) times model.fit's epochs with a callback. The
first epoch carries each tool's warm-up (graph building, tracing), so the table shows it apart and
the target is on the median of the later epochs. initkit runs one scheme (he_normal) per
repetition: the same work as the peer's single fit.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODELS = ["testdata/analysis/models/mlp20/keras3.keras", "testdata/analysis/models/cnn8/keras3.keras"]


def cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def log(msg):
    print(f"[train-bench {datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def initkit_epochs(a, model):
    cmd = [os.path.join(ROOT, "initkit"), "compare", model, "--data", a.data, "--schemes", "he_normal",
           "--epochs", str(a.epochs), "--batch-size", str(a.batch), "--seed", "1", "--json"]
    if a.engine:
        cmd += ["--engine", a.engine]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(f"train-bench: initkit failed ({r.returncode}) on {model}: {r.stdout[-400:]} {r.stderr[-400:]}")
    run = json.loads(r.stdout)["runs"][0]
    cumulative = [e["seconds"] for e in run["epochs"]]
    return [b - a_ for a_, b in zip([0.0] + cumulative[:-1], cumulative)]


def keras_epochs(a, model):
    r = subprocess.run([a.python, os.path.join(ROOT, "bench", "peers", "keras_train_peer.py"), model, a.data,
                        str(a.epochs), str(a.batch), "0.001"], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(f"train-bench: the Keras peer failed on {model}: {r.stderr[-600:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return out["epochSeconds"], out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated model files")
    ap.add_argument("--data", default="testdata/data/digits.npz")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each tool (alternated)")
    ap.add_argument("--engine", default=None, help="initkit's --engine (default: initkit's default)")
    ap.add_argument("--python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "train.md"))
    ap.add_argument("--publish", action="store_true", help="then regenerate docs/performance.md (bench/publish.py)")
    a = ap.parse_args()
    if a.epochs < 2:
        raise SystemExit("train-bench: --epochs must be >= 2 (the first epoch is warm-up)")
    rows = []
    peer_info = {}
    for model in [m for m in a.models.split(",") if m]:
        ik, ke = [], []
        for rep in range(a.reps):
            order = [("initkit", ik), ("keras", ke)] if rep % 2 == 0 else [("keras", ke), ("initkit", ik)]
            for tool, acc in order:
                log(f"{os.path.relpath(model, ROOT) if os.path.isabs(model) else model}: {tool}, repetition {rep + 1}")
                if tool == "initkit":
                    acc.append(initkit_epochs(a, model))
                else:
                    secs, peer_info = keras_epochs(a, model)
                    acc.append(secs)
        first_ik = statistics.median(r[0] for r in ik)
        first_ke = statistics.median(r[0] for r in ke)
        later_ik = statistics.median(s for r in ik for s in r[1:])
        later_ke = statistics.median(s for r in ke for s in r[1:])
        rows.append((model, first_ik, first_ke, later_ik, later_ke, later_ik / later_ke))
    load = os.getloadavg()
    L = [f"# initkit training benchmark ({datetime.datetime.now():%Y-%m-%d %H:%M})", ""]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    L.append(f"- machine: {cpu()}, {os.cpu_count()} cores; initkit commit {commit}"
             f"{', engine ' + a.engine if a.engine else ''}; peer: keras {peer_info.get('keras', '?')} "
             f"({peer_info.get('backend', '?')} backend, CPU)")
    L.append(f"- data `{a.data}` ({peer_info.get('samples', '?')} training samples), batch size {a.batch}, "
             f"{a.epochs} epochs, {a.reps} alternated repetitions; cells are medians; load average at the end "
             f"{load[0]:.1f}")
    L.append("")
    L.append("| model | first epoch, initkit | first epoch, Keras | later epochs, initkit | later epochs, Keras "
             "| initkit / Keras (later epochs) | target ≤ 1.5x |")
    L.append("|---|---|---|---|---|---|---|")
    for model, fi, fk, li, lk, r in rows:
        L.append(f"| `{model}` | {fi:.3f} s | {fk:.3f} s | {li:.3f} s | {lk:.3f} s | {r:.2f}x | "
                 f"{'yes' if r <= 1.5 else '**no**'} |")
    L.append("")
    L.append("Reproduce: `python3 bench/train_bench.py` (options: `--help`).")
    L.append("")
    report = "\n".join(L)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(report)
    print(report)
    if a.publish:
        subprocess.check_call([sys.executable, os.path.join(ROOT, "bench", "publish.py")])


if __name__ == "__main__":
    main()
