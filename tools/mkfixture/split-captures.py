#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Split po_capture's shared memory ("POWNER-SHM <end>\\n" at 0, then from offset 4096
"POWNER-FRAME <name> <length>\\n<bytes>" frames up to <end>) into one file per capture,
and check that the guest was quiet.

usage: split-captures.py [--kcore] SHM OUTDIR
Writes OUTDIR/<name>.txt for every capture, OUTDIR/results.txt (the guest's own verdicts:
errno of each rejected write, whether the repeated reads agreed). Fails when the repeated
reads of page_owner or of the stack views differ: such a fixture would not match its dump.
--kcore: the capture of powner on /proc/kcore, which has no plan of views and filters to check
(tests/kcore/check_kcore.py checks it)."""
import os
import sys

# The same consistency rules the test suite applies to committed fixtures.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/vmcores"))
import check_fixtures  # noqa: E402

def frames(data):
    head = data[:data.index(b"\n")].decode()
    tag, end = head.split(" ")
    if tag != "POWNER-SHM":
        raise SystemExit("the capture did not finish")
    pos, end = 4096, int(end)
    while pos < end:
        nl = data.index(b"\n", pos)
        tag, name, length = data[pos:nl].decode().split(" ")
        if tag != "POWNER-FRAME":
            raise SystemExit(f"bad frame header at {pos}")
        start = nl + 1
        yield name, data[start:start + int(length)]
        pos = start + int(length)

def main(stream, outdir, kcore=False):
    os.makedirs(outdir, exist_ok=True)
    results = None
    with open(stream, "rb") as f:
        data = f.read()
    for name, body in frames(data):
        if name == "results":
            results = body.decode()
            name = "results"
        with open(os.path.join(outdir, name + ".txt"), "wb") as out:
            out.write(body)
    if results is None:
        raise SystemExit("no results frame: the capture did not finish")
    captures = {}
    for name in os.listdir(outdir):
        with open(os.path.join(outdir, name), "rb") as f:
            captures[name] = f.read()
    if not kcore:
        check_fixtures.check_captures("capture", captures)
    if check_fixtures.failures:
        raise SystemExit("the captures disagree with each other:\n  " + "\n  ".join(check_fixtures.failures))
    bad = [line for line in results.splitlines()
           if line.endswith(" no") or line.endswith(" changed") or (" errno " in line and not line.startswith("write."))]
    if bad:
        raise SystemExit("the guest was not quiet or a capture failed:\n  " + "\n  ".join(bad))

if __name__ == "__main__":
    kcore = sys.argv[1:2] == ["--kcore"]
    main(*sys.argv[1 + kcore:3 + kcore], kcore=kcore)
