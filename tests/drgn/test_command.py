#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""python3 -m powner.drgn's options, as the powner command takes them, against the live captures
of a fixture dump:

- -m and -n are values, each what follows "mode=" or "nid=" in a write to the page_owner file;
  --filter COMMAND is applied after them: what it sets wins, as a later write would.
- without -s the types come from the kernel's BTF in the dump, and the output is the same; when
  the dump's VMCOREINFO does not say where the kallsyms tables are (before Linux 6.0), it exits
  6 with the one line saying -s is needed.
- -j N sets the threads that read and format; the output is the same.
- -o FILE gets the output, and nothing else is left in its folder.

usage: test_command.py FIXTURE_DIR DUMP"""
import os
import shlex
import sys
import tempfile

from fixture import NO_KALLSYMS, SKIP, Failures, Fixture, command


def check_output(fx, fail, args, capture):
    status, out, err = command("-c", fx.vmcore, *args)
    differs = f"exit {status}: {err.strip()}" if status else fx.differs(capture, out, err)
    if fail.check(not differs, f"{shlex.join(args)}: not {capture}: {differs}"):
        print(f"ok   {shlex.join(args)}: {capture}")


def check_refused(fx, fail, args, words):
    status, _, err = command("-c", fx.vmcore, *args)
    if fail.check(status == 2 and words in err and err.count("\n") == 1,
                  f"{shlex.join(args)}: exit {status}, {err.strip()!r}; expected 2 and {words!r}"):
        print(f"ok   {shlex.join(args)}: {err.strip()}")


def check_filter_options(fx, fail):
    s = ["-s", fx.vmlinux]
    check_output(fx, fail, s + ["-m", "handle", "-n", "0, 1"], "page_owner.mode-handle.nid-0,1.txt")
    check_output(fx, fail, s + ["-m", "handle", "--filter", "mode=stack_handle nid=1"],
                 "page_owner.mode-stack_handle.nid-1.txt")
    check_output(fx, fail, s + ["-n", "1", "--filter", "nid=0"], "page_owner.mode-stack.nid-0.txt")
    check_refused(fx, fail, s + ["-m", "handle nid=1"], "unknown print mode 'handle nid=1'")
    check_refused(fx, fail, s + ["-m", ""], "unknown print mode ''")
    check_refused(fx, fail, s + ["-n", ""], "the node list is empty")
    check_refused(fx, fail, s + ["-n", "0", "--filter", "nid="], "the node list is empty")


def check_no_btf(fx, fail, args):
    status, out, err = command("-c", fx.vmcore, *args)
    want = f"powner: no vmlinux given (-s), and {NO_KALLSYMS}\n"
    if fail.check(status == 6 and not out and err == want,
                  f"{shlex.join(args)}: exit {status}, {len(out)} bytes out, {err!r}; "
                  f"expected 6 and {want!r}"):
        print(f"ok   {shlex.join(args)}: {err.strip()}")


def check_btf(fx, fail):
    if not fx.lists_kallsyms():
        check_no_btf(fx, fail, ["-m", "handle", "-n", "1"])
        check_no_btf(fx, fail, ["--filter", "mode=stack_handle"])
        return
    check_output(fx, fail, ["-m", "handle", "-n", "1"], "page_owner.mode-handle.nid-1.txt")
    check_output(fx, fail, ["--filter", "mode=stack_handle"], "page_owner.mode-stack_handle.txt")
    if fx.has_capture("show_stacks.txt"):
        check_output(fx, fail, ["--stacks", "stacks"], "show_stacks.txt")


def check_threads(fx, fail):
    for threads in ("1", "2", "5"):
        check_output(fx, fail, ["-s", fx.vmlinux, "-j", threads, "-m", "stack_handle"],
                     "page_owner.mode-stack_handle.txt")
    for threads in ("0", "1025", "x"):
        check_refused(fx, fail, ["-s", fx.vmlinux, "-j", threads], "thread count")


def check_output_file(fx, fail):
    s = [] if fx.lists_kallsyms() else ["-s", fx.vmlinux]  # before 6.0 only with a vmlinux
    with tempfile.TemporaryDirectory(prefix="powner-drgn-") as tmp:
        path = os.path.join(tmp, "out.txt")
        status, out, err = command("-c", fx.vmcore, *s, "-m", "handle", "-o", path)
        with open(path, "rb") as f:
            differs = f"exit {status}: {err}" if status or out else \
                fx.differs("page_owner.mode-handle.txt", f.read(), err)
        left = os.listdir(tmp)
    if fail.check(not differs and left == ["out.txt"],
                  f"-o: {differs or 'as the capture'}, the folder holds {left}"):
        print("ok   -o FILE: page_owner.mode-handle.txt")


def main(argv):
    fx = Fixture(argv[1], argv[2])
    if not fx.opens():
        return SKIP
    fail = Failures()
    check_filter_options(fx, fail)
    check_btf(fx, fail)
    check_threads(fx, fail)
    check_output_file(fx, fail)
    print(f"{'FAILED' if fail.count else 'passed'}: {fail.count} failures")
    return 1 if fail.count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
