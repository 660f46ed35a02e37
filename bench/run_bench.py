#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""powner's speed on one dump: the CLI (full output, -m handle, a nid filter, --stacks), the
crash extension and the drgn plugin, against the floor (bench/read_floor.cc: reading, and so
decompressing, every struct page and page_ext the walk reads, through libkdumpfile, on the
walk's number of threads, and nothing more). Prints a Markdown table for bench/RESULTS.md and
the speed goals of the full output against that floor, and against the output floor: the
same floor copying as many bytes as the output has into a buffer and writing them to the same
place (bench/read_floor.cc --write), what any program printing that text pays besides
formatting it.

usage: run_bench.py BUILD_DIR VMCORE VMLINUX [--runs N] [--skip crash,drgn,drgn-peer,crash-peer]
                    [--threads N] [--peer-sample PFNS] [--peer-budget SECONDS]

"x floor" divides by the floor process's wall time (the same set-up: dump, DWARF, kernel
model, then reading) on the same number of threads, run by run: each timed run follows a floor
run, and the median of the pairs' ratios is given (this host's speed drifts by tens of percent
over minutes). Each figure is the median of N runs (default 3), warm page cache (one untimed run
first). Outputs go to a new file (-o; the last run's is removed first) in a temporary folder on
/dev/shm (tmpfs) when it has room, else in the system's temporary folder, and the full output
also to /dev/null.
Wall time and peak RSS come from /usr/bin/time; pages scanned is the floor's pfn count (the
walk visits the same pfns); records are the output's "PFN" lines (for --stacks, its stacks);
output MB/s is the output's size over the wall time. For crash, the figure is the session with
the command minus the session without it (crash's own start-up), RSS the whole session's.

Two peers run in the same run, with powner's ratio to each: plain drgn (bench/drgn_page_owner.py,
a Python loop over pfns with drgn objects and prog.symbol(); once as written, once with each
address symbolized once) and a crash extension reading one readmem() at a time
(bench/crash_readmem_page_owner.c, crash's value_search()). A drgn peer is one run, not a
median: it first runs on the first --peer-sample pfns, and when that sample's records/s put the
whole dump beyond --peer-budget seconds, its row is that estimate (set-up + all records at the
sample's records/s), marked as extrapolated, instead of a full run."""
import argparse
import atexit
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def timed(cmd, env=None, stdout=subprocess.DEVNULL):
    """(wall seconds, peak RSS MB, stderr) of one run."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        p = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %M", *cmd], env=env,
                           stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        wall, rss = t.read().split()[-2:]
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode()[-2000:]}")
    return float(wall), int(rss) / 1024, p.stderr.decode(errors="replace")


FLOOR = []  # the default floor process's command, set in main()


def median_run(cmd, runs, env=None, floor=None, output=None, floor_output=None):
    """(median wall, peak RSS, stderr, median of wall / the floor's wall run just before). The
    host's speed drifts by tens of percent over minutes, so each run is paired with a floor run
    (floor, else FLOOR) and the ratio of the pair is what compares. output: a file the command
    writes, removed before each run (a new file, as a user writes one, not a 750 MB file's
    truncation); floor_output the same for the floor's."""
    floor = floor or FLOOR
    timed(cmd, env)  # warm the page cache
    results, ratios = [], []
    for _ in range(runs):
        for path in (output, floor_output):
            if path and os.path.exists(path):
                os.unlink(path)
        if output or floor_output:
            os.sync()  # the last run's 750 MB written back first: no run pays for another's
        floor_wall = timed(floor)[0] if floor else 0
        if output or floor_output:
            os.sync()
        results.append(timed(cmd, env))
        if floor_wall:
            ratios.append(results[-1][0] / floor_wall)
    walls = [r[0] for r in results]
    ratio = statistics.median(ratios) if ratios else 0
    return statistics.median(walls), max(r[1] for r in results), results[-1][2], ratio


def count_output(path, stacks):
    records = 0
    pattern = re.compile(rb"^nr_base_pages: " if stacks else rb"^PFN ")
    with open(path, "rb") as f:
        for line in f:
            if pattern.match(line):
                records += 1
    return records, os.path.getsize(path)


def count_frames(path):
    """(records, stack frames) of a page_owner-like text: its PFN lines and " "-led lines."""
    records = frames = 0
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"PFN "):
                records += 1
            elif line.startswith(b" "):
                frames += 1
    return records, frames


def drgn_peer(core, vmlinux, tmp, reference, sample, budget, memo):
    """The plain drgn peer's row and a note on how it was measured. reference is (records,
    frames) of powner's full output, what the estimate scales to."""
    out = os.path.join(tmp, "drgn-peer.txt")
    cmd = ["/usr/bin/python3", os.path.join(HERE, "drgn_page_owner.py"), "-c", core, "-s",
           vmlinux, "-o", out, *(["--memo-symbols"] if memo else [])]
    name = "plain drgn" + (", symbols memoized" if memo else "")

    def stats(stderr):
        m = re.search(r"(\d+) pfns, (\d+) records, (\d+) frames, walk ([\d.]+) s, "
                      r"set-up ([\d.]+) s", stderr)
        return int(m[1]), int(m[2]), int(m[3]), float(m[4]), float(m[5])

    wall, rss, err = timed([*cmd, "--pfns", str(sample)])
    pfns, recs, frames, walk, setup = stats(err)
    total_recs, total_frames = reference
    whole = recs >= total_recs  # the sample was the whole dump
    estimate = setup + walk * total_recs / recs if recs else 0
    if not whole and estimate <= budget:  # no records in the sample: no estimate, run it all
        wall, rss, err = timed(cmd)
        pfns, recs, frames, walk, setup = stats(err)
        whole = True
    if whole:
        return (f"{name} (bench/drgn_page_owner.py)", wall, rss, recs, os.path.getsize(out)), \
            f"{name}: one full run, {recs} records, {frames} frames"
    size = os.path.getsize(out) * total_recs / recs
    note = (f"{name}: EXTRAPOLATED from a sample of the first {pfns} pfns ({recs} records, "
            f"{frames} frames, {frames / recs:.1f} a record; powner's output has "
            f"{total_frames / total_recs:.1f}) walked in {walk:.1f} s = {recs / walk:,.0f} "
            f"records/s; estimate = set-up {setup:.1f} s + {total_recs} records / "
            f"{recs / walk:,.0f} records/s = {estimate:.0f} s (a full run would pass the "
            f"{budget:.0f} s budget); output size scaled the same way")
    return (f"{name} (bench/drgn_page_owner.py), EXTRAPOLATED", estimate, rss, total_recs,
            size), note


def crash_sessions(ext, command, core, vmlinux, runs, tmp):
    """(median wall of a crash session running command, of one that only loads the extension,
    peak RSS of the first): the difference is what the command costs."""
    crash = [os.path.join(TOP, "scripts", "crash")]
    walls = []
    for name, lines in (("run", [command]), ("base", [])):
        path = os.path.join(tmp, f"{name}.cmd")
        with open(path, "w") as f:
            f.write("\n".join([f"extend {ext}", *lines, "quit"]) + "\n")
        walls.append(median_run([*crash, "-s", vmlinux, core, "-i", path], runs)[:2])
    (w1, rss), (w0, _) = walls
    return w1, w0, rss


def crash_peer(build, core, vmlinux, tmp, runs):
    """The crash readmem peer's row: the session with the command minus the session that only
    loads the extension, as for crash> powner."""
    ext = os.path.join(build, "bench", "crash_readmem_page_owner.so")
    if not os.path.exists(ext):
        return None, "crash readmem peer: not built (no crash defs.h), skipped"
    out = os.path.join(tmp, "crash-peer.txt")
    w1, w0, rss = crash_sessions(ext, f"readmem_page_owner > {out}", core, vmlinux, runs, tmp)
    recs, size = count_output(out, False)
    return (f"crash readmem peer (session {w1:.2f} s - start-up {w0:.2f} s)", w1 - w0, rss, recs,
            size), f"crash readmem peer: median of {runs} session pairs, {recs} records"


def run_peers(args, skip, core, vmlinux, cli, tmp):
    """The peers' rows (name, wall, RSS, records, size) and notes."""
    rows, notes = [], []
    if "drgn-peer" not in skip:
        reference = os.path.join(tmp, "reference.txt")
        subprocess.run([cli, "-c", core, "-s", vmlinux, "-o", reference], check=True)
        totals = count_frames(reference)
        for memo in (False, True):
            row, note = drgn_peer(core, vmlinux, tmp, totals, args.peer_sample,
                                  args.peer_budget, memo)
            rows.append(row)
            notes.append(note)
    if "crash-peer" not in skip:
        row, note = crash_peer(args.build, core, vmlinux, tmp, args.runs)
        if row:
            rows.append(row)
        notes.append(note)
    return rows, notes


def print_peer_ratios(rows, peers, notes):
    """How many times faster than each peer powner's full-output runs are."""
    if not peers:
        return
    print("\npeers (full output to a file):")
    for note in notes:
        print(f"- {note}")
    mine = [(n, w) for n, w, *_ in rows
            if re.fullmatch(r"CLI full, -j \d+|drgn plugin full", n)
            or n.startswith("crash> powner full")]
    for peer, pwall, *_ in peers:
        peer = peer.split(" (")[0] + (", extrapolated" if "EXTRAPOLATED" in peer else "")
        for name, wall in mine:
            label = "crash> powner full" if name.startswith("crash>") else name
            times = max(pwall / wall, wall / pwall)
            speed = (f"{times:,.0f}x" if times >= 100 else f"{times:.1f}x") + \
                (" faster than" if pwall >= wall else " slower than")
            print(f"- powner {label} ({wall:.2f} s) is {speed} {peer} ({pwall:.2f} s)")


def crash_first_and_later(crash, ext, core, vmlinux, runs, tmp):
    """(first, later) seconds of the same crash> powner command run twice in one session, each
    the median of runs sessions: the first pays for the session's types (read once)."""
    cmd = os.path.join(tmp, "twice.cmd")
    stamp = "!date +%s.%N\n"
    with open(cmd, "w") as f:
        f.write(f"extend {ext}\n{stamp}" + f"powner -m handle -o /dev/null\n{stamp}" * 2 + "quit\n")
    firsts, laters = [], []
    for _ in range(runs):
        p = subprocess.run([*crash, "-s", vmlinux, core, "-i", cmd], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)
        t = [float(x) for x in re.findall(rb"^(\d+\.\d+)$", p.stdout, re.M)]
        firsts.append(t[1] - t[0])
        laters.append(t[2] - t[1])
    return statistics.median(firsts), statistics.median(laters)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("vmcore")
    ap.add_argument("vmlinux")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip", default="")
    ap.add_argument("--threads", default="", help="powner --threads values to try, e.g. 1,2")
    ap.add_argument("--peer-sample", type=int, default=16384,
                    help="pfns of the drgn peer's first, sample run")
    ap.add_argument("--peer-budget", type=float, default=600,
                    help="seconds a drgn peer's full run may take before it is extrapolated")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    cli = os.path.join(args.build, "cli", "powner")
    floor_bin = os.path.join(args.build, "bench", "powner_bench_floor")
    core, vmlinux = os.path.abspath(args.vmcore), os.path.abspath(args.vmlinux)

    # The walk's default: a thread per CPU available, at most 8 (default_walk_threads()).
    default_threads = min(len(os.sched_getaffinity(0)), 8)

    def floor_cmd(threads, page_ext_only=False):
        return [floor_bin, core, vmlinux, "--threads", str(threads),
                *(["--page-ext-only"] if page_ext_only else [])]

    floor_out = subprocess.run(floor_cmd(default_threads), capture_output=True, text=True,
                               check=True).stdout
    pfns = int(re.search(r"floor: (\d+) pfns", floor_out).group(1))
    FLOOR.extend(floor_cmd(default_threads))
    print(f"dump: {core} ({os.path.getsize(core) / 1e9:.2f} GB), {pfns} pfns")
    print(f"floor: {floor_out.strip()}\n")

    rows, floors = [], {}
    # Outputs go to memory (tmpfs) when there is room: writing 755 MB to this VM's disk took
    # 0.2 to 1.9 s of system time from run to run (write-back, block allocation), which is the
    # disk's, not the program's; a tmpfs write costs the page-cache copy alone, run after run.
    shm = "/dev/shm"
    room = os.path.isdir(shm) and os.statvfs(shm).f_bavail * os.statvfs(shm).f_frsize > 4e9
    tmp = tempfile.mkdtemp(prefix="powner-bench-", dir=shm if room else None)
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # 750 MB outputs in memory
    out = os.path.join(tmp, "out")
    jobs = [("full", []), ("-m handle", ["-m", "handle"]), ("-n 1", ["-n", "1"]),
            ("--stacks stacks", ["--stacks", "stacks"])]
    threads = [int(t) for t in args.threads.split(",") if t] or [default_threads]
    for t in threads:
        floor = floor_cmd(t)
        fw, frss_t, _, _ = median_run(floor, args.runs, floor=floor)
        floors[t] = fw
        rows.append((f"floor: struct pages and page_ext, {t} thread(s)", fw, frss_t, 0, 0, 1.0))
        for name, opts in jobs:
            run = [cli, "-c", core, "-s", vmlinux, *opts, "--threads", str(t)]
            wall, rss, _, ratio = median_run([*run, "-o", out], args.runs, floor=floor,
                                             output=out)
            recs, size = count_output(out, name.startswith("--stacks"))
            rows.append((f"CLI {name}, -j {t}", wall, rss, recs, size, ratio))
            if name == "full":  # the same without writing a file: what formatting costs
                wall, rss, _, ratio = median_run(run, args.runs, floor=floor)
                rows.append((f"CLI full > /dev/null, -j {t}", wall, rss, recs, size, ratio))
                rows.extend(against_output_floor(floor, run, out, size, recs, t, args.runs))
    fw, frss, _, _ = median_run(floor_cmd(1, page_ext_only=True), args.runs,
                                floor=floor_cmd(1, page_ext_only=True))
    rows.append(("floor: page_ext only, 1 thread (the old floor)", fw, frss, 0, 0,
                 fw / floors[threads[-1]]))
    fwall = floors.get(default_threads) or floors[threads[-1]]

    if "drgn" not in skip:
        env = dict(os.environ, PYTHONPATH=os.path.join(args.build, "plugin", "python"))
        for name, opts in jobs[:1] + jobs[3:]:
            wall, rss, _, ratio = median_run(["/usr/bin/python3", "-m", "powner.drgn", "-c",
                                              core, "-s", vmlinux, *opts, "-o", out],
                                             args.runs, env, output=out)
            recs, size = count_output(out, name.startswith("--stacks"))
            rows.append((f"drgn plugin {name}", wall, rss, recs, size, ratio))

    if "crash" not in skip:
        ext = os.path.join(args.build, "extensions", "crash", "powner.so")
        crash = [os.path.join(TOP, "scripts", "crash")]
        for name, opts in jobs[:1] + jobs[3:]:
            w1, w0, rss = crash_sessions(ext, f"powner {' '.join(opts)} > {out}", core, vmlinux,
                                         args.runs, tmp)
            recs, size = count_output(out, name.startswith("--stacks"))
            rows.append((f"crash> powner {name} (session {w1:.2f} s - start-up {w0:.2f} s)",
                         w1 - w0, rss, recs, size, (w1 - w0) / fwall))
        first_later = crash_first_and_later(crash, ext, core, vmlinux, args.runs, tmp)

    peers, notes = run_peers(args, skip, core, vmlinux, cli, tmp)
    rows.extend((*peer, peer[1] / fwall) for peer in peers)

    # x floor: against the floor process's wall time, which pays the same set-up (opening the
    # dump, the DWARF types, the kernel model) before it reads; the median of paired runs (for
    # crash, against the median floor).
    print("| run | wall s | x floor | Mpfn/s | records/s | output MB/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for name, wall, rss, recs, size, ratio in rows:
        print(f"| {name} | {wall:.2f} | {ratio:.2f} | {pfns / wall / 1e6:.1f} | "
              f"{recs / wall:,.0f} | {size / wall / 1e6:.1f} | {rss:.0f} |")
    print(f"\n(records: {', '.join(f'{n}: {r}' for n, _, _, r, _, _ in rows)})")
    if "crash" not in skip:
        first, later = first_later
        print(f"\ncrash> powner first call / later call (-m handle, one session): {first:.2f} s / "
              f"{later:.2f} s = {first / later:.2f} (goal <= 1.3)")
    print_peer_ratios(rows, peers, notes)
    print_goals(rows, threads)


def against_output_floor(floor, run, out, size, recs, threads, runs):
    """Rows of the output floor (the floor that also copies and writes size bytes, to a new
    file beside out and to /dev/null) and of the CLI's full output paired with it."""
    rows = []
    written = out + ".floor"
    for dest, cli_run, label in ((written, [*run, "-o", out], "a file"),
                                 ("/dev/null", run, "/dev/null")):
        output_floor = [*floor, "--write", dest, str(size)]
        fw, frss, _, fratio = median_run(output_floor, runs, floor=floor,
                                         output=written if dest == written else None)
        rows.append((f"output floor: the floor + {size / 1e6:.0f} MB copied and written to "
                     f"{label}, {threads} thread(s)", fw, frss, 0, size, fratio))
        to_file = dest == written
        wall, rss, _, ratio = median_run(cli_run, runs, floor=output_floor,
                                         output=out if to_file else None,
                                         floor_output=written if to_file else None)
        rows.append((f"CLI full to {label} against the output floor, -j {threads}", wall, rss,
                     recs, size, ratio))
    if os.path.exists(written):
        os.unlink(written)
    return rows


def print_goals(rows, threads):
    """The speed goals of the full output (bench/RESULTS.md), from this run's rows: the issue's,
    against the floor that only reads, and the output floor's, against the floor that also
    writes as many bytes."""
    by_name = {name: (wall, rss, ratio) for name, wall, rss, _, _, ratio in rows}
    print("\nGoals (full output, x the floor on as many threads):")
    for t in threads:
        for name, goal in ((f"CLI full, -j {t}", 1.3), (f"CLI full > /dev/null, -j {t}", 1.15),
                           (f"CLI full to a file against the output floor, -j {t}", 1.3),
                           (f"CLI full to /dev/null against the output floor, -j {t}", 1.15)):
            if name in by_name:
                _, rss, ratio = by_name[name]
                verdict = "met" if ratio <= goal else "NOT met"
                print(f"  {name}: {ratio:.2f}x (goal <= {goal}x: {verdict}); peak RSS "
                      f"{rss:.0f} MB (goal < 256 MB: {'met' if rss < 256 else 'NOT met'})")


if __name__ == "__main__":
    main()
