#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The README's way to use an installed copy works as written: cmake --install into a prefix P,
then the README's `export` lines (read from README.md, P put in) find the command, the man page,
the crash extension by its bare name and the drgn plugin; the crash session prints one
fixture's page_owner file byte for byte as the kernel did.

usage: test_installed.py SOURCE_DIR BUILD_DIR FIXTURE_DIR DUMP -- CRASH...
Ends with "N passed, N failed"."""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def readme_environment(source, prefix):
    """The variables the README's export lines set, with P as prefix."""
    with open(os.path.join(source, "README.md")) as f:
        lines = [line.strip() for line in f if line.strip().startswith("export ")]
    if not lines:
        raise SystemExit("README.md has no export lines for an installed copy")
    env = dict(os.environ)
    for line in lines:
        for name, value in re.findall(r"(\w+)=(\S+)", line[len("export "):]):
            value = value.replace("P/", prefix + "/").replace("$PATH", env.get("PATH", ""))
            env[name] = value
    return env


def main(argv):
    sep = argv.index("--")
    source, build, fixture, dump = argv[1:5]
    crash = argv[sep + 1:]
    failures = []
    prefix = tempfile.mkdtemp(prefix="powner-installed-")
    try:
        subprocess.run(["cmake", "--install", build, "--prefix", prefix], check=True,
                       stdout=subprocess.DEVNULL)
        env = readme_environment(source, prefix)

        def run(cmd, **kw):
            return subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)

        r = run(["powner", "--version"])
        if r.returncode != 0 or shutil.which("powner", path=env["PATH"]) != \
                os.path.join(prefix, "bin", "powner"):
            failures.append(f"powner --version from PATH: {r.returncode} {r.stderr.strip()}")
        r = run(["man", "-w", "powner"])
        if r.returncode != 0 or not r.stdout.strip().startswith(prefix):
            failures.append(f"man -w powner: {r.stdout.strip()} {r.stderr.strip()}")
        r = run(["/usr/bin/python3", "-c", "import powner.drgn, sys; print(powner.drgn.__file__)"])
        if r.returncode != 0 or not r.stdout.startswith(prefix):
            failures.append(f"import powner.drgn: {r.stdout.strip()} {r.stderr.strip()[-300:]}")
        # crash, with the extension by its bare name.
        out = os.path.join(prefix, "po.txt")
        cmds = os.path.join(prefix, "cmds")
        with open(cmds, "w") as f:
            f.write(f"extend powner.so\npowner -o {out}\nquit\n")
        r = run(crash + ["-s", os.path.join(fixture, "vmlinux"), os.path.join(fixture, dump),
                         "-i", cmds], stdin=subprocess.DEVNULL, timeout=900)
        want = os.path.join(fixture, "captures", "page_owner.mode-stack.txt")
        if not os.path.exists(out):
            failures.append(f"crash> extend powner.so: {(r.stdout + r.stderr)[-600:]}")
        else:
            with open(out, "rb") as a, open(want, "rb") as b:
                if a.read() != b.read():
                    failures.append("crash> powner differs from the live page_owner file")
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    for f in failures:
        print(f"FAIL {f}")
    print(f"{4 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
