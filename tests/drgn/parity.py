#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parity of the drgn plugin: python3 -m powner.drgn prints what the live kernel printed, for
every capture of a fixture dump (tests/parity/check_parity.py does the comparing).

usage: parity.py FIXTURE_DIR DUMP
Exits 77 (ctest: skipped) when drgn cannot open the dump at all (QEMU's raw ELF dumps)."""
import os
import subprocess
import sys

import drgn

SKIP = 77
CHECK_PARITY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity",
                            "check_parity.py")


def main(argv):
    fixture, dump = argv[1], argv[2]
    print(f"drgn {drgn.__version__} ({os.path.dirname(drgn.__file__)})")
    try:
        drgn.Program().set_core_dump(os.path.join(fixture, dump))
    except (ValueError, OSError, drgn.FaultError) as e:
        print(f"skipped: drgn {drgn.__version__} cannot open {dump}: {e}")
        return SKIP
    host = [sys.executable, "-m", "powner.drgn", "-c", "{vmcore}", "-s", "{vmlinux}"]
    return subprocess.run([sys.executable, CHECK_PARITY, fixture, dump, "--", *host]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
