#!/usr/bin/env python3
"""Issue 21's speed target: files per second of `initkit scan` against ModelScan (PyPI
`modelscan[tensorflow]`, its own venv .venv-modelscan: testdata/requirements-modelscan.txt) on the
same trees, side by side in one run: (a) the shared Keras corpus and (b) a directory of thousands of
small Keras files (copies of the bundled models' `.keras` and `.h5` files, made before any timing).
Writes a Markdown report (default bench/results/scan.md) that docs/performance.md includes
(bench/publish.py).

  python3 bench/scan_bench.py                       # corpus and 2000 small files, 3 repetitions
  python3 bench/scan_bench.py --small 500 --reps 1  # quicker
  python3 bench/scan_bench.py --small 2000 20000 --reps 1  # and the marginal rate past start-up
  python3 bench/scan_bench.py --publish             # then regenerate docs/performance.md

Each tool is one process per tree, timed end to end (wall clock, start-up included: the JVM for
initkit, Python and TensorFlow's import for ModelScan), the way a hub would run it on a directory.
initkit runs `scan --json` (its default pool: all cores), and `scan --json --no-health` (the security
rules alone: ModelScan's kind of check); ModelScan runs `-p DIR -r json -o FILE`.
Files per second divides the number of model files in the tree (the files initkit reports) by the
median seconds; ModelScan's own count of the files it scanned is shown beside it. The CPU seconds
(user + system, of the process and its children) are shown too: on a shared machine they vary less
than the wall clock. With two or more small trees, the marginal rate of each tool (the extra files
over the extra seconds between the smallest and the largest tree) leaves its start-up out.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CPU = [0.0]  # the CPU seconds of the last run
MODEL_EXT = (".keras", ".h5")


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
    print(f"[scan-bench {datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def make_small(dest, count):
    """`count` copies of the bundled models' small .keras/.h5 files, round robin, one flat dir."""
    models = os.path.join(ROOT, "testdata", "models")
    sources = []
    for d in sorted(os.listdir(models)):
        for name in ("keras3.keras", "tfkeras.h5", "keras3.h5"):
            p = os.path.join(models, d, name)
            if os.path.isfile(p) and os.path.getsize(p) <= 256 * 1024:
                sources.append(p)
    if not sources:
        raise SystemExit("scan-bench: no bundled models under testdata/models (run testdata/generate.py)")
    os.makedirs(dest, exist_ok=True)
    for i in range(count):
        src = sources[i % len(sources)]
        shutil.copyfile(src, os.path.join(dest, f"{i:05d}{os.path.splitext(src)[1]}"))
    total = sum(os.path.getsize(os.path.join(dest, f)) for f in os.listdir(dest))
    return len(sources), total


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_initkit(tree, extra=()):
    t = time.perf_counter()
    c = cpu_seconds()
    r = subprocess.run([os.path.join(ROOT, "initkit"), "scan", "--json", *extra, tree], capture_output=True,
                       text=True, cwd=ROOT)
    secs = time.perf_counter() - t
    CPU[-1] = cpu_seconds() - c
    if r.returncode != 0:
        raise SystemExit(f"scan-bench: initkit scan failed ({r.returncode}) on {tree}: {r.stderr[-400:]}")
    files = json.loads(r.stdout)["files"]
    return secs, len(files), sum(1 for f in files if any(g["severity"] == "high" for g in f["findings"]))


