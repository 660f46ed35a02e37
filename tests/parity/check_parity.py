#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parity: what a host prints from a dump is byte-identical to what the live kernel printed.

A few slab pages may have moved on or off their partial list between the last live read and
the crash (the fixture's manifest lists them, "changed_after_capture"): for those records the
host must print the dump's page flags, and the Flags field is compared with that value.

A filtered dump (makedumpfile -d 31) may lack memory some records need. A record whose detail
is missing (a memcg's name, a stack) is still printed, with a placeholder where the kernel
printed that detail ("Charged to memcg ? (...)", " ? (stack not in the dump, handle N)"), and
stderr says how many records carry one, by kind ("not in the dump, printed as '?': the memcg of
N records, the stack of M records"). Such an output passes when its records are the live ones,
one for one and in order, identical but for placeholder lines standing exactly where the live
record has the detail they replace, and as many of each kind as reported. Records are left out
only where the dump lacks a page or its page_owner data ("skipped: N ..."), never more than
reported there; any other missing record fails.

usage: check_parity.py FIXTURE_DIR DUMP -- HOST_COMMAND...
FIXTURE_DIR is an unpacked fixture (captures/, vmlinux, the dumps). HOST_COMMAND is run once
per capture with the capture's options appended (-m MODE, -n NODES, --stacks VIEW,
--threshold N, --filter CMD); {vmcore} and {vmlinux} in it are replaced. Whole outputs are
compared; on a difference the first differing record and the number of differing records are
printed. Rejected filter writes (results.txt) must fail with exit status 2 and name the errno.
Ends with "N passed, N failed"."""
import json
import os
import re
import subprocess
import sys

ERRNO_NAMES = {22: "EINVAL", 34: "ERANGE", 75: "EOVERFLOW"}

def options_for(capture):
    """The host options that reproduce a capture, or None for captures that are not outputs."""
    m = re.fullmatch(r"page_owner(?:\.mode-(\w+))?(?:\.nid-([0-9,-]+))?\.txt", capture)
    if m:
        opts = []
        if m.group(1):
            opts += ["-m", m.group(1)]
        if m.group(2):
            opts += ["-n", m.group(2)]
        return opts
    m = re.fullmatch(r"show_(stacks|handles|stacks_handles)(?:\.threshold-(\d+))?\.txt", capture)
    if m:
        opts = ["--stacks", m.group(1)]
        if m.group(2):
            opts += ["--threshold", m.group(2)]
        return opts
    return None

def records(text):
    return text.split("\n\n")

def describe_difference(want, got):
    a, b = records(want), records(got)
    differing = sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return (f"{differing} of {len(a)} records differ; first at record {i}:\n"
                    f"--- live kernel\n{x}\n--- host\n{y}")
    return f"{differing} records differ: live has {len(a)} records, host {len(b)}"

# The notes a host prints after its output (Engine::notes()), each after "powner: ": not errors.
NOTES = ("skipped: ", "not in the dump, printed as '?': ", "hint: ")

MEMCG_PLACEHOLDER = re.compile(
    r"Charged (\(via objcg\) )?to (offline )?memcg \? \((not in the dump|name not in the dump, "
    r"mem_cgroup 0x[0-9a-f]+(, cgroup id \d+)?)\)")
STACK_PLACEHOLDER = re.compile(r" \? \(stack not in the dump, handle \d+\)")


def placeholders_in(live, printed):
    """The kinds of placeholder ("memcg", "stack") by which a printed record differs from the
    live one, or None when they differ otherwise. A memcg placeholder stands for the live
    "Charged ..." line with the same "(via objcg)" and, when it says "offline", the same state;
    a stack placeholder for the live record's stack lines (those starting with a space)."""
    a, b = live.split("\n"), printed.split("\n")
    kinds = set()
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        m = MEMCG_PLACEHOLDER.fullmatch(b[j])
        if m and a[i].startswith("Charged ") \
                and (m.group(1) is not None) == a[i].startswith("Charged (via objcg) ") \
                and (m.group(2) is None or " offline memcg " in a[i]):
            kinds.add("memcg")
            i += 1
            j += 1
            continue
        if STACK_PLACEHOLDER.fullmatch(b[j]) and a[i].startswith(" "):
            while i < len(a) and a[i].startswith(" "):
                i += 1
            kinds.add("stack")
            j += 1
            continue
        return None
    return kinds if i == len(a) and j == len(b) else None


def accounted_gap(want, got, stderr):
    """A reason to accept got, or None: got is want with placeholders and left-out records as
    the host reported them (the module's docstring has the rule)."""
    skipped = re.search(r"skipped: (.*)", stderr)
    if skipped and "stack list is cut short" in skipped.group(1):
        # a stack view whose list continues in memory the dump lacks: a prefix of the live one
        live, printed = records(want), records(got)
        if printed[-1:] == [""] and printed[:-1] == live[:len(printed) - 1] and len(printed) < len(live):
            return f"the first {len(printed) - 1} of {len(live) - 1} stacks identical; the list is cut short as reported"
        return None
    marked = re.search(r"not in the dump, printed as '\?': (.*)", stderr)
    reported = {}
    if marked:
        for kind, n in re.findall(r"the (memcg|stack) of (\d+) records", marked.group(1)):
            reported[kind] = int(n)
    if not skipped and not marked:
        return None
    live, printed = records(want), records(got)
    found = {"memcg": 0, "stack": 0}
    i = 0
    for rec in printed:
        while i < len(live):
            kinds = placeholders_in(live[i], rec)
            if kinds is not None:
                for kind in kinds:
                    found[kind] += 1
                break
            i += 1
        if i == len(live):
            return None
        i += 1
    missing = len(live) - len(printed)
    left_out = sum(int(n) for n in re.findall(r"(\d+) [a-z]", skipped.group(1))) if skipped else 0
    if missing < 0 or missing > left_out or found != {k: reported.get(k, 0) for k in found}:
        return None
    parts = []
    if marked:
        parts.append(f"placeholders as reported ({marked.group(1)})")
    if missing:
        parts.append(f"{missing} left out as reported ({skipped.group(1)})")
    return f"{len(printed)} records identical or with " + "; ".join(parts or ["nothing left out"])


FLAGS = re.compile(r"^(PFN (0x[0-9a-f]+|\d+) .* Flags )(0x[0-9a-f]+)\([^\n]*\)$", re.M)

def changed_pages(fixture):
    """pfn -> page flags in the dump, for pages the manifest says changed after the capture."""
    path = os.path.join(fixture, "manifest.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {c["pfn"]: c["dump_flags"] for c in json.load(f).get("changed_after_capture", [])}

def mask_changed(text, changed, host):
    """Replaces the Flags of changed pages by a marker; in the host's text only when it printed
    the dump's value (otherwise the difference stays visible)."""
    def sub(m):
        pfn = int(m.group(2), 0)
        if pfn not in changed or (host and int(m.group(3), 16) != changed[pfn]):
            return m.group(0)
        return m.group(1) + "<flags as in the dump>"
    return FLAGS.sub(sub, text) if changed else text

def plan_commands(fixture):
    """The filter writes the guest tried, from its console: name -> command."""
    cmds = {}
    console = os.path.join(fixture, "console.log")
    if not os.path.exists(console):
        return cmds
    with open(console, errors="replace") as f:
        for line in f:
            m = re.match(r"FIXTURE: plan: reject (\S+) ?(.*)$", line.rstrip("\n"))
            if m:
                cmds[m.group(1)] = m.group(2)
    return cmds

def main(argv):
    sep = argv.index("--")
    fixture, dump = argv[1], argv[2]
    host = argv[sep + 1:]
    vmcore = os.path.join(fixture, dump)
    vmlinux = os.path.join(fixture, "vmlinux")
    host = [a.replace("{vmcore}", vmcore).replace("{vmlinux}", vmlinux) for a in host]
    capdir = os.path.join(fixture, "captures")
    changed = changed_pages(fixture)
    passed = failed = 0
    for capture in sorted(os.listdir(capdir)):
        opts = options_for(capture)
        if opts is None:
            continue
        with open(os.path.join(capdir, capture), "rb") as f:
            want = f.read()
        run = subprocess.run(host + opts, capture_output=True)
        label = f"{dump} {capture} ({' '.join(opts) or 'no options'})"
        if run.returncode != 0:
            failed += 1
            print(f"FAIL {label}: exit {run.returncode}: {run.stderr.decode(errors='replace').strip()}")
        elif run.stdout != want and (
                mask_changed(run.stdout.decode(errors="replace"), changed, True) ==
                mask_changed(want.decode(errors="replace"), changed, False)):
            passed += 1
            print(f"ok   {label}: {len(want)} bytes identical but for the page flags of "
                  f"{len(changed)} slab pages that changed after the capture (as in the dump)")
        elif run.stdout != want:
            reason = accounted_gap(mask_changed(want.decode(errors="replace"), changed, False),
                                   mask_changed(run.stdout.decode(errors="replace"), changed, True),
                                   run.stderr.decode(errors="replace"))
            if reason:
                passed += 1
                print(f"ok   {label}: {reason}")
            else:
                failed += 1
                print(f"FAIL {label}: " + describe_difference(want.decode(errors="replace"),
                                                             run.stdout.decode(errors="replace")))
        else:
            passed += 1
            print(f"ok   {label}: {len(want)} bytes identical")
    # The writes the kernel rejected are rejected the same way.
    commands = plan_commands(fixture)
    with open(os.path.join(capdir, "results.txt")) as f:
        results = f.read()
    for m in re.finditer(r"^(write\.\S+) (errno (\d+)|accepted)", results, re.M):
        name, errnum = m.group(1), m.group(3)
        if name not in commands:
            continue
        run = subprocess.run(host + ["--filter", commands[name]], capture_output=True)
        err = run.stderr.decode(errors="replace").strip()
        label = f"{dump} {name} ({commands[name]!r})"
        if errnum is None:
            ok = run.returncode == 0
        else:
            ok = run.returncode == 2 and ERRNO_NAMES.get(int(errnum), "?") in err and err.count("\n") == 0
        if ok:
            passed += 1
            print(f"ok   {label}: " + (f"rejected: {err}" if errnum else "accepted"))
        else:
            failed += 1
            print(f"FAIL {label}: kernel said {'errno ' + errnum if errnum else 'accepted'}; "
                  f"host exit {run.returncode}: {err}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
