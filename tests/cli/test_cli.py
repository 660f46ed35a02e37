#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The powner command as a new user meets it: what it does to files (-o), how it reads its options,
and what it says when something is wrong. Every failure is one line on stderr starting with
"powner: " and a documented exit status; outputs are compared whole with the default run's.

usage: test_cli.py POWNER FIXTURE_DIR DUMP REPRO_DIR
  FIXTURE_DIR  an unpacked fixture (vmlinux, DUMP) of a two-node kernel
  REPRO_DIR    dumps that once crashed powner (fuzz/corpus/kdump_file)
Ends with "N passed, N failed"."""
import glob
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

POWNER = FIXTURE = DUMP = VMLINUX = REPRO = TMP = None
results = []


class Failure(Exception):
    pass


def run(args, **kw):
    p = subprocess.run([POWNER, *args], capture_output=True, **kw)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def refused(args, status, *words):
    """powner args fails with status and one line naming each of words."""
    code, out, err = run(args)
    if code != status:
        raise Failure(f"exit {code}, expected {status}: {err.strip()[:500]}")
    if err.count("\n") != 1 or not err.startswith("powner: "):
        raise Failure(f"not one 'powner: ' line: {err!r}")
    for w in words:
        if w not in err:
            raise Failure(f"{err.strip()!r} does not say {w!r}")
    return err


def same_output(args, reference_args):
    code, out, err = run(args)
    want_code, want, _ = run(reference_args)
    if code != 0 or want_code != 0:
        raise Failure(f"exit {code} / {want_code}: {err.strip()[:500]}")
    if out != want:
        raise Failure(f"{args} prints other text than {reference_args}")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def leftovers(folder):
    return [f for f in os.listdir(folder) if ".powner-" in f]


def case(fn):
    results.append(fn)
    return fn


# 1. Never destroy a file.

@case
def output_that_is_the_dump_is_refused():
    copy = os.path.join(TMP, "copy.dump")
    shutil.copyfile(DUMP, copy)
    before = sha(copy)
    refused(["-c", copy, "-o", copy], 2, "is the dump", copy)
    link = os.path.join(TMP, "link-to-copy")
    os.symlink(copy, link)
    refused(["-c", copy, "-o", link], 2, "is the dump")
    hard = os.path.join(TMP, "hard-link")
    os.link(copy, hard)
    refused([hard, "-o", copy], 2, "is the dump")
    if sha(copy) != before:
        raise Failure("the dump changed")


@case
def output_that_is_the_vmlinux_is_refused():
    copy = os.path.join(TMP, "vmlinux.copy")
    shutil.copyfile(VMLINUX, copy)
    refused(["-c", DUMP, "-s", copy, "-o", copy], 2, "is the vmlinux")
    if sha(copy) != sha(VMLINUX):
        raise Failure("the vmlinux changed")


@case
def output_file_is_whole_and_replaces_through_links():
    folder = tempfile.mkdtemp(dir=TMP)
    target = os.path.join(folder, "po.txt")
    with open(target, "w") as f:
        f.write("old\n")
    os.chmod(target, 0o640)
    link = os.path.join(folder, "po-link")
    os.symlink("po.txt", link)
    code, _, err = run(["-c", DUMP, "-o", link])
    _, want, _ = run(["-c", DUMP])
    if code != 0:
        raise Failure(f"exit {code}: {err}")
    if not os.path.islink(link):
        raise Failure("the symbolic link was replaced by a file")
    with open(target, "rb") as f:
        if f.read() != want:
            raise Failure("-o's file differs from standard output")
    if os.stat(target).st_mode & 0o777 != 0o640:
        raise Failure("the replaced file's permissions changed")
    if leftovers(folder):
        raise Failure(f"left behind: {leftovers(folder)}")
    code, _, err = run(["-c", DUMP, "-o", "/dev/null"])  # a device is written in place
    if code != 0 or not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        raise Failure(f"-o /dev/null: exit {code}, or it is no longer a device: {err}")


@case
def interrupted_output_leaves_the_old_file():
    """SIGINT while -o's file is written: exit by the signal (130 in a shell), FILE as it was,
    no temporary file left."""
    folder = tempfile.mkdtemp(dir=TMP)
    target = os.path.join(folder, "po.txt")
    for _ in range(20):
        with open(target, "w") as f:
            f.write("old\n")
        p = subprocess.Popen([POWNER, "-c", DUMP, "-j", "1", "-o", target],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while p.poll() is None and not leftovers(folder):
            time.sleep(0.0005)
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        p.wait()
        if p.returncode == 0:
            continue  # it finished first: try again
        if p.returncode != -signal.SIGINT:
            raise Failure(f"exit {p.returncode} after SIGINT: {p.stderr.read()!r}")
        with open(target) as f:
            if f.read() != "old\n":
                raise Failure("the interrupted run changed FILE")
        if leftovers(folder):
            raise Failure(f"left behind: {leftovers(folder)}")
        return
    raise Failure("every run finished before SIGINT reached it")


@case
def full_disk_leaves_no_file():
    """A file system that fills up: exit 3 with the reason, and nothing left in it (looked at
    inside the mount namespace that has the small file system)."""
    folder = tempfile.mkdtemp(dir=TMP)
    listing = folder + ".list"
    script = (f'mount -t tmpfs -o size=16k none "{folder}" || exit 99; "$0" "$@"; s=$?; '
              f'ls -A "{folder}" > "{listing}"; exit $s')
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                        POWNER, "-c", DUMP, "-o", os.path.join(folder, "po.txt")],
                       capture_output=True)
    if p.returncode == 99 or not os.path.exists(listing):
        print("  (no mount namespace here: not checked)")
        return
    err = p.stderr.decode(errors="replace")
    if p.returncode != 3 or "No space left" not in err or err.count("\n") != 1:
        raise Failure(f"exit {p.returncode}: {err!r}")
    with open(listing) as f:
        left = f.read().split()
    if left:
        raise Failure(f"left behind in the full file system: {left}")


@case
def closed_pipe_ends_with_sigpipe():
    p = subprocess.Popen([POWNER, "-c", DUMP], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.read(100)
    p.stdout.close()
    p.wait()
    if p.returncode != -signal.SIGPIPE:
        raise Failure(f"exit {p.returncode}, expected death by SIGPIPE (141 in a shell)")


# 2. A crafted dump.

@case
def crafted_dumps_end_with_one_line():
    for path in sorted(glob.glob(os.path.join(REPRO, "regress-*"))):
        code, _, err = run(["-c", path])
        if code not in (3, 4, 6, 8) or err.count("\n") != 1 or not err.startswith("powner: "):
            raise Failure(f"{os.path.basename(path)}: exit {code}: {err!r}")


# 3. Options as written.

@case
def mode_is_one_value():
    refused(["-c", DUMP, "-m", "handle nid=1"], 2, "unknown print mode 'handle nid=1'")
    refused(["-c", DUMP, "-m", ""], 2, "unknown print mode ''")
    refused(["-c", DUMP, "-n", ""], 2, "the node list is empty")


@case
def node_list_is_one_value():
    same_output(["-c", DUMP, "-n", "0, 1"], ["-c", DUMP, "--filter", "nid=0,1"])


@case
def filter_is_written_after_mode():
    same_output(["-c", DUMP, "-m", "handle", "--filter", "mode=stack"], ["-c", DUMP])


@case
def threshold_needs_stacks_and_a_count():
    refused(["-c", DUMP, "--threshold", "5"], 2, "--stacks")
    refused(["-c", DUMP, "--stacks", "stacks", "--threshold", "-1"], 2, "--threshold")
    refused(["-c", DUMP, "--stacks", "stacks", "--threshold", "18446744073709551616"], 2,
            "--threshold")
    refused(["-c", DUMP, "--stacks", "stacks", "--threshold", "1e3"], 2, "--threshold")


@case
def files_as_crash_takes_them():
    same_output([DUMP], ["-c", DUMP])
    same_output([VMLINUX, DUMP, "-m", "handle"], ["-c", DUMP, "-s", VMLINUX, "-m", "handle"])
    same_output([DUMP, VMLINUX, "-m", "handle"], ["-c", DUMP, "-s", VMLINUX, "-m", "handle"])
    refused([DUMP, DUMP], 2, "both be the dump")


@case
def misspelt_options_get_a_suggestion():
    refused(["-c", DUMP, "--thershold", "5"], 2, "unknown option --thershold",
            "did you mean --threshold?")
    refused(["-c", DUMP, "--nodes", "1"], 2, "unknown option --nodes")
    # The first unknown argument as written, not CLI11's reversed list.
    refused(["-c", DUMP, "--colour", "--size"], 2, "--colour")
    refused(["-c", DUMP, "-j", "0"], 2, "powner: --threads")


# 4. Say what went wrong.

@case
def vmlinux_as_the_dump_says_so():
    refused(["-c", VMLINUX], 4, "an ELF executable, not a kernel dump", "-s")


@case
def forced_vmlinux_that_does_not_fit_is_a_types_problem():
    other = os.environ.get("POWNER_OTHER_VMLINUX")
    if not other:
        print("  (no other kernel's vmlinux given: not checked)")
        return
    code, _, err = run(["-c", DUMP, "-s", other, "--force"])
    lines = err.strip().splitlines()
    if code != 6 or len(lines) != 2 or not lines[0].startswith("powner: warning: "):
        raise Failure(f"exit {code}, expected 6 after the --force warning: {err!r}")


@case
def no_running_kernel_says_what_was_tried():
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"])
    if probe.returncode != 0:
        print("  (no mount namespace here: not checked)")
        return
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        'mount -t tmpfs none /proc && exec "$0"', POWNER], capture_output=True)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 3 or err.count("\n") != 1 or "running kernel" not in err \
            or "-c VMCORE" not in err:
        raise Failure(f"exit {p.returncode}: {err!r}")


@case
def unsupported_architecture_is_named():
    """A dump libkdumpfile opens, of a machine powner does not read: one line naming it."""
    with open(os.path.join(REPRO, "tiny.elf"), "rb") as f:
        elf = bytearray(f.read())
    for machine, name in ((22, "s390x"), (21, "ppc64")):  # aarch64 (183) is read
        elf[18:20] = machine.to_bytes(2, "little")  # e_machine
        path = os.path.join(TMP, f"{name}.elf")
        with open(path, "wb") as f:
            f.write(elf)
        refused(["-c", path], 4, f"a dump of an {name} machine", "x86_64 and aarch64")


@case
def node_without_memory_names_those_with_memory():
    refused(["-c", DUMP, "-n", "5"], 2, "node 5 has no memory", "nodes with memory: 0-1")


def main(argv):
    global POWNER, FIXTURE, DUMP, VMLINUX, REPRO, TMP
    POWNER, FIXTURE, REPRO = (os.path.abspath(a) for a in (argv[1], argv[2], argv[4]))
    dump = argv[3]
    DUMP = os.path.join(FIXTURE, dump)
    VMLINUX = os.path.join(FIXTURE, "vmlinux")
    TMP = tempfile.mkdtemp(prefix="powner-cli-")
    passed = failed = 0
    for fn in results:
        try:
            fn()
            print(f"ok   {fn.__name__}")
            passed += 1
        except Failure as e:
            print(f"FAIL {fn.__name__}: {e}")
            failed += 1
    shutil.rmtree(TMP, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
