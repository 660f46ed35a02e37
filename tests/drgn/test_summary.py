#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""powner.drgn.summary() against the powner command's `powner top --json -n 0`: for every key,
the same groups in the same order with the same totals and top tasks, as Python objects; a
selection narrows them as top's does; a key the kernel cannot answer raises Error(USAGE).
powner.drgn.sort_page_owner() against `powner sort --core`: the same bytes for several option
sets; an option the tool rejects raises Error(USAGE). powner.drgn.diff() against `powner diff
SAVED VMCORE`, with a saved powner top --json of the dump as A.

usage: test_summary.py POWNER FIXTURE_DIR DUMP"""
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings

from fixture import SKIP, Failures, Fixture
from powner.drgn import Error, Status, diff, set_dump_file, sort_page_owner, summary

KEYS = ["stack", "tgid", "memcg", "module", "order", "gfp", "migratetype", "node", "age"]
SORTS = [[], ["-m"], ["--cull", "stacktrace"], ["--cull", "pid,name", "-n"]]


def cli_top(powner, fx, *args):
    """The command's JSON Lines, parsed: (header, groups)."""
    run = subprocess.run([powner, "top", "-s", fx.vmlinux, "-c", fx.vmcore, "--json", "-n", "0",
                          *args], capture_output=True, text=True)
    if run.returncode:
        return None, run.stderr.strip()
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    return lines[0], lines[1:]


def as_json(group):
    """A Group as powner top --json writes it."""
    line = dict(group.key)
    line.update(pages=group.pages, mib=group.mib, share=group.share, records=group.records)
    if group.exited_pages is not None:
        line["exited_pages"] = group.exited_pages
    line["top_tasks"] = [{"tgid": t.tgid, "comm": t.comm, "pages": t.pages}
                         | ({"exited": t.exited} if group.exited_pages is not None else {})
                         for t in group.top_tasks]
    return line


def check(fail, powner, fx, prog, by, select, args):
    label = f"summary(by={by!r}{''.join(f', {k}={v!r}' for k, v in select.items())})"
    head, groups = cli_top(powner, fx, "--by", by, *args)
    if head is None:
        try:
            summary(prog, by, **select)
        except Error as e:
            if fail.check(e.status == Status.USAGE, f"{label}: {e.status}, not USAGE"):
                print(f"ok   {label}: refused as the command refuses it ({groups})")
            return
        fail(f"{label}: the command refused it ({groups}); summary() did not")
        return
    got = summary(prog, by, **select)
    same_head = all(getattr(got, k) == head[k] for k in ("by", "total_pages", "selected_pages",
                                                          "crash_time_ns", "exited_known"))
    rows = [as_json(g) for g in got.groups]
    if fail.check(same_head and rows == groups,
                  f"{label}: differs from powner top --json ({len(rows)} groups, the command "
                  f"{len(groups)})"):
        print(f"ok   {label}: {len(rows)} groups as powner top --json")


def check_sort(fail, powner, fx, prog, options):
    label = f"sort_page_owner(prog{''.join(f', {o!r}' for o in options)})"
    run = subprocess.run([powner, "sort", "--core", fx.vmcore, "--symbols", fx.vmlinux,
                          *options], capture_output=True)
    want = run.stdout
    out = io.BytesIO()
    try:
        sort_page_owner(prog, *options, file=out)
    except Error as e:  # the command's failure, alike (5.10's records have no task name)
        said = run.stderr.decode(errors="replace").strip().splitlines()
        if fail.check(run.returncode == int(e.status) and any(str(e) in s for s in said),
                      f"{label}: raised {e.status} {e}; the command exited {run.returncode}"):
            print(f"ok   {label}: fails as powner sort --core does: {e}")
        return
    if fail.check(out.getvalue() == want, f"{label}: {len(out.getvalue())} bytes, the "
                  f"command's {len(want)}"):
        print(f"ok   {label}: {len(want)} bytes as powner sort --core")


def check_diff(fail, powner, fx, prog):
    set_dump_file(prog, fx.vmcore)  # B's name in the table, as the command names it
    with tempfile.TemporaryDirectory(prefix="powner-drgn-diff-") as tmp:
        saved = os.path.join(tmp, "before.json")
        with open(saved, "wb") as f:
            f.write(subprocess.run([powner, "top", "-s", fx.vmlinux, "-c", fx.vmcore, "--by",
                                    "tgid", "--json", "-n", "0"], capture_output=True).stdout)
        for options in (["--by", "tgid", "-n", "0"], ["--by", "tgid", "--json"]):
            label = f"diff(prog, saved{''.join(f', {o!r}' for o in options)})"
            run = subprocess.run([powner, "diff", "-s", fx.vmlinux, *options, saved, fx.vmcore],
                                 capture_output=True)
            out = io.BytesIO()
            try:
                diff(prog, saved, *options, file=out)
            except Error as e:
                said = run.stderr.decode(errors="replace")
                if fail.check(run.returncode == int(e.status) and str(e) in said,
                              f"{label}: raised {e}; the command exited {run.returncode}"):
                    print(f"ok   {label}: fails as powner diff does: {e}")
                continue
            if fail.check(out.getvalue() == run.stdout, f"{label}: {len(out.getvalue())} bytes, "
                          f"the command's {len(run.stdout)}"):
                print(f"ok   {label}: {len(run.stdout)} bytes as powner diff SAVED VMCORE")


def main(argv):
    powner, fixture, dump = argv[1:4]
    fx = Fixture(fixture, dump)
    if not fx.opens():
        return SKIP
    prog = fx.program()
    fail = Failures()
    warnings.simplefilter("ignore")  # what the dump lacks: the command says it on stderr
    for by in KEYS:
        check(fail, powner, fx, prog, by, {}, [])
    check(fail, powner, fx, prog, "tgid", {"node": 1, "since": "1m"},
          ["--node", "1", "--since", "1m"])
    check(fail, powner, fx, prog, "memcg", {"comm": "po_anon_n1"}, ["--comm", "po_anon_n1"])
    for options in SORTS:
        check_sort(fail, powner, fx, prog, options)
    check_diff(fail, powner, fx, prog)
    try:
        sort_page_owner(prog, "--cull", "colour")
        fail("sort_page_owner(prog, '--cull', 'colour') did not raise")
    except Error as e:
        if fail.check(e.status == Status.USAGE, f"--cull colour: {e.status}"):
            print(f"ok   sort_page_owner(prog, '--cull', 'colour'): {e}")
    try:
        summary(prog, "colour")
        fail("summary(by='colour') did not raise")
    except Error as e:
        if fail.check(e.status == Status.USAGE, f"by='colour': {e.status}"):
            print(f"ok   summary(by='colour'): {e}")
    print(f"{'FAILED' if fail.count else 'passed'}: {fail.count} failures")
    return 1 if fail.count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
