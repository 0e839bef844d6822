#!/usr/bin/env python3
"""Checks the documentation's links (run by scripts/test.sh before Maven; Python 3 stdlib only).

For README.md, docs/*.md, cli/README.md and bench/README.md:
- every relative Markdown link ([text](path), [text](path#anchor), [text](#anchor), and reference
  definitions "[id]: path") names a file or directory that exists;
- every #anchor matches a heading of the target Markdown file, slugged as GitHub does (lowercase,
  punctuation dropped, spaces to hyphens, "-1", "-2" for repeats) or an explicit <a id/name="...">;
- README.md has at most 150 lines;
- docs/performance.md's generated results equal the bench reports they name (bench/publish.py --check).
Links inside code spans and fenced code blocks are ignored, and so are absolute URLs (http:, https:,
mailto:). Prints one line per problem, "FILE:LINE: what", and exits 1 if there is any.

  python3 scripts/check_docs.py           # from anywhere in the checkout
"""
import pathlib
import subprocess
import re
import sys
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parent.parent
README_MAX_LINES = 150

# Directories that other work fills and that may not exist yet in a checkout: a link to the
# directory itself is fine while it is missing (links to files inside it are still checked).
# docs/json/ holds the golden --json documents the CLI tests compare against.
ALLOW_MISSING_DIRS = {"docs/json"}

INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXPLICIT_ANCHOR = re.compile(r"<a\s+[^>]*(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.I)
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")


def files_to_check():
    files = [ROOT / "README.md", ROOT / "cli" / "README.md", ROOT / "bench" / "README.md"]
    files += sorted((ROOT / "docs").glob("*.md"))
    return [f for f in files if f.is_file()]


def prose_lines(text):
    """(line number, line) outside fenced code blocks, with code spans blanked."""
    fence = None
    for number, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        yield number, CODE_SPAN.sub(lambda s: " " * len(s.group(0)), line)


def slug(heading):
    """GitHub's heading anchor: the text as rendered, lowercased, punctuation dropped."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # images: their alt text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"(?<!\w)_+|_+(?!\w)", "", text)  # emphasis underscores, not snake_case
    out = []
    for ch in text.strip().lower():
        if ch in "-_ " or ch.isalnum() or unicodedata.category(ch).startswith("M"):
            out.append("-" if ch == " " else ch)
    return "".join(out)


_anchor_cache = {}


def anchors(path):
    if path not in _anchor_cache:
        found, seen = set(), {}
        for _, line in prose_lines(path.read_text(encoding="utf-8")):
            found.update(EXPLICIT_ANCHOR.findall(line))
        for _, line in fenced_aware_headings(path):
            base = slug(line)
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
        _anchor_cache[path] = found
    return _anchor_cache[path]


def fenced_aware_headings(path):
    """Headings outside fenced code blocks (code spans kept: they count in the slug)."""
    raw = path.read_text(encoding="utf-8").split("\n")
    for number, _ in prose_lines("\n".join(raw)):
        m = HEADING.match(raw[number - 1])
        if m:
            yield number, m.group(2)


def check_link(source, number, target, problems):
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
        return  # absolute URL (http:, https:, mailto:, ...)
    path_part, _, anchor = target.partition("#")
    rel = source.relative_to(ROOT)
    if path_part:
        dest = (source.parent / path_part).resolve()
        try:
            dest_rel = dest.relative_to(ROOT).as_posix()
        except ValueError:
            problems.append(f"{rel}:{number}: link leaves the checkout: {target}")
            return
        if not dest.exists():
            if dest_rel.rstrip("/") in ALLOW_MISSING_DIRS and not anchor:
                return
            problems.append(f"{rel}:{number}: missing file: {target}")
            return
    else:
        dest = source
    if anchor:
        if dest.is_dir() or dest.suffix.lower() != ".md":
            problems.append(f"{rel}:{number}: anchor on something that is not a Markdown file: {target}")
        elif anchor not in anchors(dest):
            problems.append(f"{rel}:{number}: no heading for anchor #{anchor} in {dest.relative_to(ROOT)}")


def main():
    problems = []
    for source in files_to_check():
        text = source.read_text(encoding="utf-8")
        for number, line in prose_lines(text):
            for m in INLINE_LINK.finditer(line):
                check_link(source, number, m.group(1), problems)
            m = REFERENCE_DEF.match(line)
            if m:
                check_link(source, number, m.group(1), problems)
    readme = ROOT / "README.md"
    lines = len(readme.read_text(encoding="utf-8").splitlines())
    if lines > README_MAX_LINES:
        problems.append(f"README.md: {lines} lines, more than {README_MAX_LINES}: move the detail into docs/")
    for p in problems:
        print(p)
    published = subprocess.run([sys.executable, str(ROOT / "bench" / "publish.py"), "--check"])
    return 1 if problems or published.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
