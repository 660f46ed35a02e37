# SPDX-License-Identifier: GPL-2.0-or-later
"""What the drgn plugin's tests share: a fixture dump opened with drgn, its live captures, and
tests/parity/check_parity.py's rule for comparing a text with them."""
import importlib.util
import os
import subprocess
import sys


import drgn

from powner.drgn import Status, _error

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77  # ctest: skipped
# Why the types cannot come from the kernel's BTF without a vmlinux, before Linux 6.0 (exit 6).
NO_KALLSYMS = ("the dump does not say where the kernel's kallsyms are (VMCOREINFO lists them "
               "from Linux 6.0 on), so its BTF cannot be found: give the vmlinux with -s")


def load_vmlinux(prog, vmlinux):
    """Gives drgn the vmlinux, and nothing else: drgn 0.0.31 and later would also list the
    loaded modules, reading memory a filtered dump may lack (powner never asks drgn for such
    memory, see PyMemory in plugin/src/engine_module.cc), for debug info powner does not use."""
    if not hasattr(prog, "main_module"):
        prog.load_debug_info([vmlinux])
        return
    module = prog.main_module(name="kernel", create=True)
    module.try_file(vmlinux, force=True)  # the build ids have been compared already
    if module.wants_debug_file():
        raise _error(Status.NO_DEBUG_INFO, f"{vmlinux}: drgn cannot use its debug info")


def load_check_parity():
    path = os.path.join(HERE, "..", "parity", "check_parity.py")
    spec = importlib.util.spec_from_file_location("check_parity", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_parity = load_check_parity()


def read_vmcoreinfo(path):
    """A dump's VMCOREINFO text, read by libkdumpfile's own Python binding (not by powner)."""
    import kdumpfile
    dump = kdumpfile.kdumpfile(path)
    dump.attr["addrxlat.ostype"] = "linux"
    return bytes(dump.attr["linux.vmcoreinfo.raw"]).decode(errors="replace")


def elf_facts(path):
    """(GNU build id or "", whether it has DWARF) of an ELF file, as readelf reads them."""
    notes = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    sections = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout
    build_id = next((line.split(":", 1)[1].strip() for line in notes.splitlines()
                     if "Build ID:" in line), "")
    return build_id, " .debug_info " in sections



class Failures:
    """Counts failures, printing the first 20."""

    def __init__(self):
        self.count = 0

    def __call__(self, message):
        self.count += 1
        if self.count <= 20:
            print(f"FAIL {message}")

    def check(self, ok, message):
        if not ok:
            self(message)
        return ok


class Fixture:
    """An unpacked fixture (tests/vmcores) and one of its dumps."""

    def __init__(self, path, dump):
        self.path = path
        self.dump = dump
        self.vmcore = os.path.join(path, dump)
        self.vmlinux = os.path.join(path, "vmlinux")
        self.captures = os.path.join(path, "captures")
        self.changed = check_parity.changed_pages(path)

    def opens(self):
        """Whether drgn opens the dump (not QEMU's raw ELF dumps before drgn 0.0.23)."""
        try:
            drgn.Program().set_core_dump(self.vmcore)
            return True
        except (ValueError, OSError, drgn.FaultError) as e:
            print(f"skipped: drgn {drgn.__version__} cannot open {self.dump}: {e}")
            return False

    def program(self, vmlinux=True):
        """The dump as a drgn Program, with the vmlinux's debug info or without any."""
        prog = drgn.Program()
        prog.set_core_dump(self.vmcore)
        if vmlinux:
            load_vmlinux(prog, self.vmlinux)
        return prog

    def lists_kallsyms(self):
        """Whether the dump's VMCOREINFO says where the kallsyms tables are (Linux 6.0 on), as
        reading the kernel's BTF without a vmlinux needs."""
        return any(line.startswith("SYMBOL(kallsyms_names)=")
                   for line in read_vmcoreinfo(self.vmcore).splitlines())

    def has_capture(self, name):
        return os.path.exists(os.path.join(self.captures, name))

    def capture(self, name):
        with open(os.path.join(self.captures, name), "rb") as f:
            return f.read()

    def differs(self, name, got, skipped=""):
        """None when got (bytes, or text with undecodable bytes as backslashreplace leaves
        them) is the capture as check_parity.py accepts it: identical but for the page flags
        of pages that changed after the capture, and for records the dump lacks that skipped
        ("skipped: ...") reported; else what differs."""
        want = self.capture(name).decode(errors="backslashreplace")
        if isinstance(got, bytes):
            got = got.decode(errors="backslashreplace")
        if got == want:
            return None
        want_text = check_parity.mask_changed(want, self.changed, False)
        got_text = check_parity.mask_changed(got, self.changed, True)
        if got_text == want_text or check_parity.accounted_gap(want_text, got_text, skipped):
            return None
        return check_parity.describe_difference(want_text, got_text)


def command(*args):
    """(status, stdout bytes, stderr text) of python3 -m powner.drgn ARGS."""
    run = subprocess.run([sys.executable, "-m", "powner.drgn", *args], capture_output=True)
    return run.returncode, run.stdout, run.stderr.decode(errors="replace")
