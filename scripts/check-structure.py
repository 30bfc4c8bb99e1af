#!/usr/bin/env python3
"""Checks the code's shape: no Rust file over 600 lines, and no dependency cycle between
sibling modules of a crate.

For each directory level of a crate, the modules side by side there (each with its whole
subtree) form a graph: an edge A -> B when code in A names `crate::...::B` (or reaches B
through `super::`). That graph must have no cycle. A parent using its children, or a child
its parent, is not a cycle between siblings.

Usage: scripts/check-structure.py [CRATE_SRC_DIR ...]   (default: every crate's src/)
Exits non-zero, naming each problem, if there is one.
"""

import re
import sys
from pathlib import Path

MAX_LINES = 600
ROOT = Path(__file__).resolve().parent.parent


def module_path(src: Path, file: Path) -> tuple:
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def references(text: str, here: tuple, modules: set) -> set:
    """The modules this file's code names, as full paths from the crate root."""
    found = set()
    # `use crate::{a, b::{c, d}}` and `crate::a::b` paths.
    for m in re.finditer(r"\b(crate|super)((?:::\w+)+|::\{)", text):
        start = m.start()
        if m.group(1) == "crate":
            base = ()
        else:
            base = here
            # `super::super::…`
            rest = text[m.start():]
            while rest.startswith("super::"):
                base = base[:-1]
                rest = rest[len("super::"):]
            start = m.start() + (len(text[m.start():]) - len(rest)) - len("super::")
        tail = text[start:]
        tail = re.sub(r"^(crate|super)::", "", tail)
        while tail.startswith("super::"):
            tail = tail[len("super::"):]
        for path in expand(tail):
            full = base + tuple(path)
            # The longest prefix that is a module.
            for n in range(len(full), 0, -1):
                if full[:n] in modules:
                    found.add(full[:n])
                    break
    return found


def expand(tail: str) -> list:
    """`a::b::{c, d::e}` -> [[a, b, c], [a, b, d, e]] (first path only, nested braces kept)."""
    m = re.match(r"((?:\w+::)*)(\{|\w+)", tail)
    if not m:
        return []
    prefix = [p for p in m.group(1).split("::") if p]
    if m.group(2) != "{":
        return [prefix + [m.group(2)]]
    depth, i = 0, m.end(1)
    for j in range(i, len(tail)):
        if tail[j] == "{":
            depth += 1
        elif tail[j] == "}":
            depth -= 1
            if depth == 0:
                inner = tail[i + 1 : j]
                break
    else:
        return [prefix]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for part in parts:
        part = part.strip()
        if part and part != "self":
            out.extend(prefix + p for p in expand(part) if p)
        elif part == "self":
            out.append(prefix)
    return out or [prefix]


def cycles_in(src: Path) -> list:
    files = sorted(src.rglob("*.rs"))
    modules = {module_path(src, f) for f in files}
    refs = {}
    for f in files:
        here = module_path(src, f)
        refs.setdefault(here, set()).update(references(strip_comments(f.read_text()), here, modules))
    problems = []
    parents = {m[:-1] for m in modules if m} | {()}
    for parent in sorted(parents):
        siblings = sorted({m[: len(parent) + 1] for m in modules if len(m) > len(parent) and m[: len(parent)] == parent})
        graph = {s: set() for s in siblings}
        for source, targets in refs.items():
            if source[: len(parent)] != parent or len(source) <= len(parent):
                continue
            a = source[: len(parent) + 1]
            for t in targets:
                if t[: len(parent)] == parent and len(t) > len(parent):
                    b = t[: len(parent) + 1]
                    if a != b:
                        graph[a].add(b)
        problems.extend(find_cycles(graph, src))
    return problems


def find_cycles(graph: dict, src: Path) -> list:
    out, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                cycle = stack[stack.index(m) :] + [m]
                out.append(f"{src}: module cycle " + " -> ".join("::".join(c) for c in cycle))
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return out


def main() -> int:
    dirs = [Path(d) for d in sys.argv[1:]] or sorted(p for p in ROOT.glob("**/src") if "target" not in p.parts and "node_modules" not in p.parts and "fuzz" not in p.parts)
    problems = []
    for src in dirs:
        for f in sorted(src.rglob("*.rs")):
            n = sum(1 for _ in f.open())
            if n > MAX_LINES:
                problems.append(f"{f}: {n} lines (at most {MAX_LINES})")
        problems.extend(cycles_in(src))
    for test_dir in sorted(p for p in ROOT.glob("**/tests") if "target" not in p.parts and "node_modules" not in p.parts):
        for f in sorted(test_dir.rglob("*.rs")):
            n = sum(1 for _ in f.open())
            if n > MAX_LINES:
                problems.append(f"{f}: {n} lines (at most {MAX_LINES})")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
