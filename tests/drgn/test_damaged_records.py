#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The record API on a damaged dump: records whose stack handle is garbage come with an empty
stack and their handle, are counted in the SkippedPagesWarning, and every other record is the
live kernel's (the damaged matrix's garbage-handles case, read through records()).

usage: test_damaged_records.py FIXTURE_DIR WORK_DIR"""
import os
import shutil
import sys
import warnings

import drgn

from powner.drgn import SkippedPagesWarning, records, set_dump_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "damaged"))
import damaged_matrix  # noqa: E402
from fixture import load_vmlinux  # noqa: E402


def main(argv):
    fx = damaged_matrix.Fixture(argv[1])
    work = os.path.join(argv[2], "drgn-records")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    dump, handles = damaged_matrix.garbage_handles(fx, work)
    live = set(damaged_matrix.live_pfns(fx.capture("page_owner.mode-stack_handle.txt")))

    prog = drgn.Program()
    prog.set_core_dump(dump)
    load_vmlinux(prog, fx.vmlinux)
    set_dump_file(prog, dump)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = {r.pfn: r for r in records(prog)}
    said = [str(w.message) for w in caught if issubclass(w.category, SkippedPagesWarning)]

    failures = []
    if set(got) != live:
        failures.append(f"records differ in pfn from the live capture: only live "
                        f"{sorted(live - set(got))[:5]}, only here {sorted(set(got) - live)[:5]}")
    for pfn, handle in handles.items():
        r = got.get(pfn)
        if r is None or r.handle != handle or r.stack:
            failures.append(f"pfn {pfn:#x}: expected handle {handle} and no stack, got {r}")
    empty = sum(1 for pfn, r in got.items() if not r.stack and pfn not in handles)
    if empty:
        failures.append(f"{empty} records of undamaged pages without a stack")
    want = f"skipped: {len(handles)} records whose stack is not in the dump or whose handle is"
    if len(said) != 1 or not said[0].startswith(want):
        failures.append(f"expected one warning starting {want!r}, got {said}")
    for f in failures:
        print(f"FAIL {f}")
    if failures:
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"ok   {len(got)} records, {len(handles)} garbage handles given without a stack and "
          f"warned about: {said[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
