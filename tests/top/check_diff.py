#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""powner diff between two fixture dumps of one kernel build, against the two live captures.

The oracle reads each fixture's live page_owner file (captures/page_owner.txt, parsed by
check_top.records) and totals pages and records per stack and per memcg on each side; every row
of `powner diff --json -n 0` must carry those numbers, every group of either side must have its
row, and the rows must come growth first (largest first), then shrinkage (largest first), then
the unchanged. Then: a saved `powner top --json` in place of dump A gives the same rows; a dump
diffed against itself changes nothing; a saved file cut by -n makes the groups it lacks unknown;
and what is not a dump or a whole powner-top output ends with one line and its exit status.

usage: check_diff.py FIXTURE_A DUMP_A FIXTURE_B DUMP_B POWNER"""
import collections
import json
import os
import subprocess
import sys
import tempfile

import check_top

RANK = {"grew": 0, "new": 0, "shrank": 1, "gone": 1, "same": 2, "unknown": 3}


def run(powner, *args):
    """powner diff ARGS: (exit status, stdout, stderr)."""
    proc = subprocess.run([powner, "diff", *args], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def diff_json(powner, *args):
    """powner diff --json -n 0 ARGS: (header, rows); None when the kernel has no such key."""
    status, out, err = run(powner, *args, "--json", "-n", "0")
    if status == 2 and "have no" in err:
        return None
    if status != 0:
        raise SystemExit(f"powner diff {' '.join(args)}: exit {status}: {err}")
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["schema"] == "powner-diff" and lines[0]["version"] == 1, lines[0]
    return lines[0], lines[1:]


def totals(recs, field):
    """{key: (pages, records)} of a capture's records."""
    pages, records = collections.Counter(), collections.Counter()
    for r in recs:
        pages[r[field]] += r["pages"]
        records[r[field]] += 1
    return {k: (pages[k], records[k]) for k in pages}


def row_key(by, row):
    if by == "memcg":
        return row["memcg"] + (" (offline)" if row["offline"] else "")
    return row[by]


def order_errors(rows):
    """Where rows break the documented order."""
    def size(r):
        d = r["delta_pages"]
        return abs(d) if d else max(r["pages_a"] or 0, r["pages_b"] or 0)
    keys = [(RANK[r["change"]], -size(r)) for r in rows]
    return [i for i in range(1, len(keys)) if keys[i] < keys[i - 1]]


def main():
    with tempfile.TemporaryDirectory(prefix="check_diff.") as tmp:
        return check(*sys.argv[1:6], tmp)


