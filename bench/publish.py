#!/usr/bin/env python3
"""Regenerates the results of docs/performance.md from the bench reports (Python 3 stdlib only).

docs/performance.md holds its results between marker comments naming a report:

    <!-- bench report: bench/results/tmpfs.md -->
    ...generated: the report's body, headings moved under the page's section...
    <!-- end bench report -->

Everything between a pair is replaced by the named report (written by bench/bench.py) with its title
turned into a line and its headings demoted, so the page shows exactly what the bench measured and
no number is typed by hand. bench/run.sh --publish runs this after writing a report that the page
names; scripts/check_docs.py runs it with --check, which fails (exit 1) when the page is out of date.

  python3 bench/publish.py            # rewrite docs/performance.md
  python3 bench/publish.py --check    # exit 1, with one line, if it would change
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "performance.md"
BLOCK = re.compile(r"(<!-- bench report: (\S+) -->\n)(.*?)(<!-- end bench report -->)", re.S)
# the page's results sit under a level-3 heading: the report's "##" sections become level 4
DEMOTE = 2


def body(report: pathlib.Path) -> str:
    lines = report.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        m = re.match(r"^(#+)\s+(.*)$", line)
        if m and len(m.group(1)) == 1:
            out.append(f"*{m.group(2)}, from `{report.relative_to(ROOT)}`:*")
        elif m:
            out.append("#" * min(6, len(m.group(1)) + DEMOTE) + " " + m.group(2))
        else:
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n"


def render(page: str) -> str:
    def fill(m: re.Match) -> str:
        report = ROOT / m.group(2)
        if not report.is_file():
            raise SystemExit(f"publish: {PAGE.relative_to(ROOT)} names {m.group(2)}, which does not exist")
        return m.group(1) + body(report) + m.group(4)

    return BLOCK.sub(fill, page)


def main(argv):
    check = "--check" in argv
    page = PAGE.read_text(encoding="utf-8")
    if not BLOCK.search(page):
        raise SystemExit(f"publish: {PAGE.relative_to(ROOT)} has no '<!-- bench report: ... -->' block")
    new = render(page)
    if check:
        if new != page:
            print(f"{PAGE.relative_to(ROOT)}: results differ from the bench reports they name: "
                  f"run 'python3 bench/publish.py' (never edit the generated blocks by hand)")
            return 1
        return 0
    if new != page:
        tmp = PAGE.with_suffix(".md.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(PAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
