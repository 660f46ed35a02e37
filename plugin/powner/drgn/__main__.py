"""python3 -m powner.drgn: the powner command on drgn. Same options, output, messages and exit
statuses as the powner command (docs/powner.1)."""

import argparse
import signal
import sys

import drgn

import powner
from powner import _engine

from . import Error, Status, _error, _target, set_dump_file
from ._dumpfile import FormatError, read_vmcoreinfo, vmlinux_facts

EXAMPLES = """
Examples (python3 -m powner.drgn ...):
  -c vmcore -s vmlinux                    the whole page_owner file
  -c vmcore -s vmlinux -m handle -n 1     node 1 only, stack handles instead of stacks
  -c vmcore -s vmlinux -n 0,2-3 -o po.txt nodes 0, 2 and 3, into po.txt
  -c vmcore -s vmlinux --stacks stacks --threshold 100
                                          stacks holding at least 100 pages
  -c vmcore -m stack_handle               no vmlinux: types from the dump's BTF
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, and the status of a bad command line.
        self.exit(int(Status.USAGE), f"powner: {message} (see --help)\n")


def _count(text):
    try:
        value = int(text) if text.isdigit() else int(text, 0)
    except ValueError:
        value = -1
    if not 0 <= value < 1 << 64:
        raise argparse.ArgumentTypeError(f"not a count: {text!r}")
    return value


def _threads(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1024:
        raise argparse.ArgumentTypeError(f"not a thread count from 1 to 1024: {text!r}")
    return value


def parse_args(argv):
    parser = _Parser(
        prog="python3 -m powner.drgn",
        description="powner: who allocated the pages? page_owner from a kernel dump, as the live "
                    "kernel prints it (on drgn)",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"powner {powner.__version__}")
    parser.add_argument("-c", "--core", required=True, metavar="VMCORE",
                        help="kernel dump (kdump-compressed or kdump ELF)")
    parser.add_argument("-s", "--symbols", metavar="VMLINUX",
                        help="vmlinux with DWARF debug info (or its debug-only file); without "
                             "it, types come from the kernel's BTF in the dump")
    parser.add_argument("-m", "--mode",
                        help="print mode: stack (default), handle, stack_handle")
    parser.add_argument("-n", "--nid", metavar="NODELIST",
                        help="only pages of these NUMA nodes: a node list like 0,2-3")
    parser.add_argument("--filter", metavar="COMMAND",
                        help='a filter command as written to the page_owner file '
                             '("mode=handle nid=0-1"), applied after -m and -n as a later '
                             'write would be')
    parser.add_argument("-o", "--output", default="", metavar="FILE",
                        help="write to FILE instead of standard output")
    parser.add_argument("--stacks", choices=("stacks", "handles", "stacks_handles"),
                        help="print a page_owner_stacks view instead")
    parser.add_argument("--threshold", type=_count, metavar="N",
                        help="with --stacks: count_threshold (default: the dump's own value)")
    parser.add_argument("-j", "--threads", type=_threads, default=0, metavar="N",
                        help="threads reading the dump (default: the CPUs available); the "
                             "output is the same")
    parser.add_argument("--force", action="store_true",
                        help="read the dump even with a vmlinux that does not match it")
    args = parser.parse_args(argv)
    if args.stacks and (args.mode, args.nid, args.filter) != (None, None, None):
        parser.exit(int(Status.USAGE),
                    "powner: --stacks views take no -m or -n (the kernel's files have none)\n")
    return args


class _Progress:
    """Progress on stderr, only when it is a terminal."""

    def __init__(self):
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def update(self, done, total):
        if self.enabled and total:
            sys.stderr.write(f"\rpowner: {done * 100 // total:3}% of {total} pages")
            sys.stderr.flush()
            self.shown = True

    def clear(self):
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


class _Output:
    """Standard output, or -o's file as the powner command writes it (whole or not at all, never
    over a file being read), made at the first write: as the powner command makes it, once the
    dump and the filter have been understood."""

    def __init__(self, path, inputs):
        self.path = path
        self.inputs = inputs  # (what it is to the user, path) of the files read
        self.file = None

    def _file(self):
        if self.file is None:
            self.file = _engine.OutputFile(self.path, self.inputs)
        return self.file

    def write(self, data):
        if self.path:
            self._file().write(data)
            return
        try:
            sys.stdout.buffer.write(data)
        except OSError as e:
            raise _error(Status.UNREADABLE, f"writing the output: {e.strerror}") from None

    def close(self):
        if self.path:
            self._file().commit()
            return
        try:
            sys.stdout.buffer.flush()
        except OSError as e:
            raise _error(Status.UNREADABLE, f"writing the output: {e.strerror}") from None

    def discard(self):
        """Leaves -o's file as it was, if not closed."""
        if self.file is not None:
            self.file.discard()


