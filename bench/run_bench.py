#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""powner's speed on one dump: the CLI (full output, -m handle, a nid filter, --stacks), the
crash extension and the drgn plugin, against the floor (only reading the page_ext region
through libkdumpfile, bench/page_ext_floor.cc). Prints a Markdown table for bench/RESULTS.md.

usage: run_bench.py BUILD_DIR VMCORE VMLINUX [--runs N] [--skip crash,drgn] [--threads N]

"x floor" divides by the floor process's wall time (the same set-up: dump, DWARF, kernel
model, then reading), run by run: each timed run follows a floor run, and the median of the
pairs' ratios is given (this host's speed drifts by tens of percent over minutes). Each figure is the median of N runs (default 3), warm page cache (one untimed run first).
Outputs go to a file (-o) in the temporary folder, and the full output also to /dev/null.
Wall time and peak RSS come from /usr/bin/time; pages scanned is the floor's pfn count (the
walk visits the same pfns); records are the output's "PFN" lines (for --stacks, its stacks);
output MB/s is the output's size over the wall time. For crash, the figure is the session with
the command minus the session without it (crash's own start-up), RSS the whole session's."""
import argparse
import os
import re
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


FLOOR = []  # the floor process's command, set in main()


def median_run(cmd, runs, env=None):
    """(median wall, peak RSS, stderr, median of wall / the floor's wall run just before). The
    host's speed drifts by tens of percent over minutes, so each run is paired with a floor run
    and the ratio of the pair is what compares."""
    timed(cmd, env)  # warm the page cache
    results, ratios = [], []
    for _ in range(runs):
        floor_wall = timed(FLOOR)[0] if FLOOR else 0
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


def crash_first_and_later(crash, ext, core, vmlinux, runs, tmp):
    """(first, later) seconds of the same crash> powner command run twice in one session, each
    the median of runs sessions: the first pays for the types crash's gdb resolves once."""
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
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    cli = os.path.join(args.build, "cli", "powner")
    floor_bin = os.path.join(args.build, "bench", "powner_bench_floor")
    core, vmlinux = os.path.abspath(args.vmcore), os.path.abspath(args.vmlinux)

    floor_out = subprocess.run([floor_bin, core, vmlinux], capture_output=True, text=True,
                               check=True).stdout
    floor_runs = []
    for _ in range(args.runs + 1):
        out = subprocess.run([floor_bin, core, vmlinux], capture_output=True, text=True,
                             check=True).stdout
        floor_runs.append(float(re.search(r"in ([\d.]+) s", out).group(1)))
    pfns = int(re.search(r"floor: (\d+) pfns", floor_out).group(1))
    floor_s = statistics.median(floor_runs[1:])
    fwall, frss, _, _ = median_run([floor_bin, core, vmlinux], args.runs)
    FLOOR.extend([floor_bin, core, vmlinux])
    print(f"dump: {core} ({os.path.getsize(core) / 1e9:.2f} GB), {pfns} pfns")
    print(f"floor: {floor_out.strip()}")
    print(f"floor median: {floor_s:.3f} s of reading page_ext ({fwall:.2f} s and {frss:.0f} MB "
          f"for the whole process, set-up included)\n")

    rows = []
    tmp = tempfile.mkdtemp(prefix="powner-bench-")
    out = os.path.join(tmp, "out")
    jobs = [("full", []), ("-m handle", ["-m", "handle"]), ("-n 1", ["-n", "1"]),
            ("--stacks stacks", ["--stacks", "stacks"])]
    threads = [t for t in args.threads.split(",") if t] or [None]
    for t in threads:
        for name, opts in jobs:
            topts = ["--threads", t] if t else []
            wall, rss, _, ratio = median_run(
                [cli, "-c", core, "-s", vmlinux, *opts, *topts, "-o", out], args.runs)
            recs, size = count_output(out, name.startswith("--stacks"))
            rows.append((f"CLI {name}" + (f", --threads {t}" if t else ""), wall, rss, recs,
                         size, ratio))
            if name == "full":  # the same without writing a file: what formatting costs
                wall, rss, _, ratio = median_run([cli, "-c", core, "-s", vmlinux, *topts],
                                                 args.runs)
                rows.append(("CLI full > /dev/null" + (f", --threads {t}" if t else ""), wall,
                             rss, recs, size, ratio))

    if "drgn" not in skip:
        env = dict(os.environ, PYTHONPATH=os.path.join(args.build, "plugin", "python"))
        for name, opts in jobs[:1] + jobs[3:]:
            wall, rss, _, ratio = median_run(["/usr/bin/python3", "-m", "powner.drgn", "-c",
                                              core, "-s", vmlinux, *opts, "-o", out],
                                             args.runs, env)
            recs, size = count_output(out, name.startswith("--stacks"))
            rows.append((f"drgn plugin {name}", wall, rss, recs, size, ratio))

    if "crash" not in skip:
        ext = os.path.join(args.build, "extensions", "crash", "powner.so")
        crash = [os.path.join(TOP, "scripts", "crash")]
        for name, opts in jobs[:1] + jobs[3:]:
            base = os.path.join(tmp, "base.cmd")
            with open(base, "w") as f:
                f.write(f"extend {ext}\nquit\n")
            cmd = os.path.join(tmp, "run.cmd")
            with open(cmd, "w") as f:
                f.write(f"extend {ext}\npowner {' '.join(opts)} > {out}\nquit\n")
            w0, _, _, _ = median_run([*crash, "-s", vmlinux, core, "-i", base], args.runs)
            w1, rss, _, _ = median_run([*crash, "-s", vmlinux, core, "-i", cmd], args.runs)
            recs, size = count_output(out, name.startswith("--stacks"))
            rows.append((f"crash> powner {name} (session {w1:.2f} s - start-up {w0:.2f} s)",
                         w1 - w0, rss, recs, size, (w1 - w0) / fwall))
        first_later = crash_first_and_later(crash, ext, core, vmlinux, args.runs, tmp)

    # x floor: against the floor process's wall time, which pays the same set-up (opening the
    # dump, the DWARF types, the kernel model) before it reads; the median of paired runs (for
    # crash, against the median floor).
    print("| run | wall s | x floor | Mpfn/s | records/s | output MB/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    print(f"| floor (page_ext only) | {fwall:.2f} | 1.00 | {pfns / fwall / 1e6:.1f} | | | "
          f"{frss:.0f} |")
    for name, wall, rss, recs, size, ratio in rows:
        print(f"| {name} | {wall:.2f} | {ratio:.2f} | {pfns / wall / 1e6:.1f} | "
              f"{recs / wall:,.0f} | {size / wall / 1e6:.1f} | {rss:.0f} |")
    print(f"\n(records: {', '.join(f'{n}: {r}' for n, _, _, r, _, _ in rows)})")
    if "crash" not in skip:
        first, later = first_later
        print(f"\ncrash> powner first call / later call (-m handle, one session): {first:.2f} s / "
              f"{later:.2f} s = {first / later:.2f}")


if __name__ == "__main__":
    main()
