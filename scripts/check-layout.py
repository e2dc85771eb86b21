#!/usr/bin/env python3
"""Checks the library's layout as ARCHITECTURE.md describes it; exits 1 on any breach.

1. No import cycle between files of the library (`crate::` and `super::` paths; a parent that
   declares or re-exports its children is not an edge, and unit tests are not read).
2. Each part imports only from the parts below it, in the order of `PARTS`.
3. No file of the library is over `MAX_LINES` lines, its unit tests included.
4. The library's normal dependencies include no server, database, command-line or terminal
   crate (`cargo tree -p saylau -e normal`).
5. Nothing in the library prints: no `println!`, `eprintln!`, `print!`, `eprint!` or `dbg!`
   outside unit tests (progress goes through `progress::Progress`, results are returned).

usage: scripts/check-layout.py [--no-tree]
"""
import os
import re
import subprocess
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
# Bottom first: a part may import from the parts before it, never from those after it.
PARTS = ["progress", "crypto", "log", "rules", "manifest", "ballot", "record", "ceremony",
         "tally", "election", "trustee", "verify", "sim"]
MAX_LINES = 1000
FORBIDDEN = ["tokio", "axum", "hyper", "tower", "rusqlite", "tokio-postgres", "postgres",
             "deadpool-postgres", "clap", "indicatif", "rpassword", "console"]


def modules():
    found = {}
    for root, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            parts = os.path.relpath(path, SRC)[:-3].split(os.sep)
            if parts[-1] in ("lib", "mod", "main"):
                parts = parts[:-1]
            found["::".join(parts)] = path
    return found


def edges(mods):
    def resolve(segments):
        for k in range(len(segments), 0, -1):
            name = "::".join(segments[:k])
            if name in mods:
                return name
        return None

    out = {m: set() for m in mods}
    path_re = re.compile(r"\b(crate|super)::((?:[A-Za-z_]\w*::)*)(\{[^}]*\}|[A-Za-z_]\w*)", re.S)
    for m, path in mods.items():
        text = re.sub(r"//.*", "", open(path, encoding="utf-8").read())
        text = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", text, flags=re.S)
        here = m.split("::") if m else []
        for prefix, middle, last in path_re.findall(text):
            start = [] if prefix == "crate" else here[:-1]
            segments = [s for s in middle.split("::") if s]
            lasts = ([x.strip().split(" as ")[0].split("::")[0] for x in last.strip("{}").split(",")]
                     if last.startswith("{") else [last])
            for tail in filter(None, lasts):
                target = resolve(start + segments + [tail])
                if target and target != m and not (
                        target.startswith(m + "::") or m.startswith(target + "::")):
                    out[m].add(target)
    return out


def cycles(graph):
    sys.setrecursionlimit(10000)
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            strong(v)
    return found


def main():
    mods = modules()
    graph = edges(mods)
    problems = []
    for component in cycles(graph):
        problems.append("import cycle: " + " <-> ".join(component))
    rank = {p: i for i, p in enumerate(PARTS)}
    for m, targets in sorted(graph.items()):
        part = m.split("::")[0]
        if m and part not in rank:
            problems.append(f"{m}: part `{part}` is not in PARTS (add it to ARCHITECTURE.md and here)")
            continue
        for t in sorted(targets):
            other = t.split("::")[0]
            if other in rank and part in rank and rank[other] > rank[part]:
                problems.append(f"upward import: {m} -> {t} ({part} is below {other})")
    printing = re.compile(r"\b(println|eprintln|print|eprint|dbg)!")
    for m, path in sorted(mods.items()):
        code = re.sub(r"//.*", "", open(path, encoding="utf-8").read())
        code = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", code, flags=re.S)
        if printing.search(code):
            problems.append(f"{os.path.relpath(path, SRC)}: prints; the library reports, the command line prints")
    for m, path in sorted(mods.items()):
        lines = sum(1 for _ in open(path, encoding="utf-8"))
        if lines > MAX_LINES:
            problems.append(f"{os.path.relpath(path, SRC)}: {lines} lines (at most {MAX_LINES})")
    if "--no-tree" not in sys.argv:
        tree = subprocess.run(["cargo", "tree", "-p", "saylau", "-e", "normal", "--prefix", "none"],
                              capture_output=True, text=True, cwd=os.path.join(SRC, ".."))
        if tree.returncode != 0:
            problems.append("cargo tree failed: " + tree.stderr.strip())
        names = {line.split(" ")[0] for line in tree.stdout.splitlines() if line.strip()}
        for crate in FORBIDDEN:
            if crate in names:
                problems.append(f"the library depends on `{crate}`: it belongs in a crate of its own")
    for problem in problems:
        print(problem)
    biggest = max((sum(1 for _ in open(p, encoding="utf-8")), os.path.relpath(p, SRC))
                  for p in mods.values())
    print(f"layout: {len(mods)} modules, {len(problems)} problems, largest file {biggest[1]} "
          f"({biggest[0]} lines)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
