#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""scripts/crash and crash> powner as a new user meets them, on a dump crash starts on only with
--zero_excluded: scripts/crash finds that out and says so (with a cache of its own, so the
finding is made here), and inside the session -o never overwrites the dump crash reads, writes a
whole file, the filter options are read as the CLI reads them, and the types come from powner's
own reading of crash's vmlinux (crash's gdb answers them only when that does not fit).

usage: check_crash_host.py FIXTURE_DIR DUMP EXTENSION -- CRASH...
Ends with "N passed, N failed"; exits 77 when crash cannot read the dump at all."""
import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

MARK = "@@powner@@"


def main(argv):
    sep = argv.index("--")
    fixture, dump, extension = argv[1:4]
    crash = argv[sep + 1:]
    vmlinux = os.path.join(fixture, "vmlinux")
    capture = os.path.join(fixture, "captures", "page_owner.mode-handle.txt")
    failures = []
    with tempfile.TemporaryDirectory(prefix="powner-crash-host-") as tmp:
        copy = os.path.join(tmp, dump)  # the dump crash reads, which -o must not overwrite
        shutil.copyfile(os.path.join(fixture, dump), copy)
        with open(copy, "rb") as f:
            before = hashlib.sha256(f.read()).hexdigest()
        out = os.path.join(tmp, "po.txt")
        cmds = [f"extend {extension}", "set debug 1",
                f"!echo {MARK}overwrite", f"powner -m handle -o {copy}", "set debug 0",
                f"!echo {MARK}whole", f"powner -m handle -o {out}",
                f"!echo {MARK}mode", 'powner -m "handle nid=1"',
                f"!echo {MARK}end", "quit"]
        with open(os.path.join(tmp, "cmds"), "w") as f:
            f.write("\n".join(cmds) + "\n")
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        prefix = subprocess.run(crash + ["--prefix"], capture_output=True, text=True)
        if prefix.returncode == 0 and prefix.stdout.strip():
            env["POWNER_CRASH_PREFIX"] = prefix.stdout.strip()  # no second install
        run = subprocess.run(crash + ["-s", vmlinux, copy, "-i", os.path.join(tmp, "cmds")],
                             stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=900)
        said = run.stdout.decode(errors="replace").split(MARK)
        err = run.stderr.decode(errors="replace")
        if len(said) < 5:
            print(f"SKIP: crash did not run the commands: {(err + said[-1])[-1500:]}")
            return 77
        sections = {s.split("\n", 1)[0]: s.split("\n", 1)[1] if "\n" in s else "" for s in said[1:]}
        if "only with --zero_excluded" not in err:
            failures.append(f"scripts/crash did not say it passes --zero_excluded: {err!r}")
        if "is crash's dump file" not in sections["overwrite"] + err:
            failures.append(f"-o DUMP not refused: {sections['overwrite']!r}")
        with open(copy, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != before:
                failures.append("-o DUMP changed the dump")
        if not os.path.exists(out) or not filecmp.cmp(out, capture, shallow=False):
            failures.append("-o FILE is not the live page_owner file (mode=handle)")
        if [f for f in os.listdir(tmp) if ".powner-" in f]:
            failures.append("a temporary file was left behind")
        if "types from powner's DWARF reader" not in sections["overwrite"] + err:
            failures.append(f"the types are not powner's DWARF reader's: {sections['overwrite']!r}")
        if "unknown print mode 'handle nid=1'" not in sections["mode"] + err:
            failures.append(f"-m 'handle nid=1' not refused: {sections['mode']!r}")
    for f in failures:
        print(f"FAIL {f}")
    print(f"{1 if not failures else 0} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
