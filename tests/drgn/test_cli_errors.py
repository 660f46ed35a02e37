#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""python3 -m powner.drgn fails as the powner command does: same exit status, one line on
stderr, the same line (both parse their command line with the engine's parser, core/host/
dump_command.h: only the program named in "see ... --help" differs). A vmlinux of another build is refused, and read with --force.
Without a vmlinux both take the kernel's BTF in the dump, and both refuse a dump whose BTF is
damaged alike. Both read a vmlinux's DWARF with the engine's reader: given one without DWARF,
both fall back to the kernel's BTF with the same warning; without a dump, the powner command
reads /proc/kcore. A dump whose VMCOREINFO does not say where the kallsyms tables are (before
Linux 6.0) has no BTF route: without a vmlinux, or with a vmlinux without DWARF, both exit 6 with
the same line.

usage: test_cli_errors.py POWNER FIXTURE_DIR DUMP"""
import os
import subprocess
import sys
import tempfile

from fixture import Fixture, elf_facts

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "damaged"))
import damaged_matrix  # noqa: E402

PLUGIN = [sys.executable, "-m", "powner.drgn"]
SAME_TEXT, SAME_PREFIX = "same text", "same prefix"
SAME_USAGE = "same usage text"  # the same line, naming its own program in "(see ... --help)"
# Errors of the drgn command only: it needs a dump, where the powner command reads the running
# kernel (/proc/kcore).
DRGN_ONLY = "drgn only"
SAME_STATUS = "same status"  # both fail alike, each in its own words


def run(command):
    r = subprocess.run(command, capture_output=True)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def damaged_btf_dump(fixture, tmp):
    """A copy of 7.3/numa2's ELF dump (next to FIXTURE_DIR) with its BTF's magic zeroed, as
    tests/damaged's no-types case makes it; None without that dump."""
    fx = damaged_matrix.Fixture(os.path.join(fixture, "..", "..", "7.3", "numa2"))
    if not os.path.exists(fx.elf):
        return None
    dump = damaged_matrix.copy(fx.elf, tmp, "elf.no_btf")
    damaged_matrix.patch(dump, damaged_matrix.offset_of(fx, fx.layout["btf"], 2), b"\0\0")
    return dump


