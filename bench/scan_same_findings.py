#!/usr/bin/env python3
"""Checks that a change left `initkit scan`'s findings as they were: runs `scan --json` (and
`scan --json --no-health`) of this checkout and of a reference launcher (another checkout's
`./initkit`, e.g. main's, built) on the same trees and compares the documents entry by entry
(path, format, error, every finding's rule, severity, location, message and CVE). Exit 0 when
they are the same, 1 with the differences listed otherwise.

  python3 bench/scan_same_findings.py --reference /work/main/initkit testdata/scan ../shared/keras-corpus
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scan(launcher, trees, extra, env=None):
    r = subprocess.run([launcher, "scan", "--json", *extra, *trees], capture_output=True, text=True,
                       env=env)
    if r.returncode not in (0, 7):
        raise SystemExit(f"scan-same-findings: {launcher} failed ({r.returncode}): {r.stderr[-400:]}")
    return json.loads(r.stdout)["files"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="the launcher to compare against")
    ap.add_argument("trees", nargs="+")
    a = ap.parse_args()
    trees = [os.path.abspath(t) for t in a.trees]
    bad = 0
    for extra in ([], ["--no-health"]):
        mine = scan(os.path.join(ROOT, "initkit"), trees, extra)
        # the reference writes nothing into its checkout (no class-data archive)
        ref = scan(a.reference, trees, extra, dict(os.environ, INITKIT_CDS="0"))
        label = " ".join(["scan --json", *extra])
        if [f["path"] for f in mine] != [f["path"] for f in ref]:
            print(f"{label}: the files or their order differ ({len(mine)} against {len(ref)})")
            bad += 1
            continue
        for m, r in zip(mine, ref):
            if m != r:
                bad += 1
                print(f"{label}: {m['path']}:\n  this checkout: {json.dumps(m)}\n  reference:     {json.dumps(r)}")
        print(f"{label}: {len(mine)} files, {sum(len(f['findings']) for f in mine)} findings compared",
              file=sys.stderr)
    print("same findings" if bad == 0 else f"{bad} differences")
    sys.exit(0 if bad == 0 else 1)


if __name__ == "__main__":
    main()
