"""Transplant from a safetensors source against the same transplant from an .h5 source (issue 22).

One run, one machine: a Dense stack written by real Keras (testdata/make_large.py) is the .h5
source and, saved again as .keras, the target; its weights are also written with the reference
`safetensors` library twice: under Keras weight paths (`dense_0/kernel`, mapped by the identity
rule `* => $1`) and in PyTorch layout (`dense_0.weight` (out, in), `dense_0.bias`, mapped by the
shipped `torch-cnn` mapping, which transposes every Linear weight). Each transplant runs
`initkit transplant`, rotated with the others and with `cp` of the target (the floor), under
/usr/bin/time; the report gives medians and the ratios to the .h5 source.

    python3 bench/source_bench.py                       # 1 GiB, 3 repetitions
    python3 bench/source_bench.py --size 256 --reps 1   # quick
Writes bench/results/source.md (--out).
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import bench  # noqa: E402  (the timing, snapshot and environment helpers)

WRITE = r"""
import sys, h5py, numpy as np
from safetensors.numpy import save_file
src, keras_names, torch_layout = sys.argv[1:4]
plain, torch = {}, {}
with h5py.File(src, "r") as f:
    g = f["model_weights"]
    for layer in g.attrs["layer_names"]:
        layer = layer.decode() if isinstance(layer, bytes) else layer
        lg = g[layer]
        for wn in lg.attrs["weight_names"]:
            wn = wn.decode() if isinstance(wn, bytes) else wn
            v = lg[wn][()]
            short = wn.split("/")[-1].split(":")[0]
            plain[f"{layer}/{short}"] = v
            if short == "kernel":
                torch[f"{layer}.weight"] = np.ascontiguousarray(v.T)
            else:
                torch[f"{layer}.{'bias' if short == 'bias' else short}"] = v
save_file(plain, keras_names)
save_file(torch, torch_layout)
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1024, help="MiB of weights (default 1024)")
    ap.add_argument("--width", type=int, default=4096, help="Dense width (default 4096: 64 MiB kernels)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--work", default=os.environ.get("BENCH_WORK", "/tmp/initkit-bench"))
    ap.add_argument("--python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    ap.add_argument("--java-opts", default="-Xmx256m")
    ap.add_argument("--initkit", default=None)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "source.md"))
    a = ap.parse_args()
    a.work = os.path.abspath(a.work)
    m = os.path.join(a.work, "source-models")
    os.makedirs(m, exist_ok=True)
    h5 = os.path.join(m, f"dense{a.size}w{a.width}.h5")
    target = os.path.join(m, f"dense{a.size}w{a.width}.keras")
    plain = os.path.join(m, f"dense{a.size}w{a.width}.safetensors")
    torch = os.path.join(m, f"dense{a.size}w{a.width}-torch.safetensors")
    for p in (h5, target):
        if not os.path.exists(p):
            bench.sh([a.python, os.path.join(ROOT, "testdata", "make_large.py"), p, str(a.size),
                      "--width", str(a.width)])
    if not (os.path.exists(plain) and os.path.exists(torch)):
        bench.sh([a.python, "-c", WRITE, h5, plain, torch])
    identity = os.path.join(m, "identity.map")
    with open(identity, "w") as f:
        f.write("* => $1\n")
    if a.initkit is None:
        a.initkit = bench.snapshot_build(a.work)
    env = dict(os.environ, JAVA_OPTS=a.java_opts)
    out_dir = os.path.join(a.work, "source-out")
    os.makedirs(out_dir, exist_ok=True)
    o = lambda n: os.path.join(out_dir, n)  # noqa: E731
    ik = [a.initkit, "-q", "transplant"]
    cmds = {
        "cp (floor)": (["cp", target, o("cp.keras")], [o("cp.keras")], None),
        ".h5 source": (ik + ["--from", h5, "--to", target, "-o", o("h5.keras"), "--strict"], [o("h5.keras")], env),
        ".safetensors, Keras names": (ik + ["--from", plain, "--to", target, "--map", identity, "-o",
                                            o("st.keras"), "--strict"], [o("st.keras")], env),
        ".safetensors, PyTorch layout (torch-cnn)": (ik + ["--from", torch, "--to", target, "--map", "torch-cnn",
                                                           "-o", o("pt.keras"), "--strict"], [o("pt.keras")], env),
    }
    runner = bench.Runner(a)
    order = list(cmds)
    samples = {t: [] for t in order}
    load0 = os.getloadavg()
    for rep in range(a.reps):
        for tool in order[rep % len(order):] + order[:rep % len(order)]:
            cmd, outs, e = cmds[tool]
            r = runner.time(cmd, outs, env=e, label=tool)
            samples[tool].append(r)
            if r:
                bench.log(f"  {tool:42s} rep {rep + 1}: {r['wall']:.2f} s, {r['rss_mb']:.0f} MB")
        for _, outs, _ in cmds.values():
            for p in outs:
                if os.path.exists(p):
                    os.remove(p)
    st = {t: bench.stats(s) for t, s in samples.items()}
    envd = bench.environment(a)
    ref = st[".h5 source"]
    L = [f"# Transplant source formats ({datetime.datetime.now().strftime('%Y-%m-%d %H:%M')})", "",
         f"- machine: {envd['cpu']}, {envd['mem']} RAM; {envd['java']}; {envd['python']}",
         f"- initkit: commit {envd['commit']}; JAVA_OPTS=`{a.java_opts}`",
         f"- source: a Dense stack of {os.path.getsize(h5) / 2**30:.2f} GiB (width {a.width}) written by Keras; "
         f"target: the same model saved as .keras; {a.reps} repetitions, median (min–max) wall time",
         f"- load average at start / end: {load0[0]:.1f} / {os.getloadavg()[0]:.1f}", "",
         "| source | wall | / .h5 source | / cp | peak RSS MB |", "|---|---|---|---|---|"]
    for t in order:
        s = st[t]
        L.append(f"| {t} | {bench.fmt_t(s)} | {bench.fmt_r(bench.ratio(s, ref))} "
                 f"| {bench.fmt_r(bench.ratio(s, st['cp (floor)']))} | {'—' if s is None else round(s['rss'])} |")
    L += ["", "Reproduce: `python3 bench/source_bench.py` (`--help` for the options).", ""]
    text = "\n".join(L)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