def run_modelscan(exe, tree, work):
    out = os.path.join(work, "modelscan.json")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    t = time.perf_counter()
    c = cpu_seconds()
    r = subprocess.run([exe, "-p", tree, "-r", "json", "-o", out], capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t
    CPU[-1] = cpu_seconds() - c
    # 0: clean, 1: issues found, 2: errors on some files; anything else is a failed run
    if r.returncode not in (0, 1, 2):
        raise SystemExit(f"scan-bench: modelscan failed ({r.returncode}) on {tree}: {r.stdout[-400:]} {r.stderr[-400:]}")
    with open(out) as f:
        doc = json.load(f)
    return secs, doc["summary"]["scanned"]["total_scanned"], len({i["source"].split(":")[0] for i in doc["issues"]}), doc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(ROOT), "shared", "keras-corpus"))
    ap.add_argument("--small", type=int, nargs="+", default=[2000],
                    help="numbers of small model files, one tree each (0: none)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each tool per tree (alternated)")
    ap.add_argument("--modelscan", default=os.path.join(ROOT, ".venv-modelscan", "bin", "modelscan"))
    ap.add_argument("--work", default=None, help="where the small files go (default: a temporary dir)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "scan.md"))
    ap.add_argument("--publish", action="store_true", help="then regenerate docs/performance.md (bench/publish.py)")
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(ROOT, "cli", "target")):
        raise SystemExit("scan-bench: build the CLI first (mvn -o -q package -DskipTests -pl converter,analysis,savedmodel,cli,dl4j)")
    if not os.access(a.modelscan, os.X_OK):
        raise SystemExit(f"scan-bench: {a.modelscan} not found: "
                         "bash testdata/setup-venv.sh testdata/requirements-modelscan.txt .venv-modelscan")
    work = a.work or tempfile.mkdtemp(prefix="initkit-scan-bench-")
    os.makedirs(work, exist_ok=True)
    trees = []
    if os.path.isdir(a.corpus):
        trees.append(("corpus", os.path.abspath(a.corpus), "../shared/keras-corpus"))
    else:
        log(f"no corpus at {a.corpus}: skipped")
    for count in sorted(n for n in a.small if n > 0):
        small = os.path.join(work, f"small{count}")
        shutil.rmtree(small, ignore_errors=True)
        n_src, size = make_small(small, count)
        log(f"{count} small files from {n_src} bundled models, {size / count / 1024:.1f} KiB each on average")
        trees.append((f"small{count}", small, f"{count} copies of {n_src} bundled models "
                                             f"(`.keras`/`.h5`, {size / count / 1024:.1f} KiB on average)"))
    ms_version = "?"
    rows = []
    for key, tree, label in trees:
        ik, nh, ms = [], [], []
        cpu_runs = {"initkit": [], "no-health": [], "modelscan": []}
        ik_files = ik_high = ms_files = ms_flagged = 0
        for rep in range(a.reps):
            order = ["initkit", "no-health", "modelscan"]
            order = order if rep % 2 == 0 else order[::-1]
            for tool in order:
                log(f"{key}: {tool}, repetition {rep + 1}")
                if tool == "initkit":
                    secs, ik_files, ik_high = run_initkit(tree)
                    ik.append(secs)
                elif tool == "no-health":
                    nh.append(run_initkit(tree, ["--no-health"])[0])
                else:
                    secs, ms_files, ms_flagged, doc = run_modelscan(a.modelscan, tree, work)
                    ms_version = doc["summary"].get("modelscan_version", "?")
                    ms.append(secs)
                cpu_runs[tool].append(CPU[-1])
        mi, mn, mm = statistics.median(ik), statistics.median(nh), statistics.median(ms)
        cpus = tuple(statistics.median(cpu_runs[t]) for t in ("initkit", "no-health", "modelscan"))
        rows.append((label, ik_files, ms_files, ik_high, ms_flagged, mi, mn, mm, cpus, key))
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True, cwd=ROOT).stdout.strip()
    if dirty:
        commit += " with uncommitted changes"
    L = [f"# initkit scan against ModelScan ({datetime.datetime.now():%Y-%m-%d %H:%M})", ""]
    L.append(f"- machine: {cpu()}, {os.cpu_count()} cores; initkit commit {commit} (`scan --json`, all cores); "
             f"ModelScan {ms_version} (`modelscan[tensorflow]`, `-p DIR -r json`)")
    L.append(f"- one process per tool and tree, wall clock including start-up; {a.reps} alternated repetitions, "
             f"medians; files/s = model files in the tree / median seconds; load average at the end "
             f"{load[0]:.1f}")
    L.append("")
    L.append("`initkit` is the whole scan (security and health rules); `--no-health` only the rules that look at "
             "what loading could do (ModelScan's kind of check), without opening the model for its weights.")
    L.append("")
    L.append("| tree | model files (initkit) | scanned by ModelScan | flagged high, initkit | flagged, ModelScan "
             "| initkit | initkit --no-health | ModelScan | files/s: initkit, --no-health, ModelScan "
             "| ratio to ModelScan: initkit, --no-health | target ≥ 5x |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, fi, fm, hi, hm, si, sn, sm, _, _ in rows:
        ri, rn, rm = fi / si, fi / sn, fi / sm
        L.append(f"| {label} | {fi} | {fm} | {hi} | {hm} | {si:.2f} s | {sn:.2f} s | {sm:.2f} s | "
                 f"{ri:.1f}, {rn:.1f}, {rm:.1f} | {ri / rm:.1f}x, {rn / rm:.1f}x | "
                 f"{'yes' if ri / rm >= 5 else '**no**'}, {'yes' if rn / rm >= 5 else '**no**'} |")
    L.append("")
    L.append("CPU seconds (user + system) of the same runs, and the ratio of CPU per file "
             "(ModelScan's over initkit's):")
    L.append("")
    L.append("| tree | initkit | initkit --no-health | ModelScan | CPU ratio: initkit, --no-health |")
    L.append("|---|---|---|---|---|")
    for label, fi, fm, hi, hm, si, sn, sm, (ci, cn, cm), _ in rows:
        L.append(f"| {label} | {ci:.2f} s | {cn:.2f} s | {cm:.2f} s | {cm / ci:.1f}x, {cm / cn:.1f}x |")
    L.append("")
    smalls = [r for r in rows if r[9].startswith("small")]
    if len(smalls) >= 2:
        lo, hi_ = smalls[0], smalls[-1]
        extra = hi_[1] - lo[1]
        rates = [extra / (hi_[k] - lo[k]) if hi_[k] > lo[k] else float("nan") for k in (5, 6, 7)]
        L.append(f"Marginal rate from {lo[1]} to {hi_[1]} small files (start-up left out): initkit "
                 f"{rates[0]:.0f} files/s, --no-health {rates[1]:.0f} files/s, ModelScan {rates[2]:.0f} "
                 f"files/s; ratio {rates[0] / rates[2]:.1f}x, {rates[1] / rates[2]:.1f}x.")
        L.append("")
    L.append("What each tool finds on the same files: [the comparison table](scan-modelscan.md) "
             "(ScanModelScanIT). Reproduce: `python3 bench/scan_bench.py` (options: `--help`).")
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
