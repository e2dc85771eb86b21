#!/usr/bin/env python3
"""Shows with strace that the board's sequencer releases a group's acknowledgments only after the
fsync of that group's commit (board.md §7.4). A SIGKILL keeps the page cache, so the crash loops
cannot catch a missing fsync; this can.

It runs the crash test's child board (8 submitters writing "ACK <leaf index> ..." lines) on SQLite
under `strace -f`, with every fsync held 100 ms on return (`-e inject=fsync:delay_exit=100000`).
For each commit of the sequencer (an fsync of its write-ahead log), the acknowledgments written
while that fsync is pending must all be of earlier, already committed groups: their leaf indexes
are below those acknowledged after it returns. Exits 1 if any is not.

usage: scripts/strace-commit.py [SECONDS=6]   (needs strace: apt-get install strace)
"""
import bisect, collections, glob, os, re, shutil, subprocess, sys, tempfile

seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
if not shutil.which("strace"):
    sys.exit("strace-commit: strace is missing; install it (apt-get install strace)")
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
out = subprocess.run(
    ["cargo", "test", "-p", "saylau-board", "--test", "crash", "--no-run", "--message-format=json"],
    cwd=root, capture_output=True, text=True, check=True).stdout
exe = [m for m in re.findall(r'"executable":"([^"]+)"', out) if "/crash-" in m][-1]
tmp = tempfile.mkdtemp(prefix="saylau-strace-")
trace = os.path.join(tmp, "strace.out")
env = dict(os.environ, SAYLAU_BOARD_CRASH_CHILD=f"sqlite:{tmp}/board.db")
subprocess.run(["timeout", str(seconds), "strace", "-f", "-ttt", "-e", "trace=fsync,fdatasync,write",
                "-e", "inject=fsync:delay_exit=100000", "-o", trace, exe, "crash_child", "--exact",
                "--nocapture"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

pending, events = {}, []
for line in open(trace):
    m = re.match(r"(\d+) +([\d.]+) (.*)", line.rstrip("\n"))
    if not m:
        continue
    pid, t, rest = m.group(1), float(m.group(2)), m.group(3)
    if rest.endswith("<unfinished ...>"):
        pending[pid] = (t, rest[: -len("<unfinished ...>")])
        continue
    resumed = re.match(r"<\.\.\. \w+ resumed>(.*)", rest)
    if resumed and pid in pending:
        t, first = pending.pop(pid)
        rest = first + resumed.group(1)
    call = re.match(r'(\w+)\((\d+)(?:, "(.*?)")?', rest)
    if call:
        events.append((t, call.group(1), int(call.group(2)), pid, call.group(3) or ""))

syncs = collections.Counter((pid, fd) for t, sc, fd, pid, _ in events if sc in ("fsync", "fdatasync"))
if not syncs:
    sys.exit("strace-commit: no fsync seen")
(seq_pid, wal_fd), commits = syncs.most_common(1)[0]   # the sequencer's write-ahead log
starts = sorted(t for t, sc, fd, pid, _ in events
                if sc in ("fsync", "fdatasync") and pid == seq_pid and fd == wal_fd)
acks = sorted((t, int(text.split()[1])) for t, sc, fd, _, text in events
              if sc == "write" and fd == 1 and text.startswith("ACK "))
first_return = starts[0] + 0.1
before_first = sum(1 for t, _ in acks if t < first_return)
during_total, wrong, checked = 0, 0, 0
for k, start in enumerate(starts):
    end = starts[k + 1] if k + 1 < len(starts) else float("inf")
    window = [(t, i) for t, i in acks if start <= t < end]
    during = [i for t, i in window if t < start + 0.1]
    after = [i for t, i in window if t >= start + 0.1]
    during_total += len(during)
    if during and after:
        checked += 1
        wrong += max(during) >= min(after)
print(f"{len(starts)} group commits (fsyncs of the sequencer's WAL), {len(acks)} acknowledgments")
print(f"acknowledgments before the first commit's fsync returned: {before_first}")
print(f"acknowledgments written while a commit's fsync was pending: {during_total}, all of earlier "
      f"groups in {checked - wrong} of {checked} windows where both kinds appear")
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if wrong or before_first else 0)
