#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""powner sort against the kernel's page_owner_sort, byte for byte.

usage: check_sort.py POWNER PAGE_OWNER_SORT FIXTURE_DIR [--full] [DUMP...]
       check_sort.py POWNER PAGE_OWNER_SORT --odd
       check_sort.py POWNER PAGE_OWNER_SORT --cli

With FIXTURE_DIR (an unpacked fixture: captures/, vmlinux, the dumps):
  (a) `powner sort OPTS captures/page_owner.txt OUT` against `page_owner_sort OPTS
      captures/page_owner.txt OUT`, for every option set (--full: the long list too);
  (b) for each DUMP, `powner sort OPTS --core DUMP --symbols vmlinux OUT` against
      page_owner_sort on powner's own text of that dump (`powner -c DUMP -s vmlinux`).
With --odd: both on synthetic texts with odd and malformed blocks. With --cli: the command line
as a user meets it (--help, one-line errors and their statuses, OUTPUT or standard output).

Where page_owner_sort stops without writing its output file, powner sort must fail (non-zero
exit, no output). Each difference is reported with the option set and the first differing
lines; ends with "N passed, N failed"."""
import collections
import difflib
import os
import re
import subprocess
import sys
import tempfile


def first_difference(want, got):
    a, b = want.decode(errors="replace").split("\n"), got.decode(errors="replace").split("\n")
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    lo = max(0, i - 3)
    diff = difflib.unified_diff(a[lo:i + 6], b[lo:i + 6], "page_owner_sort", "powner sort",
                                lineterm="")
    return f"first difference at line {i + 1} ({len(a)} lines against {len(b)}):\n" + \
        "\n".join(diff)


class Checker:
    def __init__(self, powner, reference, work):
        self.powner, self.reference, self.work = powner, reference, work
        self.passed = self.failed = 0
        self.cache = {}

    def reference_output(self, opts, text_path):
        """page_owner_sort's output file, or None where it writes none."""
        key = (tuple(opts), text_path)
        if key not in self.cache:
            out = os.path.join(self.work, "reference.out")
            if os.path.exists(out):
                os.unlink(out)
            subprocess.run([self.reference, *opts, text_path, out], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            self.cache[key] = open(out, "rb").read() if os.path.exists(out) else None
        return self.cache[key]

    def check(self, what, want, cmd):
        out = os.path.join(self.work, "powner.out")
        if os.path.exists(out):
            os.unlink(out)
        run = subprocess.run([*cmd, out], capture_output=True, check=False)
        got = open(out, "rb").read() if os.path.exists(out) else None
        problem = None
        if want is None:
            if run.returncode == 0 or got is not None:
                problem = "page_owner_sort writes no output here; powner sort did not fail"
            elif run.stderr.count(b"\n") != 1:
                problem = f"not one line on stderr: {run.stderr!r}"
        elif run.returncode != 0:
            problem = f"exit status {run.returncode}: {run.stderr.decode(errors='replace')}"
        elif got != want:
            problem = first_difference(want, got)
        if problem:
            self.failed += 1
            print(f"FAIL {what}: {problem}")
        else:
            self.passed += 1

    def file_input(self, opts, text_path, label):
        want = self.reference_output(opts, text_path)
        self.check(f"{label} {' '.join(opts)}", want, [self.powner, "sort", *opts, text_path])


def top(counter, n):
    return [k for k, _ in counter.most_common(n)]


def option_sets(capture, full):
    """The option sets, with pids, tgids and names taken from the capture."""
    pids, tgids, names = collections.Counter(), collections.Counter(), collections.Counter()
    head = re.compile(rb"pid (\d+), tgid (\d+) \((.*)\), ts")
    with open(capture, "rb") as f:
        for line in f:
            m = head.search(line)
            if m:
                pids[m.group(1).decode()] += 1
                tgids[m.group(2).decode()] += 1
                names[m.group(3).decode(errors="replace")] += 1
    some_pids = ",".join(top(pids, 3) + ["999999"])
    some_tgids = ",".join(top(tgids, 2))
    some_names = ",".join(top(names, 3) + ["nosuchtask"])
    sets = [[], ["-t"], ["-a"], ["-m"], ["-n"], ["-p"], ["-P"], ["-s"],
            ["--cull", "pid"], ["--cull", "tgid"], ["--cull", "name"], ["--cull", "stacktrace"],
            ["--cull", "allocator"], ["--cull", "pid,tgid,name,stacktrace,allocator"],
            ["-m", "--cull", "st"], ["-a", "--cull", "ator,n"], ["--pid", some_pids],
            ["--tgid", some_tgids], ["--name", some_names], ["--sort", "-pid,at"]]
    if not full:
        return sets
    keys = ["pid", "p", "tgid", "tg", "name", "n", "stacktrace", "st", "txt", "T", "alloc_ts",
            "at", "allocator", "ator"]
    for key in keys:
        sets += [["--sort", key], ["--sort", "-" + key]]
    sets += [["--sort", "+st,-pid,at"], ["-m", "--sort", "pid"], ["-a", "--sort", "-at"],
             ["--sort", "-tgid", "--cull", "pid"]]
    for flag in ["-a", "-m", "-n", "-p", "-P", "-s", "-t"]:
        sets += [[flag, "--cull", "pid,name"], [flag, "--cull", "st,ator"]]
    sets += [["--cull", "st,pid"], ["--cull", "tg,n"], ["--cull", "p", "--cull", "st"],
             ["--cull", "n,ator", "-P"], ["--pid", some_pids, "--cull", "st"],
             ["--name", some_names, "--tgid", some_tgids], ["--pid", some_pids, "-m"],
             ["--tgid", some_tgids, "--cull", "allocator", "-s"], ["--name", some_names, "-a"],
             ["--pid", some_pids, "--tgid", some_tgids, "--name", some_names, "--cull", "name"],
             ["--pid", "1", "--pid", some_pids], ["-p", "-p"], ["-mm"],
             # page_owner_sort refuses these, writing nothing
             ["-a", "-m"], ["-t", "-s"], ["--cull", "txt"], ["--cull", "pid,"],
             ["--sort", "bogus"], ["--sort", "-"], ["--pid", "1,x"], ["--tgid", ""]]
    return sets


# Synthetic blocks: every odd shape page_owner_sort's reading meets, each a whole input.
PAD = " " + "x" * 120 + "\n"  # keeps a block over 100 bytes: the tool's array holds size / 100


def block(order="0", pid="1", tgid="1", comm="init", ts="100", stack=(" a+0x1/0x2\n",),
          pfn="PFN 0x1 type Movable Block 0 type Movable Flags 0x0()\n"):
    return (f"Page allocated via order {order}, mask 0x0(), pid {pid}, tgid {tgid} ({comm}), "
            f"ts {ts} ns\n" + pfn + "".join(stack) + PAD + "\n")


VMALLOC = (" alloc_pages_noprof+0x1/0x2\n", " __vmalloc_node_range_noprof+0x1/0x2\n")


def odd_inputs():
    same = block() * 3
    yield "identical blocks", same
    yield "timestamps differ", block(ts="1") + block(ts="3") + block(ts="2")
    yield "no blank line at the end", same + block().rstrip("\n")
    yield "two blank lines", block() + "\n" + block()
    yield "no task name", block() + "Page allocated via order 0, pid 1\n" + PAD + "\n"
    yield "name of 15 characters", block(comm="a" * 15) + block(comm="b" * 15)
    yield "name of 16 characters", block(comm="a" * 16)
    yield "name with ), ts inside", block(comm="x), ts") + block(comm="y")
    yield "name with spaces and parentheses", block(comm="a (b) c") + block(comm="(")
    yield "empty name", block(comm="") + block()
    yield "orders", "".join(block(order=o) for o in
                            ["0", "3", "10", "30", "31", "32", "63", "64", "65", "2147483648",
                             "4294967297", "99999999999999999999", "", "1x"])
    yield "pids", "".join(block(pid=p, tgid=p) for p in
                          ["0", "2147483647", "2147483648", "4294967295", "4294967296",
                           "9223372036854775807", "9223372036854775808", "", "12a",
                           "000000000000000000000000001"])
    yield "pid overflow in the comparator", "".join(
        block(pid=p, tgid=t) for p, t in [("2147483647", "1"), ("4294967295", "2"),
                                         ("1073741824", "2147483647"), ("0", "3000000000"),
                                         ("2147483647", "1"), ("2", "2")])
    yield "timestamps", "".join(block(ts=t) for t in
                                ["18446744073709551615", "18446744073709551616", "", "5",
                                 "0000000000000000000000005"])
    yield "fields across lines", ("Page allocated via order\n2, mask 0x0(), pid\n7, tgid\n8 (ab), "
                                  "ts\n12\nns\n" + PAD + "\n") * 2
    yield "no PFN line before the first block", block(pfn="") + block()
    yield "PFN lines", (block(pfn="PFN 0x2 type CMA Block 0 type CMA Flags 0x0()\n") +
                        block(pfn="") +
                        block(pfn="PFN 0x3 type Movable Block 0 type Movable Flags 0x0(slab)\n") +
                        block(stack=(" a\n", "PFN in the stack\n", " b\n")))
    yield "vmalloc", (block(stack=VMALLOC) + block(stack=VMALLOC[::-1]) +
                      block(stack=(" x\n", " y alloc_pages z __vmalloc_node_range\n")) +
                      block(stack=(" alloc_pages\n", " x\n", " __vmalloc_node_range\n")))
    yield "NUL bytes", block() + block(stack=(" a\0b\n", " c\n")) + block(comm="a\0b") + block()
    yield "NUL bytes at line starts and in PFN lines", (
        block(stack=("\0\n", " c\n")) + block(pfn="PFN 0x1 type C\0MA slab\n") +
        block(stack=("\0" * 70 + "\n",)) + block() + "\0")
    yield "carriage returns", block().replace("\n", "\r\n") + block()
    yield "a block over 128 KiB", block() + block(stack=[" " + "y" * 1000 + "\n"] * 140) + block()
    yield "a line over 128 KiB", block() + block(stack=[" " + "z" * 140000 + "\n"]) + block()
    yield "too many small blocks", "Page via pid 1, tgid 1 (a), ts 1 ns\n\n" * 40
    yield "empty input", ""
    yield "many names and stacks", "".join(
        block(pid=str(i % 7), tgid=str(i % 5), comm=f"t{i % 4}", ts=str(1000 - i),
              order=str(i % 3), stack=(f" f{i % 6}+0x1/0x2\n",)) for i in range(60))


ODD_OPTIONS = [[], ["-a"], ["-m"], ["-n"], ["-p"], ["-P"], ["-s"],
               ["--cull", "pid,tgid"], ["--cull", "st"], ["--cull", "n,ator"],
               ["--cull", "pid,tgid,name,stacktrace,allocator", "-p"], ["--pid", "1,-1"],
               ["--tgid", "-1,1"], ["--name", "init,a"]]


def check_cli(checker, work):
    """--help, errors (one line, the documented status), OUTPUT against standard output."""
    text = os.path.join(work, "po.txt")
    with open(text, "w") as f:
        f.write("".join(block(pid=str(i % 3), comm=f"t{i % 2}") for i in range(9)))
    powner = [checker.powner, "sort"]

    def expect(what, args, status, stdout=None):
        run = subprocess.run([*powner, *args], capture_output=True, check=False)
        problem = None
        if run.returncode != status:
            problem = f"exit status {run.returncode}, not {status}: {run.stderr!r}"
        elif status != 0 and (run.stderr.count(b"\n") != 1 or
                              not run.stderr.startswith(b"powner sort: ") or run.stdout):
            problem = f"not one error line: {run.stderr!r}, stdout {run.stdout[:80]!r}"
        elif stdout is not None and run.stdout != stdout:
            problem = f"standard output differs: {run.stdout[:200]!r}"
        if problem:
            checker.failed += 1
            print(f"FAIL {what}: {problem}")
        else:
            checker.passed += 1
        return run

    help_text = expect("--help", ["--help"], 0).stdout
    if b"--core VMCORE" not in help_text or b"--cull" not in help_text:
        checker.failed += 1
        print(f"FAIL --help: {help_text[:200]!r}")
    want = checker.reference_output(["--cull", "pid,name"], text)
    expect("to standard output", ["--cull", "pid,name", text], 0, want)
    out = os.path.join(work, "sorted.txt")
    expect("to OUTPUT", ["--cull", "pid,name", text, out], 0, b"")
    if open(out, "rb").read() != want:
        checker.failed += 1
        print("FAIL to OUTPUT: not the tool's output")
    expect("no input", [], 2)
    expect("two sort options", ["-a", "-m", text], 2)
    expect("bad --cull", ["--cull", "txt", text], 2)
    expect("bad --sort", ["--sort", "bogus", text], 2)
    expect("bad --pid", ["--pid", "1,x", text], 2)
    expect("unknown option", ["--bogus", text], 2)
    expect("three files", [text, out, out], 2)
    expect("--symbols without --core", ["--symbols", text, text], 2)
    expect("--core and two files", ["--core", text, out, out], 2)
    expect("missing input", [os.path.join(work, "nosuch.txt")], 3)
    expect("output over the input", [text, text], 2)
    expect("--core on a text", ["--core", text], 4)
    stops = os.path.join(work, "stops.txt")
    with open(stops, "w") as f:
        f.write(block() + "Page allocated via order 0, pid 1\n" + PAD + "\n")
    expect("a text the tool stops on", [stops, out], 3)
    if open(out, "rb").read() != want:
        checker.failed += 1
        print("FAIL a text the tool stops on: OUTPUT was touched")


def main():
    args = sys.argv[1:]
    powner, reference = args[0], args[1]
    with tempfile.TemporaryDirectory() as work:
        checker = Checker(powner, reference, work)
        if args[2] == "--cli":
            check_cli(checker, work)
        elif args[2] == "--odd":
            for i, (name, text) in enumerate(odd_inputs()):
                path = os.path.join(work, f"odd{i}.txt")
                with open(path, "wb") as f:
                    f.write(text.encode())
                for opts in ODD_OPTIONS:
                    checker.file_input(opts, path, f"[{name}]")
        else:
            fixture, rest = args[2], args[3:]
            full = "--full" in rest
            dumps = [d for d in rest if d != "--full"]
            capture = os.path.join(fixture, "captures", "page_owner.txt")
            sets = option_sets(capture, full)
            for opts in sets:
                checker.file_input(opts, capture, "[capture]")
            vmlinux = os.path.join(fixture, "vmlinux")
            for dump in dumps:
                text = os.path.join(work, dump + ".txt")
                subprocess.run([powner, "-c", os.path.join(fixture, dump), "-s", vmlinux, "-o",
                                text], stderr=subprocess.DEVNULL, check=True)
                same = open(text, "rb").read() == open(capture, "rb").read()
                for opts in [[], ["-m", "--cull", "pid,name,st,ator"]]:
                    want = checker.reference_output(opts, capture if same else text)
                    checker.check(f"[{dump}] {' '.join(opts)}", want,
                                  [powner, "sort", *opts, "--core", os.path.join(fixture, dump),
                                   "--symbols", vmlinux])
        print(f"{checker.passed} passed, {checker.failed} failed")
        return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
