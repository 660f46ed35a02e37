#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""powner top's totals against the live kernel's own page_owner file, read independently.

The oracle parses the capture taken live at the moment of the dump (captures/page_owner.txt):
each record's "Page allocated via order N, mask 0x..(..), pid P, tgid T (comm), ts N ns"
header, its "PFN 0x.. type X Block .. type Y Flags 0x..(..|node=N|..)" line, its stack lines
and its memcg line, and totals pages (1 << order) by tgid, stack, memcg, order, gfp mask,
migrate type, module (the innermost "[mod]" frame) and node (from Flags' node=, where the
kernel prints it: 5.13+). powner top --json must give the same totals, group for group.

--by allocator: the groups add up to every page; where the kernel prints PG_slab by name in
Flags (before 6.10), the slab group is the records flagged slab; otherwise it holds at least the
records printed as "Slab cache page".

Then the workload's known amounts (console.log "po_work: COMM pid N node N X MiB cgroup CG"):
every process that keeps its memory (all but the churning one) holds at least its MiB; and the
selections --comm and --since select what the capture says they should.

usage: check_top.py FIXTURE_DIR DUMP POWNER"""
import collections
import json
import re
import subprocess
import sys

HEADER = re.compile(r"Page allocated via order (\d+), mask (0x[0-9a-f]+\([^)]*\))"
                    r"(?:, pid (-?\d+), tgid (-?\d+) \((.*)\))?(?:, ts (\d+) ns)?")
PFN = re.compile(r"PFN \S+ type (\S+) Block \d+ type \S+ Flags (\S+)")
NODE = re.compile(r"[(|]node=(\d+)[|)]")
MEMCG = re.compile(r"Charged (?:\(via objcg\) )?to (offline )?memcg (.*)")
WORK = re.compile(r"po_work: (\S+) pid (\d+) node (\d+) (\d+) MiB cgroup (\S+)")


def records(text):
    """Yields a dict per record of a page_owner file."""
    for block in text.split("\n\n"):
        lines = block.split("\n")
        head = HEADER.match(lines[0]) if lines else None
        if not head:
            continue
        order, gfp, _pid, tgid, comm, ts = head.groups()
        pfn = PFN.match(lines[1])
        node = NODE.search(lines[1])
        stack = [line for line in lines[2:] if line.startswith(" ")]
        memcg = "(no memcg)"
        for line in lines[2:]:
            m = MEMCG.match(line)
            if m:
                memcg = m.group(2) + (" (offline)" if m.group(1) else "")
            elif line == "Slab cache page":
                memcg = "(slab cache page)"
        modules = [m.group(1) for m in (re.search(r" \[(\S+)\]$", f) for f in stack) if m]
        yield {
            "pages": 1 << int(order),
            "order": int(order),
            "gfp": gfp,
            "tgid": None if tgid is None else int(tgid),
            "comm": comm,
            "ts": None if ts is None else int(ts),
            "migratetype": pfn.group(1),
            "node": None if node is None else int(node.group(1)),
            "stack": "".join(line + "\n" for line in stack),
            "memcg": memcg,
            "module": modules[0] if modules else None,
            "flags": set(re.split(r"[(|)]", pfn.group(2))),
        }


def top(powner, fixture, dump, *args):
    """powner top --json: (header, groups), or None when powner refuses the key (exit 2)."""
    cmd = [powner, "top", f"{fixture}/vmlinux", f"{fixture}/{dump}", "--json", "-n", "0", *args]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if run.returncode == 2 and "have no" in run.stderr:
        return None
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {run.returncode}: {run.stderr}")
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert lines[0]["schema"] == "powner-top" and lines[0]["version"] == 1, lines[0]
    return lines[0], lines[1:]


ALLOCATORS = {"slab", "page table", "vmalloc", "anon", "file", "other"}


def allocator_totals(powner, fixture, dump, recs, total, failures):
    """--by allocator's groups: every page counted once, slab as the live kernel flags it."""
    head, groups = top(powner, fixture, dump, "--by", "allocator")
    got = {g["allocator"]: g["pages"] for g in groups}
    print("allocators: " + ", ".join(f"{k} {v}" for k, v in got.items()))
    if not set(got) <= ALLOCATORS:
        failures.append(f"--by allocator: unknown groups {set(got) - ALLOCATORS}")
    if sum(got.values()) != total or head["total_pages"] != total:
        failures.append(f"--by allocator: groups hold {sum(got.values())} pages, live {total}")
    if not got.get("slab"):
        failures.append("--by allocator: no slab pages")
    flagged = sum(r["pages"] for r in recs if "slab" in r["flags"])
    if flagged:  # PG_slab is a page flag: the kernel names it
        if got.get("slab") != flagged:
            failures.append(f"--by allocator: slab {got.get('slab')}, live PG_slab {flagged}")
    else:
        slab_cache = sum(r["pages"] for r in recs if r["memcg"] == "(slab cache page)")
        if got.get("slab", 0) < slab_cache:
            failures.append(f"--by allocator: slab {got.get('slab')}, fewer than the "
                            f"{slab_cache} pages printed as slab cache pages")


