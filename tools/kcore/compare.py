#!/usr/bin/env python3
"""How powner's /proc/kcore output and a live page_owner read taken right after differ: records
only in one, records that differ, each counted by the task that allocated the page, and the first
differing line of a few.  usage: compare.py KCORE_OUTPUT LIVE_READ"""
import collections
import re
import sys

HEADER = re.compile(r"pid (-?\d+), tgid (-?\d+) \((.*)\), ts")
PFN = re.compile(r"^PFN (0x[0-9a-f]+|\d+) ", re.M)


def records(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    out = {}
    for rec in text.split("\n\n"):
        m = PFN.search(rec)
        if m:
            out[int(m.group(1), 0)] = rec
    return out


def owner(rec):
    m = HEADER.search(rec.split("\n", 1)[0])
    return f"{m.group(3)} (tgid {m.group(2)})" if m else "?"


def main(argv):
    kcore, live = records(argv[1]), records(argv[2])
    same = sum(1 for p in kcore if live.get(p) == kcore[p])
    print(f"{len(kcore)} records from /proc/kcore, {len(live)} read live; {same} identical")
    groups = {
        "only from /proc/kcore": [kcore[p] for p in kcore if p not in live],
        "only in the live read": [live[p] for p in live if p not in kcore],
        "different": [live[p] for p in live if p in kcore and kcore[p] != live[p]],
    }
    for name, recs in groups.items():
        by = collections.Counter(owner(r) for r in recs).most_common(6)
        print(f"{name}: {len(recs)}" + ("; by " + ", ".join(f"{o}: {n}" for o, n in by) if by
                                           else ""))
    for p in [p for p in live if p in kcore and kcore[p] != live[p]][:3]:
        for a, b in zip(kcore[p].split("\n"), live[p].split("\n")):
            if a != b:
                print(f"  PFN {p:#x}\n    kcore: {a[:140]}\n    live:  {b[:140]}")
                break


if __name__ == "__main__":
    main(sys.argv)
