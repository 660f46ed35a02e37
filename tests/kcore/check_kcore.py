#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Does powner's output on a running kernel's /proc/kcore agree with the kernel's own page_owner
file?  The capture (tools/mkfixture --kcore) holds, from one quiet guest: page_owner read just
before powner ran (kcore.before.txt), powner's output (kcore.txt, kcore.stderr.txt), page_owner
read right after powner exited (kcore.after.txt), and powner's pid (results.txt).

The kernel changes while powner reads it, so a page may differ between powner's output and the
read after it, but only for a reason the capture shows:
  own      the page is powner's: allocated by its process (any of its threads);
  changed  powner printed the page as it was before it ran (the read before), and it changed
           after powner passed it;
  new      the record was made after the read before (its ts is later than every record in
           that read): allocated while powner ran, or after it passed the page;
  partial  a slab page whose partial-list bit (PG_workingset in Flags) moved while powner ran
           (powner's page differs from the read after or before in that bit only): its slab
           cache's objects were allocated or freed meanwhile (powner's own, often).
Every other page must be byte for byte the same.  Records older than the read before, which are
nearly all of them, are thus checked exactly.

usage: check_kcore.py [--spoil] CAPTURE
  CAPTURE  a fixture folder (captures.tar.xz and manifest.json), or a folder of captures
  --spoil  make powner's output wrong in three ways (a stable record dropped, one's Flags
           changed, one's stack cut) and pass only if the check catches each
