#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""crash> powner with the powner command's shape, for the damaged matrix: one crash session in
batch mode that loads the extension and runs `powner OPTIONS` once.

usage: crash_front.py EXTENSION CRASH_COMMAND... -- -c DUMP -s VMLINUX [OPTIONS]

The command's output goes to standard output, powner's lines ("powner: ...": errors, warnings
and the skipped-pages summary) to standard error. crash has no exit status per command, so the
status is 1 when powner printed an error, 0 otherwise; crash's own refusal to open the dump
(which is crash's business, not the extension's) exits 77."""
import os
import subprocess
import sys
import tempfile

MARK = "@@powner-damaged "
NOTES = ("powner: skipped: ", "powner: warning: ", "powner: hint: ",
         "powner: not in the dump, printed as '?': ")


def main(argv):
    sep = argv.index("--")
    extension, crash, opts = argv[1], argv[2:sep], argv[sep + 1:]
    dump = opts[opts.index("-c") + 1]
    vmlinux = opts[opts.index("-s") + 1]
    rest = [o for i, o in enumerate(opts)
            if o not in ("-c", "-s") and (i == 0 or opts[i - 1] not in ("-c", "-s"))]
    with tempfile.TemporaryDirectory(prefix="powner-crash-front-") as tmp:
        out = os.path.join(tmp, "out")
        cmds = [f"extend {extension}", f"!echo '{MARK}'",
                f"powner {' '.join(rest)} > {out}", f"!echo '{MARK}'", "quit"]
        cmdfile = os.path.join(tmp, "commands")
        with open(cmdfile, "w") as f:
            f.write("\n".join(cmds) + "\n")
        for extra in ([], ["--zero_excluded"]):  # see check_crash_parity.py
            run = subprocess.run(crash + extra + ["-s", vmlinux, dump, "-i", cmdfile],
                                 stdin=subprocess.DEVNULL, capture_output=True)
            said = run.stdout.decode(errors="replace").split(MARK)
            if len(said) == 3:
                break
        else:
            print(f"crash cannot read {dump}:", (run.stdout + run.stderr).decode(
                errors="replace").strip().splitlines()[-3:], file=sys.stderr)
            return 77
        lines = [line for line in said[1].splitlines() if line.startswith("powner: ")]
        sys.stderr.write("".join(line + "\n" for line in lines))
        with open(out, "rb") as f:
            sys.stdout.buffer.write(f.read())
    return 1 if any(not line.startswith(NOTES) for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