def allocator_workload(powner, fixture, dump, work, page_size, failures):
    """The workload's anonymous and shmem memory, in the anon and file groups of its task."""
    for comm, pid, _node, mib, _cg in work:
        want = {"po_anon": "anon", "po_shmem": "file"}.get(comm.rsplit("_", 1)[0])
        if not want:
            continue
        _, groups = top(powner, fixture, dump, "--by", "allocator", "--tgid", pid)
        held = sum(g["pages"] for g in groups if g["allocator"] == want) * page_size
        if held < int(mib) << 20:
            failures.append(f"--by allocator --tgid {pid}: {comm}'s {want} is {held} bytes, "
                            f"less than {mib} MiB")


def main():
    fixture, dump, powner = sys.argv[1:4]
    with open(f"{fixture}/captures/page_owner.txt", encoding="utf-8", errors="replace") as f:
        recs = list(records(f.read()))
    total = sum(r["pages"] for r in recs)
    failures = []
    checked = []

    def check(name, want, got):
        if want != got:
            diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got)
                    if want.get(k) != got.get(k)}
            failures.append(f"--by {name}: {len(diff)} groups differ, e.g. "
                            f"{sorted(diff.items(), key=str)[:3]}")

    has = {field: all(r[field] is not None for r in recs) for field in ("tgid", "ts", "node")}
    keys = {"tgid": "tgid", "stack": "stack", "memcg": "memcg", "order": "order", "gfp": "gfp",
            "migratetype": "migratetype", "module": "module", "node": "node"}
    by_tgid = None
    for by, field in keys.items():
        got = top(powner, fixture, dump, "--by", by)
        if got is None:
            if has.get(by):
                failures.append(f"--by {by}: refused, though the capture has {by}s")
            continue
        head, groups = got
        if head["total_pages"] != total:
            failures.append(f"--by {by}: total_pages {head['total_pages']}, live {total}")
        if by == "node" and not has["node"]:
            continue  # the kernel prints no node= before 5.13
        want = collections.Counter()
        for r in recs:
            if r[field] is not None:
                want[r[field]] += r["pages"]
        key = (lambda g: g["memcg"] + (" (offline)" if g["offline"] else "")) if by == "memcg" \
            else (lambda g, f=field: g[f])
        check(by, dict(want), {key(g): g["pages"] for g in groups})
        checked.append(f"--by {by} ({len(want)} groups)")
        if by == "tgid":
            by_tgid = head, {g["tgid"]: g for g in groups}

    if by_tgid:
        head, groups = by_tgid
        with open(f"{fixture}/console.log", encoding="utf-8", errors="replace") as f:
            work = [m.groups() for m in map(WORK.search, f) if m]
        assert work, "no po_work lines in console.log"
        for comm, pid, _node, mib, _cg in work:
            if comm.startswith("po_churn"):
                continue  # allocates and frees: its amount is not held
            held = groups.get(int(pid), {}).get("pages", 0) * head["page_size"]
            if held < int(mib) << 20:
                failures.append(f"{comm} (pid {pid}) holds {held} bytes, less than {mib} MiB")
        checked.append(f"{len(work)} workload processes")
        allocator_workload(powner, fixture, dump, work, head["page_size"], failures)
        comm = work[0][0]
        sel, _ = top(powner, fixture, dump, "--by", "order", "--comm", comm)
        want = sum(r["pages"] for r in recs if r["comm"] == comm)
        if sel["selected_pages"] != want:
            failures.append(f"--comm {comm}: {sel['selected_pages']} pages, live {want}")
        checked.append(f"--comm {comm}")
    allocator_totals(powner, fixture, dump, recs, total, failures)
    checked.append("--by allocator")
    if has["ts"]:
        # A duration that splits the records: half of them younger, half older.
        crash = top(powner, fixture, dump, "--by", "order")[0]["crash_time_ns"]
        ages = sorted(max(crash - r["ts"], 0) for r in recs)
        ms = ages[len(ages) // 2] // 10**6
        for option, keep in (("--since", lambda age: age <= ms * 10**6),
                             ("--until", lambda age: age >= ms * 10**6)):
            sel, groups = top(powner, fixture, dump, "--by", "age", option, f"{ms}ms")
            want = sum(r["pages"] for r in recs if keep(max(crash - r["ts"], 0)))
            if sel["selected_pages"] != want or sum(g["pages"] for g in groups) != want:
                failures.append(f"{option} {ms}ms: {sel['selected_pages']} pages, live {want}")
            checked.append(f"{option} {ms}ms")

    for failure in failures:
        print(failure)
    print("checked: " + ", ".join(checked))
    print(f"{fixture} {dump}: {len(recs)} records, {total} pages: "
          f"{'FAILED' if failures else 'totals as live'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