"""
import collections
import hashlib
import json
import os
import re
import sys
import tarfile

HEADER = re.compile(r"^Page allocated via order \d+, mask \S+, pid (-?\d+), tgid (-?\d+) "
                    r"\((.*)\), ts (\d+) ns(?:, free_ts \d+ ns)?$")
PFN = re.compile(r"^PFN (0x[0-9a-f]+|\d+) ")


def load(path):
    """The captures, checked against the manifest when there is one."""
    if not os.path.isfile(os.path.join(path, "captures.tar.xz")):
        return {n: open(os.path.join(path, n), encoding="utf-8").read() for n in os.listdir(path)}
    with open(os.path.join(path, "manifest.json")) as f:
        manifest = json.load(f)
    for name, meta in manifest["files"].items():
        with open(os.path.join(path, name), "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != meta["sha256"]:
                raise SystemExit(f"{path}/{name} does not match its manifest")
    with tarfile.open(os.path.join(path, "captures.tar.xz")) as tar:
        raw = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    if {n: hashlib.sha256(b).hexdigest() for n, b in raw.items()} != \
            {n: m["sha256"] for n, m in manifest["captures"].items()}:
        raise SystemExit(f"{path}: the captures do not match the manifest")
    return {n: b.decode() for n, b in raw.items()}


def records(text, where):
    """PFN -> record text; the text must be nothing but records."""
    out = {}
    for rec in text.split("\n\n"):
        if not rec:
            continue
        lines = rec.split("\n")
        if len(lines) < 2 or not HEADER.match(lines[0]) or not PFN.match(lines[1]):
            raise SystemExit(f"{where}: not a page_owner record: {rec[:160]!r}")
        pfn = int(PFN.match(lines[1]).group(1), 0)
        if pfn in out:
            raise SystemExit(f"{where}: PFN {pfn:#x} twice")
        out[pfn] = rec
    return out


def header(rec):
    m = HEADER.match(rec.split("\n", 1)[0])
    return int(m.group(1)), int(m.group(2)), m.group(3), int(m.group(4))


FLAGS = re.compile(r" Flags 0x([0-9a-f]+)\((.*)\)$")


def partial_bit_only(x, y):
    """x and y are the same slab page but for the partial-list bit (PG_workingset) in Flags."""
    if "allocate_slab" not in x:
        return False
    xl, yl = x.split("\n"), y.split("\n")
    if len(xl) != len(yl) or [line for line in zip(xl, yl) if line[0] != line[1]] != [(xl[1], yl[1])]:
        return False
    fx, fy = FLAGS.search(xl[1]), FLAGS.search(yl[1])
    if not fx or not fy or xl[1][:fx.start()] != yl[1][:fy.start()]:
        return False
    one_bit = int(fx.group(1), 16) ^ int(fy.group(1), 16)
    names_x, names_y = set(fx.group(2).split("|")), set(fy.group(2).split("|"))
    return one_bit & (one_bit - 1) == 0 and names_x ^ names_y == {"workingset"}


def classify(kcore, before, after, powner_pid):
    """PFN -> why kcore and after differ ("same" when they do not)."""
    newest_before = max(header(r)[3] for r in before.values())

    def own(rec):
        return rec is not None and header(rec)[1] == powner_pid

    def new(rec):
        return rec is not None and header(rec)[3] > newest_before

    why = {}
    for pfn in set(kcore) | set(after):
        k, a, b = kcore.get(pfn), after.get(pfn), before.get(pfn)
        if k == a:
            why[pfn] = "same"
        elif own(k) or own(a):
            why[pfn] = "own"
        elif k is not None and k == b:
            why[pfn] = "changed"
        elif new(k) or new(a):
            why[pfn] = "new"
        elif k is not None and any(x is not None and partial_bit_only(k, x) for x in (a, b)):
            why[pfn] = "partial"
        else:
            why[pfn] = "unexplained"
    return why


def spoil(kcore, before, after):
    """Three of powner's records made wrong, each on a page that did not change at all."""
    stable = sorted(p for p in kcore if kcore[p] == after.get(p) == before.get(p))
    dropped, flagged, cut = stable[len(stable) // 4], stable[len(stable) // 2], stable[-1]
    del kcore[dropped]
    kcore[flagged] = kcore[flagged].replace(" Flags 0x", " Flags 0x1", 1)
    kcore[cut] = "\n".join(kcore[cut].split("\n")[:-1])
    return {dropped, flagged, cut}


def main(path, spoiled=False):
    c = load(path)
    results = dict(re.findall(r"^kcore (pid|status) (-?\d+)$", c["results.txt"], re.M))
    pid, status = int(results["pid"]), int(results["status"])
    failures = []
    if status != 0:
        failures.append(f"powner exited with {status}: {c['kcore.stderr.txt'].strip()}")
    elif c["kcore.stderr.txt"]:
        failures.append(f"powner said: {c['kcore.stderr.txt'].strip()}")
    kcore = records(c["kcore.txt"], "kcore.txt")
    before = records(c["kcore.before.txt"], "kcore.before.txt")
    after = records(c["kcore.after.txt"], "kcore.after.txt")
    if spoiled:
        wrong = spoil(kcore, before, after)
        why = classify(kcore, before, after, pid)
        caught = {p for p in wrong if why[p] == "unexplained"}
        others = sum(1 for p, w in why.items() if w == "unexplained" and p not in wrong)
        print(f"{len(caught)} of {len(wrong)} wrong records caught; {others} other differences")
        ok = caught == wrong and others == 0 and not failures
        print(f"{int(ok)} passed, {int(not ok)} failed")
        return 0 if ok else 1
    why = classify(kcore, before, after, pid)
    counts = collections.Counter(why.values())
    print(f"powner (pid {pid}) on /proc/kcore: {len(kcore)} records; page_owner right after: "
          f"{len(after)}; " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    by_task = collections.Counter()
    for pfn, w in why.items():
        if w in ("changed", "new", "partial"):
            rec = after.get(pfn) or kcore[pfn]
            by_task[f"{w}: {header(rec)[2]}"] += 1
    if by_task:
        print("  not powner's, changed while it ran: " +
              ", ".join(f"{k} {n}" for k, n in by_task.most_common()))
    for pfn in sorted(p for p, w in why.items() if w == "unexplained")[:5]:
        k, a = kcore.get(pfn, "(none)"), after.get(pfn, "(none)")
        failures.append(f"PFN {pfn:#x} differs:\n--- powner\n{k}\n--- page_owner after\n{a}")
    if counts["unexplained"]:
        failures.append(f"{counts['unexplained']} records differ with no reason the capture shows")
    if counts["same"] < 0.9 * len(after):
        failures.append(f"only {counts['same']} of {len(after)} records are the same")
    for f in failures:
        print("FAIL", f)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    spoiled = args[:1] == ["--spoil"]
    if len(args) != 1 + spoiled:
        raise SystemExit(__doc__)
    sys.exit(main(args[-1], spoiled))
