#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A dump of a kernel that writes a wrong BUILD-ID into VMCOREINFO (Linux commit 905415ff3ffb and
its stable backports: 6.1.113 to 6.1.118 among them) is read with its own vmlinux, by the powner
command and the drgn command alike; the same wrong build id on a release without the bug is
still refused (exit 5), so the test sees the rule, not a check that was dropped.

The dumps are copies of a 6.1 fixture with OSRELEASE and BUILD-ID edited in their headers
(VMCOREINFO is stored uncompressed there).

usage: test_unreliable_build_id.py POWNER FIXTURE_DIR DUMP"""
import os
import re
import subprocess
import sys
import tempfile

PLUGIN = [sys.executable, "-m", "powner.drgn"]


def edited(src, dst, release=None, build_id=True):
    with open(src, "rb") as f:
        data = f.read()
    old_release = re.search(rb"OSRELEASE=([^\n]+)\n", data).group(1)
    old_id = re.search(rb"BUILD-ID=([0-9a-f]+)\n", data).group(1)
    if build_id:
        data = data.replace(b"BUILD-ID=" + old_id, b"BUILD-ID=" + bytes(reversed(old_id)))
    if release:
        assert len(release) == len(old_release), (release, old_release)
        data = data.replace(b"OSRELEASE=" + old_release, b"OSRELEASE=" + release)
    with open(dst, "wb") as f:
        f.write(data)
    return old_release.decode()


def run(command):
    r = subprocess.run(command, capture_output=True)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def main(argv):
    powner, fixture, dump = argv[1:4]
    vmcore, vmlinux = os.path.join(fixture, dump), os.path.join(fixture, "vmlinux")
    tmp = tempfile.mkdtemp(prefix="powner-build-id-")
    broken, control = os.path.join(tmp, "broken"), os.path.join(tmp, "control")
    release = edited(vmcore, control)
    if not release.startswith("6.1."):
        print(f"the fixture is Linux {release}, not 6.1: nothing to test")
        return 77
    edited(vmcore, broken, release=b"6.1.115".ljust(len(release), b"0")[:len(release)])
    args = ["-s", vmlinux, "-m", "handle", "-n", "1"]
    _, want, _ = run([powner, "-c", vmcore] + args)
    failed = 0
    for host in ([powner], PLUGIN):
        name = "powner" if host == [powner] else "drgn"
        code, out, err = run(host + ["-c", broken] + args)
        ok = (code == 0 and out == want and err.count("\n") == 1
              and err.startswith("powner: warning: cannot check") and "wrong BUILD-ID" in err)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: the broken release's dump is read: exit {code}, "
              f"{'the same text' if out == want else 'OTHER TEXT'}, {err.strip()!r}")
        failed += not ok
        code, _, err = run(host + ["-c", control] + args)
        ok = code == 5 and "does not match" in err
        print(f"{'ok  ' if ok else 'FAIL'} {name}: a wrong build id elsewhere is refused: "
              f"exit {code}, {err.strip()!r}")
        failed += not ok
    for path in (broken, control):
        os.unlink(path)
    os.rmdir(tmp)
    print(f"{4 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
