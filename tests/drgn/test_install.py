#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The installed package works: cmake --install puts powner (the Python code and the compiled
engine) under PREFIX/lib/python3/dist-packages, and from there
    python3 -m powner.drgn -c VMCORE -s VMLINUX -m handle -n 1
prints what the live kernel printed, for every fixture dump drgn can open (a filtered dump
may leave out records it lacks memory for, as it reports: tests/parity/check_parity.py's rule).

usage: test_install.py BUILD_DIR FIXTURES_DIR"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import drgn

from fixture import check_parity


def main(argv):
    build, fixtures = argv[1], argv[2]
    prefix = tempfile.mkdtemp(prefix="powner-install-")
    try:
        subprocess.run(["cmake", "--install", build, "--prefix", prefix], check=True,
                       stdout=subprocess.DEVNULL)
        site = os.path.join(prefix, "lib", "python3", "dist-packages")
        # The installed package first; drgn from wherever the test's own came from.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [site] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        where = subprocess.run(
            [sys.executable, "-c", "import powner._engine as e; print(e.__file__)"],
            env=env, capture_output=True, text=True, check=True).stdout.strip()
        failed = 0 if where.startswith(site + "/powner/") else 1
        print(f"{'ok  ' if not failed else 'FAIL'} the engine is imported from {where}")
        for fixture in sorted(glob.glob(os.path.join(fixtures, "*", "*", "captures"))):
            fixture = os.path.dirname(fixture)
            with open(os.path.join(fixture, "captures", "page_owner.mode-handle.nid-1.txt"),
                      "rb") as f:
                want = f.read()
            for vmcore in sorted(glob.glob(os.path.join(fixture, "vmcore.*"))):
                label = os.path.relpath(vmcore, fixtures)
                try:
                    drgn.Program().set_core_dump(vmcore)
                except (ValueError, OSError, drgn.FaultError) as e:
                    print(f"skip {label}: drgn cannot open it: {e}")
                    continue
                run = subprocess.run(
                    [sys.executable, "-m", "powner.drgn", "-c", vmcore, "-s",
                     os.path.join(fixture, "vmlinux"), "-m", "handle", "-n", "1"],
                    env=env, capture_output=True)
                err = run.stderr.decode(errors="replace")
                if run.returncode == 0 and run.stdout == want:
                    print(f"ok   {label}: {len(want)} bytes identical")
                    continue
                reason = run.returncode == 0 and check_parity.accounted_gap(
                    want.decode(errors="replace"), run.stdout.decode(errors="replace"), err)
                if reason:
                    print(f"ok   {label}: {reason}")
                else:
                    failed += 1
                    print(f"FAIL {label}: exit {run.returncode}, {len(run.stdout)} bytes, "
                          f"{err.strip()}")
    finally:
        shutil.rmtree(prefix)
    print("passed" if not failed else f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
