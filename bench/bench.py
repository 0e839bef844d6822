"""initkit against its floor (cp) and its peers (h5py + numpy, Keras 3), in one run.

Run it through bench/run.sh (see there for the options). Needs the testdata virtual environment
(.venv: keras, tensorflow, h5py, numpy) and a built ./initkit. Writes a Markdown report to
bench/results/latest.md (or --out) and prints it.

How it measures: every command runs under /usr/bin/time (wall seconds, peak RSS, user+sys CPU);
outputs are deleted and `sync` is called before each timed command, outside the timing, so that
writeback of an earlier output does not land in a later measurement; inputs are read once before
the first repetition (warm page cache, as for a file just downloaded or written). The tools of one
(model, operation) run back to back, in an order that rotates with the repetition, so load from
other processes falls on all of them alike. Ratios are of medians from this one run.
"""
import argparse
import datetime
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "bench", "peers")

# what each model's reinit draws: He normal for the kernels of these layer classes
MODELS = {
    "dense": {"classes": ["Dense"]},
    "conv": {"classes": ["Conv2D", "Dense"]},
    "lstm": {"classes": ["LSTM", "Dense"]},
    "small": {"classes": ["Dense"]},
}
SCALING_OPS = ["reinit", "convert h5->keras", "convert h5->h5"]
OPS = ["reinit", "convert h5->keras", "convert keras->h5", "convert h5->h5", "transplant", "inspect",
       "inspect .keras", "report"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Runner:
    def __init__(self, a):
        self.a = a
        self.logs = os.path.join(a.work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.count = 0

    def time(self, cmd, outputs=(), env=None, label=""):
        """Runs cmd once; returns dict(wall, rss_mb, cpu) or None on failure."""
        for o in outputs:
            if os.path.isdir(o):
                shutil.rmtree(o)
            elif os.path.exists(o):
                os.remove(o)
        os.sync()
        self.count += 1
        tf = os.path.join(self.logs, "time.txt")
        logf = os.path.join(self.logs, f"{self.count:04d}.log")
        full = ["/usr/bin/time", "-f", "%e %M %U %S", "-o", tf] + cmd
        with open(logf, "w") as lf:
            lf.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
            lf.flush()
            rc = subprocess.call(full, stdout=lf, stderr=subprocess.STDOUT, env=env, cwd=self.a.work)
        with open(tf) as f:
            last = [ln for ln in f.read().splitlines() if ln.strip()][-1]
        wall, rss, user, sys_ = last.split()
        if rc != 0:
            with open(logf) as lf:
                tail = lf.read()[-1500:]
            log(f"  FAILED ({label}, exit {rc}), log {logf}:\n{tail}")
            return None
        return {"wall": float(wall), "rss_mb": int(rss) / 1024.0, "cpu": float(user) + float(sys_)}


def stats(samples):
    ok = [s for s in samples if s is not None]
    if not ok or len(ok) < len(samples):
        return None
    walls = [s["wall"] for s in ok]
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "rss": max(s["rss_mb"] for s in ok),
        "cpu": statistics.median(s["cpu"] for s in ok),
        "n": len(ok),
    }


def fmt_t(s):
    if s is None:
        return "failed"
    if s["n"] == 1:
        return f"{s['median']:.2f} s"
    return f"{s['median']:.2f} s ({s['min']:.2f}–{s['max']:.2f})"


def ratio(x, y):
    if x is None or y is None or y["median"] <= 0:
        return None
    return x["median"] / y["median"]


def fmt_r(r, suffix="x"):
    return "—" if r is None else f"{r:.2f}{suffix}"


def gib(path):
    return os.path.getsize(path) / 2**30


def sh(cmd, **kw):
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    subprocess.check_call(cmd, **kw)


def ensure_models(a):
    """Generates the models with real Keras unless already in the work dir."""
    m = os.path.join(a.work, "models")
    os.makedirs(m, exist_ok=True)
    need_small = [n for n in ("conv", "lstm", "small") if n in a.models and not all(
        os.path.exists(os.path.join(m, f"{n}.{e}")) for e in ("h5", "keras"))]
    if need_small:
        sh([a.python, os.path.join(ROOT, "bench", "make_models.py"), m, "--only", ",".join(need_small)])
    sizes = sorted(set(([a.size] if "dense" in a.models else []) + (a.scaling if a.scaling else [])))
    for size in sizes:
        for ext in (("h5", "keras") if size == a.size else ("h5",)):
            p = os.path.join(m, f"dense{size}.{ext}")
            if not os.path.exists(p):
                sh([a.python, os.path.join(ROOT, "testdata", "make_large.py"), p, str(size)])
    return m


def snapshot_build(work):
    """Copies the launcher and the built jars into the work dir (same layout) and returns the copy's launcher."""
    snap = os.path.join(work, "initkit-build")
    shutil.rmtree(snap, ignore_errors=True)
    target = os.path.join(ROOT, "cli", "target")
    jars = [f for f in os.listdir(target) if f.startswith("initkit-cli-") and f.endswith(".jar")]
    if not jars or not os.path.isdir(os.path.join(target, "lib")):
        sys.exit(f"bench: initkit is not built ({target}): run 'mvn -B -DskipTests package'")
    os.makedirs(os.path.join(snap, "cli", "target"))
    for j in jars:
        shutil.copy2(os.path.join(target, j), os.path.join(snap, "cli", "target", j))
    shutil.copytree(os.path.join(target, "lib"), os.path.join(snap, "cli", "target", "lib"))
    # the inputs of the launcher's class-data-sharing training (see ./initkit): without them the
    # archive holds only --version's and --help's classes, and every short run loads the rest
    for rel in ("models/mlp/tfkeras.h5", "models/mlp/keras3.keras", "models/savedmodel/mlp/tfkeras"):
        src = os.path.join(ROOT, "testdata", rel)
        dst = os.path.join(snap, "testdata", rel)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        elif os.path.exists(src):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
    shutil.copy2(os.path.join(ROOT, "initkit"), os.path.join(snap, "initkit"))
    return os.path.join(snap, "initkit")


def initkit_has(a, command):
    return subprocess.call([a.initkit, command, "--help"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) == 0


def commands(a, model, path_h5, path_keras, op, out_dir):
    """{tool: (cmd, outputs)} for one model and operation; a missing tool is not measured."""
    py = a.python
    classes = MODELS[model]["classes"]
    ik = [a.initkit, "-q"]
    hp = [py, os.path.join(PEERS, "h5py_peer.py")]
    kp = [py, os.path.join(PEERS, "keras_peer.py")]
    o = lambda name: os.path.join(out_dir, name)  # noqa: E731
    cmds = {}
    if op == "reinit":
        only = sum((["--only", f"class:{c}"] for c in classes), [])
        cmds["floor"] = (["cp", path_h5, o("cp.h5")], [o("cp.h5")])
        cmds["initkit"] = (ik + ["reinit", path_h5, "-o", o("ik.h5"), "--scheme", "he_normal", "--seed", "1",
                                 "--force"] + only, [o("ik.h5")])
        cmds["h5py"] = (hp + ["reinit", path_h5, o("hp.h5"), "--classes", ",".join(classes)], [o("hp.h5")])
        cmds["keras"] = (kp + ["reinit", path_h5, o("k.h5"), "--classes", ",".join(classes)], [o("k.h5")])
    elif op == "convert h5->keras":
        cmds["floor"] = (["cp", path_h5, o("cp.keras")], [o("cp.keras")])
        cmds["initkit"] = (ik + ["convert", path_h5, "-o", o("ik.keras"), "--force"], [o("ik.keras")])
        cmds["h5py"] = (hp + ["convert", path_h5, o("hp.keras")], [o("hp.keras")])
        cmds["keras"] = (kp + ["convert", path_h5, o("k.keras")], [o("k.keras")])
    elif op == "convert h5->h5":
        cmds["floor"] = (["cp", path_h5, o("cp.h5")], [o("cp.h5")])
        cmds["initkit"] = (ik + ["convert", path_h5, "-o", o("ik.h5"), "--force"], [o("ik.h5")])
        cmds["h5py"] = (hp + ["convert", path_h5, o("hp.h5")], [o("hp.h5")])
        cmds["keras"] = (kp + ["convert", path_h5, o("k.h5")], [o("k.h5")])
    elif op == "convert keras->h5":
        cmds["floor"] = (["cp", path_keras, o("cp.h5")], [o("cp.h5")])
        cmds["initkit"] = (ik + ["convert", path_keras, "-o", o("ik.h5"), "--force"], [o("ik.h5")])
        cmds["h5py"] = (hp + ["convert", path_keras, o("hp.h5")], [o("hp.h5")])
        cmds["keras"] = (kp + ["convert", path_keras, o("k.h5")], [o("k.h5")])
    elif op == "transplant":
        # every layer of the legacy .h5 into the same-named layers of the .keras (the same model
        # saved twice, so all match): the weights written are the source's, the file the target's
        cmds["floor"] = (["cp", path_keras, o("cp.keras")], [o("cp.keras")])
        cmds["initkit"] = (ik + ["transplant", "--from", path_h5, "--to", path_keras, "-o", o("ik.keras"),
                                 "--force"], [o("ik.keras")])
        cmds["h5py"] = (hp + ["transplant", path_h5, path_keras, o("hp.keras")], [o("hp.keras")])
        cmds["keras"] = (kp + ["transplant", path_h5, o("k.keras"), "--target", path_keras], [o("k.keras")])
    elif op == "inspect":
        cmds["initkit"] = (ik + ["inspect", path_h5], [])
        cmds["h5py"] = (hp + ["inspect", path_h5], [])
        cmds["keras"] = (kp + ["inspect", path_h5], [])
    elif op == "inspect .keras":
        # the weights member read where it lies in the archive (initkit) or through zipfile (peers)
        cmds["initkit"] = (ik + ["inspect", path_keras], [])
        cmds["h5py"] = (hp + ["inspect", path_keras], [])
        cmds["keras"] = (kp + ["inspect", path_keras], [])
    elif op == "report":
        cmds["floor"] = (["dd", f"if={path_h5}", "of=/dev/null", "bs=4M", "status=none"], [])
        cmds["initkit"] = (ik + ["report", path_h5], [])
        cmds["h5py"] = (hp + ["report", path_h5], [])
        cmds["keras"] = (kp + ["report", path_h5], [])
    if "floor" in cmds and cmds["floor"][0][0] == "cp":
        # the same copy made durable: the work of a writer that forces its output to disk, as initkit does
        _, src, dst = cmds["floor"][0]
        synced = os.path.join(os.path.dirname(dst), "synced-" + os.path.basename(dst))
        ordered = {}
        for tool, cmd in cmds.items():  # measured right after the plain copy
            ordered[tool] = cmd
            if tool == "floor":
                ordered["floor_sync"] = (["sh", "-c", 'cp "$1" "$2" && sync "$2"', "sh", src, synced], [synced])
        cmds = ordered
    if not a.keras:
        cmds.pop("keras", None)
    if not a.h5py:
        cmds.pop("h5py", None)
    return cmds


def measure(a, runner, model, h5, keras_file, op, reps, out_dir, env):
    cmds = commands(a, model, h5, keras_file, op, out_dir)
    order = list(cmds)
    samples = {t: [] for t in order}
    for rep in range(reps):
        rot = order[rep % len(order):] + order[:rep % len(order)]
        for tool in rot:
            if tool == "keras" and rep >= a.keras_reps:
                continue
            cmd, outs = cmds[tool]
            r = runner.time(cmd, outs, env=env if tool == "initkit" else None, label=f"{model} {op} {tool}")
            samples[tool].append(r)
            if r:
                log(f"  {model:6s} {op:18s} {tool:8s} rep {rep + 1}: {r['wall']:.2f} s, {r['rss_mb']:.0f} MB")
        for _, outs in cmds.values():
            for p in outs:
                if os.path.exists(p):
                    os.remove(p)
    return {t: stats(s) for t, s in samples.items()}


def environment(a):
    def read(p):
        try:
            with open(p) as f:
                return f.read()
        except OSError:
            return ""
    cpu = next((ln.split(":", 1)[1].strip() for ln in read("/proc/cpuinfo").splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next((ln.split()[1] for ln in read("/proc/meminfo").splitlines() if ln.startswith("MemTotal")), "0")
    try:
        commit = subprocess.check_output(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], text=True).strip()
        dirty = subprocess.call(["git", "-C", ROOT, "diff", "--quiet"]) != 0
        commit += " + uncommitted changes" if dirty else ""
    except Exception:
        commit = "?"
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    versions = subprocess.run([a.python, "-c", "import h5py, numpy, keras, tensorflow as tf; "
                               "print(f'h5py {h5py.__version__}, numpy {numpy.__version__}, "
                               "keras {keras.__version__}, tensorflow {tf.__version__}')"],
                              capture_output=True, text=True,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")).stdout.strip()
    return {"cpu": f"{os.cpu_count()} x {cpu}", "mem": f"{int(mem) / 2**20:.0f} GiB", "commit": commit,
            "java": java, "python": versions}


def pressure():
    try:
        with open("/proc/pressure/cpu") as f:
            first = f.readline().split()
        return {k: v for k, v in (x.split("=") for x in first[1:])}
    except OSError:
        return {}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions per measurement (default 3)")
    ap.add_argument("--keras-reps", type=int, default=None, help="repetitions of the Keras peer (default: --reps)")
    ap.add_argument("--work", default=os.environ.get("BENCH_WORK", os.path.join(tempfile.gettempdir(), "initkit-bench")),
                    help="models, outputs and logs (default $BENCH_WORK or /tmp/initkit-bench); models are kept "
                         "there and reused by the next run")
    ap.add_argument("--size", type=int, default=1024, help="size of the Dense stack in MiB (default 1024)")
    ap.add_argument("--scaling", default="1024,2048,4096",
                    help="Dense stack sizes (MiB) for the linearity check, '' to skip (default 1024,2048,4096)")
    ap.add_argument("--models", default="dense,conv,lstm,small")
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--no-keras", dest="keras", action="store_false", help="skip the Keras peer")
    ap.add_argument("--no-h5py", dest="h5py", action="store_false", help="skip the h5py peer")
    ap.add_argument("--initkit", default=None,
                    help="the launcher to measure (default: a snapshot of this checkout's build, taken at the start, "
                         "so that a rebuild during the run does not change what is measured)")
    ap.add_argument("--java-opts", default="-Xmx256m",
                    help="JAVA_OPTS for initkit (default -Xmx256m: the memory target)")
    ap.add_argument("--python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"))
    ap.add_argument("--clean", action="store_true", help="delete the generated models at the end")
    ap.add_argument("--publish", action="store_true",
                    help="then regenerate docs/performance.md's results from the reports it names (bench/publish.py)")
    a = ap.parse_args()
    a.models = [m for m in a.models.split(",") if m]
    a.ops = [o.strip() for o in a.ops.split(",") if o.strip()]
    a.scaling = [int(s) for s in a.scaling.split(",") if s.strip()]
    a.keras_reps = a.reps if a.keras_reps is None else a.keras_reps
    a.work = os.path.abspath(a.work)
    os.makedirs(a.work, exist_ok=True)

    need = (max(a.scaling + [a.size]) * 3 + 2048) * 2**20
    free = shutil.disk_usage(a.work).free
    if free < need:
        sys.exit(f"bench: {a.work} has {free / 2**30:.1f} GiB free, needs about {need / 2**30:.1f} GiB "
                 f"(models + outputs); use --work elsewhere or smaller --scaling")
    if not os.path.exists(a.python):
        sys.exit(f"bench: no python at {a.python}: run testdata/setup-venv.sh (or bash scripts/test.sh) first")

    started = time.time()
    if a.initkit is None:
        a.initkit = snapshot_build(a.work)
    env = dict(os.environ, JAVA_OPTS=a.java_opts)
    p0 = pressure()
    load0 = os.getloadavg()
    models_dir = ensure_models(a)
    runner = Runner(a)
    out_dir = os.path.join(a.work, "out")
    os.makedirs(out_dir, exist_ok=True)

    # the launcher builds its class-data-sharing archive on the first run after a build: not timed
    subprocess.call([a.initkit, "--version"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    has = {op: initkit_has(a, op.split()[0]) for op in a.ops}
    results = {}
    files = {}
    for model in a.models:
        stem = f"dense{a.size}" if model == "dense" else model
        h5 = os.path.join(models_dir, f"{stem}.h5")
        kf = os.path.join(models_dir, f"{stem}.keras")
        files[model] = (h5, kf)
        for p in (h5, kf):  # warm the page cache: every tool then reads the same cached bytes
            subprocess.call(["dd", f"if={p}", "of=/dev/null", "bs=4M", "status=none"])
        for op in a.ops:
            if not has[op]:
                results[(model, op)] = None
                continue
            log(f"{model}: {op}")
            results[(model, op)] = measure(a, runner, model, h5, kf, op, a.reps, out_dir, env)

    scaling = []
    if a.scaling:
        for size in a.scaling:
            h5 = os.path.join(models_dir, f"dense{size}.h5")
            subprocess.call(["dd", f"if={h5}", "of=/dev/null", "bs=4M", "status=none"])
            row = {"size": size, "gib": gib(h5)}
            for op in SCALING_OPS:
                if not has.get(op, initkit_has(a, op.split()[0])):
                    continue
                if size == a.size and results.get(("dense", op)):
                    row[op] = results[("dense", op)]  # measured above, in the main table
                    continue
                saved = (a.keras, a.h5py)
                a.keras, a.h5py = False, False
                log(f"scaling {size} MiB: {op}")
                r = measure(a, runner, "dense", h5, None, op, a.reps, out_dir, env)
                a.keras, a.h5py = saved
                row[op] = r
            scaling.append(row)

    report = render(a, results, files, scaling, environment(a), has, p0, pressure(), load0, os.getloadavg(),
                    time.time() - started)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(report)
    print(report)
    log(f"written to {a.out}")
    if a.publish:
        subprocess.check_call([sys.executable, os.path.join(ROOT, "bench", "publish.py")])
        log("docs/performance.md regenerated from the reports it names")
    shutil.rmtree(out_dir, ignore_errors=True)
    if a.clean:
        shutil.rmtree(models_dir, ignore_errors=True)


def render(a, results, files, scaling, env, has, p0, p1, load0, load1, elapsed):
    L = []
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    L.append(f"# initkit benchmark ({now})")
    L.append("")
    L.append(f"- machine: {env['cpu']}, {env['mem']} RAM; {env['java']}; {env['python']}")
    L.append(f"- initkit: commit {env['commit']}; JAVA_OPTS=`{a.java_opts}`")
    L.append(f"- {a.reps} repetitions (Keras peer: {min(a.keras_reps, a.reps)}); cells are median (min–max) wall time; "
             f"ratios are of medians; peak RSS is the largest of the repetitions")
    L.append(f"- load average at start / end: {load0[0]:.1f} / {load1[0]:.1f}; CPU pressure (some, avg300) "
             f"at start / end: {p0.get('avg300', '?')}% / {p1.get('avg300', '?')}% "
             f"(other processes competing for the cores; 0 on an idle machine)")
    L.append(f"- total time of this run: {elapsed / 60:.1f} min")
    L.append("")
    L.append("Floor: `cp` of the input for reinit and convert (the bytes that must be written); "
             "`cp + fsync`: the same copy made durable (`sync FILE`), the work initkit does, which forces "
             "every output to disk before renaming it into place; "
             "`dd` reading the input for report (the bytes that must be read); none for inspect "
             "(metadata only). Peers: `bench/peers/h5py_peer.py` (h5py + numpy) and "
             "`bench/peers/keras_peer.py` (Keras 3: load_model, work, save).")
    L.append("")
    for model in a.models:
        h5, kf = files[model]
        L.append(f"## {model}: `{os.path.basename(h5)}` {os.path.getsize(h5) / 2**20:.1f} MiB, "
                 f"`{os.path.basename(kf)}` {os.path.getsize(kf) / 2**20:.1f} MiB")
        L.append("")
        L.append("| operation | floor | cp + fsync | initkit | h5py + numpy | Keras 3 | initkit / floor "
                 "| initkit / (cp + fsync) | h5py / initkit | Keras / initkit | peak RSS MB (initkit / h5py / Keras) |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for op in a.ops:
            r = results.get((model, op))
            if r is None:
                why = "n/a (not implemented)" if not has.get(op) else "n/a"
                L.append(f"| {op} | {why} | | | | | | | | | |")
                continue
            f, fs, ik, hp, ke = (r.get(k) for k in ("floor", "floor_sync", "initkit", "h5py", "keras"))
            cell = lambda s: "—" if s is None else fmt_t(s)  # noqa: E731
            rss = " / ".join("—" if s is None else f"{s['rss']:.0f}" for s in (ik, hp, ke))
            L.append(f"| {op} | {cell(f) if 'floor' in r else '—'} | {cell(fs) if 'floor_sync' in r else '—'} "
                     f"| {cell(ik)} | {cell(hp) if 'h5py' in r else '—'} "
                     f"| {cell(ke) if 'keras' in r else '—'} | {fmt_r(ratio(ik, f))} | {fmt_r(ratio(ik, fs))} "
                     f"| {fmt_r(ratio(hp, ik))} | {fmt_r(ratio(ke, ik))} | {rss} |")
        L.append("")
    if scaling:
        L.append("## Scaling: the Dense stack at several sizes (initkit and cp only)")
        L.append("")
        L.append("| operation | size | cp | initkit | initkit s / GiB | initkit / cp | initkit peak RSS MB |")
        L.append("|---|---|---|---|---|---|---|")
        for op in SCALING_OPS:
            for row in scaling:
                r = row.get(op) or {}
                f, ik = r.get("floor"), r.get("initkit")
                if ik is None:
                    continue
                L.append(f"| {op} | {row['gib']:.2f} GiB | {fmt_t(f) if f else '—'} | {fmt_t(ik)} "
                         f"| {ik['median'] / row['gib']:.2f} | {fmt_r(ratio(ik, f))} | {ik['rss']:.0f} |")
        L.append("")
    L.append("## Targets (issue 7)")
    L.append("")
    L.append("| target | measured | met |")
    L.append("|---|---|---|")
    for t in targets(a, results, scaling):
        L.append(f"| {t[0]} | {t[1]} | {t[2]} |")
    L.append("")
    L.append("Reproduce: `bash bench/run.sh` (options: `bash bench/run.sh --help`).")
    L.append("")
    return "\n".join(L)


def targets(a, results, scaling):
    out = []

    def get(model, op, tool):
        r = results.get((model, op))
        return None if r is None else r.get(tool)

    def check(name, value, limit, fmt, le=True):
        if value is None:
            out.append((name, "not measured", "—"))
        else:
            ok = value <= limit if le else value >= limit
            out.append((name, fmt(value), "yes" if ok else "**no**"))

    x = lambda v: f"{v:.2f}x"  # noqa: E731
    if "dense" in a.models:
        ik = get("dense", "reinit", "initkit")
        def xs(op):  # the ratio to cp, with the ratio to cp + fsync beside it
            fs = ratio(get("dense", op, "initkit"), get("dense", op, "floor_sync"))
            return lambda v: f"{v:.2f}x" + ("" if fs is None else f" (to cp + fsync: {fs:.2f}x)")

        check("reinit of the 1 GiB model <= 1.5x cp", ratio(ik, get("dense", "reinit", "floor")), 1.5, xs("reinit"))
        check("reinit >= 3x faster than h5py + numpy", ratio(get("dense", "reinit", "h5py"), ik), 3, x, le=False)
        check("reinit >= 10x faster than Keras", ratio(get("dense", "reinit", "keras"), ik), 10, x, le=False)
        for op in ("convert h5->keras", "convert keras->h5"):
            check(f"{op} of the 1 GiB model <= 1.3x cp", ratio(get("dense", op, "initkit"), get("dense", op, "floor")),
                  1.3, xs(op))
        rss = max((s["rss"] for op in a.ops for s in [get("dense", op, "initkit")] if s), default=None)
        check(f"peak RSS <= 300 MB on the 1 GiB model (JAVA_OPTS={a.java_opts})", rss, 300, lambda v: f"{v:.0f} MB")
    if "small" in a.models:
        check("inspect of a small model within 1.5x of h5py",
              ratio(get("small", "inspect", "initkit"), get("small", "inspect", "h5py")), 1.5, x)
    if len(scaling) >= 2:
        for op in SCALING_OPS:
            pts = [(row["gib"], row[op]["initkit"]["median"]) for row in scaling
                   if row.get(op) and row[op].get("initkit")]
            if len(pts) >= 2:
                # linear (or better): no size costs more per GiB than the smallest, beyond 25 %
                # (per-GiB time falls with size where fixed costs such as JVM start-up dominate)
                per = [t / g for g, t in pts]
                worst = max(p / per[0] for p in per)
                out.append((f"{op} time linear in size ({', '.join(f'{g:.0f}' for g, _ in pts)} GiB)",
                            "s/GiB " + ", ".join(f"{p:.2f}" for p in per)
                            + f" (largest / smallest per-GiB: {per[-1] / per[0]:.2f})",
                            "yes" if worst <= 1.25 else "**no**"))
    return out


if __name__ == "__main__":
    main()