def _strerror(e):
    return f"{e.filename}: {e.strerror}" if e.filename else str(e)


def load(core, vmlinux=None, force=False):
    """A drgn Program for the dump and its vmlinux (None: none, the engine then takes the
    kernel's BTF), checked as the powner command checks them."""
    _engine.check_dump(core)  # cut or damaged headers, before drgn's reader trusts them
    try:
        vmcoreinfo = read_vmcoreinfo(core)
    except OSError as e:
        raise _error(Status.UNREADABLE, _strerror(e)) from None
    except FormatError as e:
        raise _error(Status.NOT_A_DUMP, f"{core}: not a kernel dump ({e})") from None
    if not vmcoreinfo:
        raise _error(Status.NOT_A_DUMP,
                     f"{core}: the dump has no VMCOREINFO: not a Linux kernel dump")
    if vmlinux is not None:
        _check_vmlinux(vmlinux, vmcoreinfo, force)

    prog = drgn.Program()
    try:
        prog.set_core_dump(core)
    except OSError as e:
        raise _error(Status.UNREADABLE, _strerror(e)) from None
    except Exception as e:  # drgn reports a malformed dump with a plain Exception
        raise _error(Status.NOT_A_DUMP, f"{core}: not a kernel dump ({e})") from None
    if vmlinux is not None:
        try:
            _load_vmlinux(prog, vmlinux)
        except drgn.MissingDebugInfoError as e:
            raise _error(Status.NO_DEBUG_INFO, f"{vmlinux}: {e}") from None
    set_dump_file(prog, core)
    return prog


def _check_vmlinux(vmlinux, vmcoreinfo, force):
    """Raises Error unless the vmlinux has DWARF and is the dump's (by build id); --force reads
    another build's with a warning."""
    try:
        file_id, dwarf = vmlinux_facts(vmlinux)
    except OSError as e:
        raise _error(Status.UNREADABLE, _strerror(e)) from None
    except FormatError as e:
        raise _error(Status.UNREADABLE, f"{vmlinux}: {e}") from None
    if not dwarf:
        raise _error(Status.NO_DEBUG_INFO, f"{vmlinux}: no DWARF debug info")
    info = dict(line.split("=", 1) for line in vmcoreinfo.splitlines() if "=" in line)
    dump_id = info.get("BUILD-ID", "")
    if dump_id and not file_id.startswith(dump_id) and not dump_id.startswith(file_id):
        why = (f"{vmlinux} (build id {file_id or 'none'}) does not match the dump "
               f"(Linux {info.get('OSRELEASE', '')}, build id {dump_id})")
        if not force:
            raise _error(Status.MISMATCH, why + "; --force reads it anyway")
        print(f"powner: warning: {why}", file=sys.stderr)


def _load_vmlinux(prog, vmlinux):
    """Gives drgn the vmlinux, and nothing else: drgn 0.0.31 and later would also list the
    loaded modules, reading memory a filtered dump may lack (powner never asks drgn for such
    memory, see PyMemory in src/engine_module.cc), for debug info powner does not use."""
    if not hasattr(prog, "main_module"):
        prog.load_debug_info([vmlinux])
        return
    module = prog.main_module(name="kernel", create=True)
    module.try_file(vmlinux, force=True)  # the build ids have been compared already
    if module.wants_debug_file():
        raise _error(Status.NO_DEBUG_INFO, f"{vmlinux}: drgn cannot use its debug info")


def run(args):
    prog = load(args.core, args.symbols, args.force)
    target = _target(prog, no_types="no vmlinux given (-s)")
    out = _Output(args.output, [("the dump (-c)", args.core),
                                ("the vmlinux (-s)", args.symbols or "")])
    try:
        if args.stacks:
            text, skipped = target.stack_view(args.stacks, args.threshold)
            out.write(text)
        else:
            progress = _Progress()
            try:
                skipped = target.page_owner(args.mode, args.nid, args.filter, out.write,
                                            progress.update, args.threads)
            finally:
                progress.clear()
        out.close()
    finally:
        out.discard()
    for note in skipped:
        print(f"powner: {note}", file=sys.stderr)
    return 0


def main(argv=None):
    # As a command in a pipeline: end quietly when the reader goes away.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = parse_args(argv)
    try:
        return run(args)
    except Error as e:
        print(f"powner: {e}", file=sys.stderr)
        return int(e.status)
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except Exception as e:
        print(f"powner: internal error: {e}", file=sys.stderr)
        return int(Status.INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
