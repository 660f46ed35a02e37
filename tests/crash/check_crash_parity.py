#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parity of crash> powner: real crash, in batch mode, prints exactly what the live kernel printed.

usage: check_crash_parity.py FIXTURE_DIR DUMP EXTENSION -- CRASH_COMMAND...

One crash session per dump (starting crash costs seconds and hundreds of MB): it loads EXTENSION
and runs powner once per capture of the fixture and once per filter write the guest tried, each
redirected to its own file, then the files are compared with the live captures as the CLI parity
check compares the CLI's output (tests/parity/check_parity.py, whose rules are reused: pages that
changed after the capture, records a filtered dump lacks as long as powner reported them). A
rejected write passes when powner printed one line naming the kernel's errno and no output.

crash has no exit status per command and writes its messages, powner's notes included, to its
standard output: each command is preceded by a marker line (`!echo`) so that what it printed
there can be told apart. Ends with "N passed, N failed". Exits 77 (skipped) when this crash
cannot read the dump at all, saying why."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
import check_parity as parity  # noqa: E402

SKIP = 77
MARK = "@@powner-test "
TIMEOUT = 900


def quote(command):
    """A filter command as one crash argument."""
    if '"' in command:
        raise ValueError(f"cannot quote {command!r} for crash")
    return f'"{command}"'


def plan(fixture):
    """(name, powner arguments, expectation) for every check: expectation is a capture file name,
    None for an accepted write, or the errno number of a rejected write."""
    checks = []
    capdir = os.path.join(fixture, "captures")
    for capture in sorted(os.listdir(capdir)):
        opts = parity.options_for(capture)
        if opts is not None:
            checks.append((capture, " ".join(opts), capture))
    commands = parity.plan_commands(fixture)
    with open(os.path.join(capdir, "results.txt")) as f:
        results = f.read()
    for m in re.finditer(r"^(write\.\S+) (errno (\d+)|accepted)", results, re.M):
        name, errnum = m.group(1), m.group(3)
        if name in commands:
            checks.append((name, "--filter " + quote(commands[name]),
                           int(errnum) if errnum else None))
    return checks


def sections(stdout):
    """What crash printed on its standard output after each marker, by check name."""
    out, name = {}, None
    for line in stdout.splitlines():
        if line.startswith(MARK):
            name = line[len(MARK):]
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def powner_errors(text):
    """powner's error lines (its notes about skipped records, and their hints, are not errors)."""
    return [line for line in text.splitlines() if line.startswith("powner: ")
            and not line.removeprefix("powner: ").startswith(parity.NOTES)]


def main(argv):
    sep = argv.index("--")
    fixture, dump, extension = argv[1], argv[2], argv[3]
    crash = argv[sep + 1:]
    vmcore = os.path.join(fixture, dump)
    vmlinux = os.path.join(fixture, "vmlinux")
    changed = parity.changed_pages(fixture)
    checks = plan(fixture)

    with tempfile.TemporaryDirectory(prefix="powner-crash-") as tmp:
        cmds = [f"!echo '{MARK}start'", f"extend {extension}"]
        for name, args, _ in checks:
            cmds += [f"!echo '{MARK}{name}'", f"powner {args} > {os.path.join(tmp, name)}"]
        cmds += [f"!echo '{MARK}end'", "quit"]
        cmdfile = os.path.join(tmp, "commands")
        with open(cmdfile, "w") as f:
            f.write("\n".join(cmds) + "\n")
        def session(extra):
            run = subprocess.run(crash + extra + ["-s", vmlinux, vmcore, "-i", cmdfile],
                                 stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
            return run, sections(run.stdout.decode(errors="replace"))

        try:
            run, found = session([])
            how = ""
            if "start" not in found:
                # Some filtered dumps lack a page crash itself needs to start (7.x -d 31: an
                # xarray node of the pid table); --zero_excluded lets it start, and powner
                # turns it off for its own reads.
                how = "--zero_excluded"
                run, found = session([how])
            if "start" not in found:
                # crash often exits without a word: its debug output says why.
                debug = subprocess.run(crash + ["-d1", vmlinux, vmcore],
                                       stdin=subprocess.DEVNULL, capture_output=True,
                                       timeout=TIMEOUT)
                why = [line for line in (debug.stdout + debug.stderr).decode(errors="replace")
                       .splitlines() if line.strip()][-3:] or [f"exit status {run.returncode}"]
                print(f"SKIP {dump}: this crash cannot read the dump:\n  " + "\n  ".join(why))
                return SKIP
        except subprocess.TimeoutExpired:
            print(f"FAIL {dump}: crash did not finish within {TIMEOUT} s")
            return 1
        stdout = run.stdout.decode(errors="replace")
        stderr = run.stderr.decode(errors="replace")
        if how:
            print(f"note {dump}: crash starts on this dump only with {how}")
        if "shared object loaded" not in found["start"]:
            print(f"FAIL {dump}: the extension did not load:\n{found['start']}")
            return 1
        if "end" not in found:
            print(f"FAIL {dump}: crash stopped before the last command (exit {run.returncode}):\n"
                  + "\n".join((stdout + stderr).strip().splitlines()[-12:]))

        passed = failed = 0
        for name, args, expect in checks:
            label = f"{dump} {name} ({('powner ' + args).strip()})"
            said = found.get(name)
            path = os.path.join(tmp, name)
            got = open(path, "rb").read() if os.path.exists(path) else None
            if said is None or got is None:
                failed += 1
                print(f"FAIL {label}: not run")
                continue
            errors = powner_errors(said)
            if isinstance(expect, int):
                wanted = parity.ERRNO_NAMES.get(expect, "?")
                text = got.decode(errors="replace")
                ok = (len(errors) == 1 and wanted in errors[0]
                      and text.strip() == errors[0].strip())
                if ok:
                    passed += 1
                    print(f"ok   {label}: rejected: {errors[0]}")
                else:
                    failed += 1
                    print(f"FAIL {label}: kernel said errno {expect} ({wanted}); powner said "
                          f"{errors or 'nothing'}, output {len(got)} bytes")
                continue
            if expect is None:
                if not errors and got:
                    passed += 1
                    print(f"ok   {label}: accepted")
                else:
                    failed += 1
                    print(f"FAIL {label}: kernel accepted it; powner said {errors}")
                continue
            with open(os.path.join(fixture, "captures", expect), "rb") as f:
                want = f.read()
            if errors:
                failed += 1
                print(f"FAIL {label}: {' / '.join(errors)}")
            elif got == want:
                passed += 1
                print(f"ok   {label}: {len(want)} bytes identical")
            elif (parity.mask_changed(got.decode(errors="replace"), changed, True) ==
                  parity.mask_changed(want.decode(errors="replace"), changed, False)):
                passed += 1
                print(f"ok   {label}: {len(want)} bytes identical but for the page flags of "
                      f"{len(changed)} slab pages that changed after the capture (as in the dump)")
            else:
                reason = parity.accounted_gap(
                    parity.mask_changed(want.decode(errors="replace"), changed, False),
                    parity.mask_changed(got.decode(errors="replace"), changed, True), said)
                if reason:
                    passed += 1
                    print(f"ok   {label}: {reason}")
                else:
                    failed += 1
                    print(f"FAIL {label}: " + parity.describe_difference(
                        want.decode(errors="replace"), got.decode(errors="replace")))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed or "end" not in found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
