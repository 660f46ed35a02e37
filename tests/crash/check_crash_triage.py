#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""crash> powner top and powner sort against the CLI's on the same dump: every key's JSON Lines
and the folded stacks of top, page_owner_sort's output for several option sets, the records as
JSON (powner --json), powner diff against a saved powner top --json, byte for byte
(the same engine; crash's gdb answers the type questions the vmlinux's DWARF answers for the
CLI), written through crash's redirection; and top --html's page.
  check_crash_triage.py FIXTURE DUMP EXTENSION POWNER -- CRASH...
Exit 77 (skipped) when crash cannot start on the dump."""
import os
import subprocess
import sys
import tempfile

KEYS = ["stack", "tgid", "memcg", "module", "order", "gfp", "migratetype", "node", "age"]
SORTS = [[], ["-m"], ["--cull", "stacktrace"], ["--cull", "pid,name", "-n"], ["--name", "po_anon_n1"]]


def main(argv):
    sep = argv.index("--")
    fixture, dump, extension, powner = argv[1:5]
    crash = argv[sep + 1:]
    vmcore = os.path.join(fixture, dump)
    vmlinux = os.path.join(fixture, "vmlinux")
    runs = [(f"json-{key}", ["top", "--by", key, "--json", "-n", "0"]) for key in KEYS]
    runs.append(("folded", ["top", "--folded"]))
    runs += [(f"sort-{i}", ["sort", *args]) for i, args in enumerate(SORTS)]
    runs.append(("records-json", ["--json", "-n", "1"]))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="powner-crash-top-") as tmp:
        # diff: crash's dump (B) against a saved top of it (A), by memcg and by stack
        saved = os.path.join(tmp, "before.json")
        with open(saved, "wb") as f:
            f.write(subprocess.run([powner, "top", "-s", vmlinux, "-c", vmcore, "--by", "memcg",
                                    "--json", "-n", "0"], capture_output=True, check=True).stdout)
        runs.append(("diff", ["diff", "--by", "memcg", "-n", "0", saved]))
        runs.append(("diff-json", ["diff", "--by", "memcg", "--json", saved]))
        cmds = [f"extend {extension}"]
        for name, args in runs:
            cmds.append(f"powner {' '.join(args)} > {os.path.join(tmp, name + '.crash')}")
        html = os.path.join(tmp, "report.html")
        cmds += [f"powner top --html {html} -n 3 > /dev/null", "quit"]
        cmdfile = os.path.join(tmp, "cmds")
        with open(cmdfile, "w") as f:
            f.write("\n".join(cmds) + "\n")
        run = subprocess.run(crash + ["-s", vmlinux, vmcore, "-i", cmdfile],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=900)
        if "shared object loaded" not in run.stdout.decode(errors="replace"):
            print(run.stdout.decode(errors="replace")[-2000:], run.stderr.decode()[-2000:])
            print(f"crash did not load the extension on {dump}: skipped")
            return 77
        for name, args in runs:
            command = args[:1] if args[0] in ("top", "sort", "diff") else []
            if command == ["diff"]:  # A: the saved file; B, after it: crash's dump
                cli = [powner, "diff", "-s", vmlinux, *args[1:], vmcore]
            elif command == ["sort"]:
                cli = [powner, "sort", "--core", vmcore, "--symbols", vmlinux, *args[1:]]
            else:
                cli = [powner, *command, "-s", vmlinux, "-c", vmcore, *args[len(command):]]
            want = subprocess.run(cli, capture_output=True, check=True).stdout
            path = os.path.join(tmp, name + ".crash")
            got = open(path, "rb").read() if os.path.exists(path) else b""
            if got == want:
                print(f"ok   powner {' '.join(args)}: {len(got)} bytes identical")
            else:
                failed += 1
                print(f"FAIL powner {' '.join(args)}: crash wrote {len(got)} bytes, the CLI "
                      f"{len(want)}")
        page = open(html, "rb").read() if os.path.exists(html) else b""
        if page.startswith(b"<!doctype html>") and b'"powner-report"' in page:
            print(f"ok   powner top --html: {len(page)} bytes")
        else:
            failed += 1
            print("FAIL powner top --html: no page")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