def check(fix_a, dump_a, fix_b, dump_b, powner, tmp):
    vmlinux = f"{fix_a}/vmlinux"
    a, b = f"{fix_a}/{dump_a}", f"{fix_b}/{dump_b}"
    recs = []
    for fixture in (fix_a, fix_b):
        with open(f"{fixture}/captures/page_owner.txt", encoding="utf-8", errors="replace") as f:
            recs.append(list(check_top.records(f.read())))
    failures, checked = [], []

    for by in ("stack", "memcg"):
        got = diff_json(powner, vmlinux, a, b, "--by", by)
        if got is None:
            checked.append(f"--by {by} refused: the kernel has no {by}s")
            continue
        head, rows = got
        for side, rs in zip("ab", recs):
            if head[side]["total_pages"] != sum(r["pages"] for r in rs):
                failures.append(f"--by {by}: {side}.total_pages {head[side]['total_pages']}")
        for side, rs in zip("ab", recs):
            want = totals(rs, by)
            got_side = {row_key(by, r): (r[f"pages_{side}"], r[f"records_{side}"])
                        for r in rows if r[f"pages_{side}"]}
            # A memcg whose name a -d 31 dump left out is "? (not in the dump)": those rows
            # must hold what the capture's memcgs missing from the named rows hold.
            lost = [got_side.pop(k) for k in list(got_side) if k.startswith("? (not in the")]
            if lost:
                missing = [want.pop(k) for k in list(want) if k not in got_side]
                got_sum = tuple(map(sum, zip(*lost)))
                want_sum = tuple(map(sum, zip(*missing))) if missing else (0, 0)
                if got_sum != want_sum:
                    failures.append(f"--by {by}: {side}'s memcgs not in the dump hold "
                                    f"{got_sum}, the capture's unnamed ones {want_sum}")
                checked.append(f"{side}: {len(missing)} memcg names not in the dump")
            if want != got_side:
                bad = {k: (want.get(k), got_side.get(k)) for k in {*want, *got_side}
                       if want.get(k) != got_side.get(k)}
                failures.append(f"--by {by}: {side}: {len(bad)} groups differ from the "
                                f"capture, e.g. {sorted(bad.items(), key=str)[:2]}")
        for r in rows:
            if r["delta_pages"] != r["pages_b"] - r["pages_a"] or \
               r["delta_records"] != r["records_b"] - r["records_a"]:
                failures.append(f"--by {by}: a row's deltas do not add up: {r}")
                break
        if order_errors(rows):
            failures.append(f"--by {by}: rows out of order at {order_errors(rows)[:3]}")
        grew = sum(1 for r in rows if r["delta_pages"] > 0)
        checked.append(f"--by {by} ({len(rows)} rows, {grew} grew)")

        # A saved powner top --json in A's place: the same rows.
        saved = os.path.join(tmp, f"a.{by}.json")
        with open(saved, "w", encoding="utf-8") as f:
            subprocess.run([powner, "top", vmlinux, a, "--by", by, "--json", "-n", "0"],
                           stdout=f, check=True)
        head_s, rows_s = diff_json(powner, saved, vmlinux, b, "--by", by)
        if rows_s != rows or head_s["b"] != head["b"] or not head_s["a"]["saved"]:
            failures.append(f"--by {by}: the saved A gives other rows than the dump A")
        checked.append(f"--by {by} saved A")

        # A dump against itself: nothing changed.
        _, same = diff_json(powner, vmlinux, a, a, "--by", by)
        if any(r["change"] != "same" or r["delta_pages"] != 0 or r["delta_records"] != 0
               for r in same) or len(same) != head["a"]["groups"]:
            failures.append(f"--by {by}: A against itself is not all unchanged")
        checked.append(f"--by {by} A against A")

    # Saved with -n 5: the groups it lacks are unknown, and a note says so.
    cut = os.path.join(tmp, "a.5.json")
    with open(cut, "w", encoding="utf-8") as f:
        subprocess.run([powner, "top", vmlinux, a, "--json", "-n", "5"], stdout=f, check=True)
    status, out, err = run(powner, cut, vmlinux, b, "--json", "-n", "0")
    rows = [json.loads(line) for line in out.splitlines()[1:]]
    unknown = [r for r in rows if r["change"] == "unknown"]
    if status != 0 or "lists 5 of" not in err or not unknown or \
       any(r["pages_a"] is not None or r["delta_pages"] is not None for r in unknown) or \
       sum(1 for r in rows if r["pages_a"] is not None) != 5:
        failures.append(f"a saved -n 5: exit {status}, {len(unknown)} unknown rows; {err}")
    checked.append("a saved -n 5")

    # What is not a dump or a whole powner-top output: one line, its exit status, no crash.
    whole = os.path.join(tmp, "a.stack.json")
    with open(whole, encoding="utf-8") as f:
        text = f.read()
    bad = {"schema.json": ('{"schema":"powner-diff","version":1,"by":"stack"}\n', 4),
           "version.json": (text.replace('"version":1', '"version":2', 1), 4),
           "truncated.json": (text[:len(text) // 2], 4),
           "notadump": ("neither a dump nor JSON\n", 4)}
    cases = []
    for name, (content, want_status) in bad.items():
        path = os.path.join(tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
        cases.append((name, [path, whole], want_status))
    cases.append(("--by memcg on a stack file", [whole, whole, "--by", "memcg"], 2))
    cases.append(("a missing file", [os.path.join(tmp, "absent"), whole], 3))
    cases.append(("one file", [whole], 2))
    for name, args, want_status in cases:
        status, out, err = run(powner, *args)
        lines = err.splitlines()
        if status != want_status or len(lines) != 1 or not lines[0].startswith("powner: ") \
           or "internal" in err or out:
            failures.append(f"{name}: exit {status} (want {want_status}), stderr {err!r}")
    checked.append(f"{len(cases)} bad inputs")

    status, out, err = run(powner, vmlinux, a, b, "-n", "3")
    if status != 0 or "DELTA" not in out or "more rows: -n 0 shows all" not in out:
        failures.append(f"the table: exit {status}: {err}")

    for failure in failures:
        print(failure)
    print("checked: " + ", ".join(checked))
    print(f"{a} -> {b}: {'FAILED' if failures else 'as the captures say'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
