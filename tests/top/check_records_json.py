#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""powner --json against the live kernel's own page_owner file, read independently: one object
per record, in the file's order, whose fields say what the record's text says (order, gfp mask,
tgid, comm, timestamp, migrate type, node where the kernel prints it, stack, memcg line).
check_top.py's parser reads the capture.

usage: check_records_json.py FIXTURE_DIR DUMP POWNER"""
import json
import subprocess
import sys

from check_top import records


def memcg_text(o):
    """The memcg as check_top's parser names it from the record's memcg line."""
    m = o.get("memcg")
    if m is None or m["state"] in ("not charged", "tail page"):
        return "(no memcg)"
    if m["state"] == "slab cache page":
        return "(slab cache page)"
    if m["state"] == "charged":
        return m["name"] + ("" if m["online"] else " (offline)")
    return "? (not in the dump)"


def main():
    fixture, dump, powner = sys.argv[1:4]
    with open(f"{fixture}/captures/page_owner.txt", encoding="utf-8", errors="replace") as f:
        want = list(records(f.read()))
    run = subprocess.run([powner, f"{fixture}/vmlinux", f"{fixture}/{dump}", "--json"],
                         capture_output=True, text=True, check=True)
    lines = run.stdout.splitlines()
    head = json.loads(lines[0])
    assert head["schema"] == "powner-records" and head["version"] == 1, head
    got = [json.loads(line) for line in lines[1:]]
    if len(got) != len(want):
        print(f"FAIL {len(got)} records, the live file {len(want)}")
        return 1
    failures = 0
    for w, g in zip(want, got):
        fields = {
            "order": g["order"], "gfp": g["gfp"], "tgid": g.get("tgid"),
            "comm": g.get("comm"), "ts": g.get("ts_nsec"), "migratetype": g["migratetype"],
            "stack": "".join(f" {frame}\n" for frame in g["stack"] or []),
            "memcg": memcg_text(g), "pages": g["pages"],
        }
        if w["node"] is not None:
            fields["node"] = g["node"]
        differs = {k: (w[k], v) for k, v in fields.items() if w[k] != v}
        if differs:
            failures += 1
            if failures <= 5:
                print(f"FAIL PFN {g['pfn']:#x}: {differs}")
    if failures:
        print(f"FAIL {failures} of {len(got)} records differ from the live file")
        return 1
    print(f"ok   {len(got)} records, every field as the live file prints it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