def main(argv):
    powner, fixture, dump = argv[1:4]
    vmcore = os.path.join(fixture, dump)
    vmlinux = os.path.join(fixture, "vmlinux")
    with open(vmlinux, "rb") as f:
        vmlinux_bytes = f.read()
    build_id, _ = elf_facts(vmlinux)
    tmp = tempfile.mkdtemp(prefix="powner-drgn-")
    # The same vmlinux with another build id.
    other = os.path.join(tmp, "vmlinux-other")
    at = vmlinux_bytes.index(bytes.fromhex(build_id))
    with open(other, "wb") as f:
        f.write(vmlinux_bytes[:at] + bytes([vmlinux_bytes[at] ^ 0xff]) + vmlinux_bytes[at + 1:])
    # A copy to name as the output too (refused), and an output a refused run must not make.
    same = os.path.join(tmp, "vmlinux-same")
    with open(same, "wb") as f:
        f.write(vmlinux_bytes)
    never = os.path.join(tmp, "never-written")
    base = ["-c", vmcore, "-s", vmlinux]
    cases = [
        ("no options", [], DRGN_ONLY),
        ("unknown option", base + ["--bogus"], SAME_USAGE),
        ("unknown view", base + ["--stacks", "bogus"], SAME_USAGE),
        ("bad threshold", base + ["--stacks", "stacks", "--threshold", "x"], SAME_USAGE),
        ("view with a mode", base + ["--stacks", "stacks", "-m", "handle"], SAME_TEXT),
        ("missing dump", ["-c", os.path.join(tmp, "missing"), "-s", vmlinux], SAME_TEXT),
        ("empty dump", ["-c", "/dev/null", "-s", vmlinux], SAME_PREFIX),
        ("vmlinux as the dump", ["-c", vmlinux, "-s", vmlinux], SAME_PREFIX),
        ("missing vmlinux", ["-c", vmcore, "-s", os.path.join(tmp, "missing")], SAME_TEXT),
        ("dump as the vmlinux", ["-c", vmcore, "-s", vmcore], SAME_TEXT),
        ("vmlinux of another build", ["-c", vmcore, "-s", other], SAME_TEXT),
        ("unknown mode", base + ["-m", "bogus"], SAME_TEXT),
        ("a mode with a node list in it", base + ["-m", "handle nid=1"], SAME_TEXT),
        ("empty mode", base + ["-m", ""], SAME_TEXT),
        ("empty node list", base + ["-n", ""], SAME_TEXT),
        ("node without memory", base + ["-n", "63"], SAME_TEXT),
        ("node beyond MAX_NUMNODES", base + ["-n", "99999"], SAME_TEXT),
        ("bad filter", base + ["--filter", "colour=blue"], SAME_TEXT),
        ("unwritable output", base + ["-m", "handle", "-o", os.path.join(tmp, "no", "out")],
         SAME_TEXT),
        ("output over the vmlinux", ["-c", vmcore, "-s", same, "-o", same], SAME_TEXT),
        ("output of a refused filter", base + ["-n", "63", "-o", never], SAME_TEXT),
    ]
    btf = Fixture(fixture, dump).lists_kallsyms()  # else no types without a vmlinux's DWARF
    _, dwarf = elf_facts("/bin/true")
    if not dwarf and not btf:
        cases.append(("vmlinux without DWARF", ["-c", vmcore, "-s", "/bin/true"], SAME_TEXT))
    if not btf:
        cases.append(("no vmlinux, no kallsyms in VMCOREINFO", ["-c", vmcore], SAME_TEXT))
    no_btf = damaged_btf_dump(fixture, tmp)
    if no_btf:
        cases.append(("no vmlinux, the dump's BTF damaged", ["-c", no_btf], SAME_TEXT))
    failed = 0
    for label, args, compare in cases:
        want_status, _, want_err = run([powner] + args)
        status, _, err = run(PLUGIN + args)
        problems = []
        if compare == DRGN_ONLY:
            if status != 2:
                problems.append(f"status {status}, not a usage error")
        elif want_status == 0:
            problems.append("the powner command accepts it: not an error case")
        elif status != want_status:
            problems.append(f"status {status}, the powner command's {want_status}")
        if err.count("\n") != 1 or not err.startswith("powner: "):
            problems.append(f"stderr is not one 'powner: ' line: {err!r}")
        if compare == SAME_USAGE and err.replace("python3 -m powner.drgn --help", "powner --help") != want_err:
            problems.append(f"says {err.strip()!r}, the powner command {want_err.strip()!r}")
        if compare == SAME_TEXT and err != want_err:
            problems.append(f"says {err.strip()!r}, the powner command {want_err.strip()!r}")
        if compare == SAME_PREFIX and err.split("(")[0] != want_err.split("(")[0]:
            problems.append(f"says {err.strip()!r}, the powner command {want_err.strip()!r}")
        failed += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {label}: exit {status}"
              + (": " + "; ".join(problems) if problems else f": {err.strip()}"))

    if not dwarf and btf:  # not an error: both take the BTF, with the same warning and text
        args = ["-c", vmcore, "-s", "/bin/true", "-m", "handle"]
        want = run([powner] + args)
        got = run(PLUGIN + args)
        ok = want[0] == 0 and got == want and "warning" in want[2]
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} vmlinux without DWARF: both exit {got[0]} "
              f"({want[0]}), {len(got[1])} bytes ({len(want[1])}), stderr {got[2].strip()!r}")

    with open(same, "rb") as f:
        kept = f.read() == vmlinux_bytes
    del vmlinux_bytes
    ok = kept and not os.path.exists(never)
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} refused outputs: the vmlinux named by -o "
          f"{'kept' if kept else 'CHANGED'}, the refused filter's output "
          f"{'made' if os.path.exists(never) else 'not made'}")

    # --force reads the other build's vmlinux (the same DWARF here), with a warning.
    capture = os.path.join(fixture, "captures", "page_owner.mode-handle.nid-1.txt")
    with open(capture, "rb") as f:
        want = f.read()
    status, out, err = run(PLUGIN + ["-c", vmcore, "-s", other, "--force", "-m", "handle",
                                     "-n", "1"])
    want_status, want_out, want_err = run([powner, "-c", vmcore, "-s", other, "--force",
                                           "-m", "handle", "-n", "1"])
    ok = (status == want_status == 0 and out == want_out and err == want_err
          and err.startswith("powner: warning: ") and (out == want or "skipped" in err))
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} --force: exit {status}, {len(out)} bytes as the powner "
          f"command prints them, stderr {err.strip()!r}")

    # Without a vmlinux both read the kernel's BTF in the dump; where a dump lacks memcgs, both
    # print what they left out and a hint.
    successes = [("no vmlinux", ["-c", vmcore, "-m", "handle", "-n", "1"])] if btf else []
    lacking = os.path.join(fixture, "..", "..", "7.3", "numa2", "vmcore.d31")
    if os.path.exists(lacking):
        successes.append(("a dump without some memcgs", ["-c", lacking, "-m", "handle"]))
    for label, args in successes:
        status, out, err = run(PLUGIN + args)
        want_status, want_out, want_err = run([powner] + args)
        ok = status == want_status == 0 and out == want_out and err == want_err
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {label}: exit {status}, {len(out)} bytes as the powner "
              f"command prints them, stderr {err.strip()!r}"
              + ("" if ok else f"; the powner command's {want_err.strip()!r}"))

    for path in (other, same, no_btf):
        if path:
            os.unlink(path)
    os.rmdir(tmp)
    print(f"{len(cases) + 2 + len(successes) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
