# SPDX-License-Identifier: GPL-2.0-or-later
"""python3 -m powner.drgn: the powner command on drgn. Same options, output, messages and exit
statuses as the powner command (docs/powner.1); the command line and the checks of the files
are the engine's own (core/host/)."""

import signal
import sys
from types import SimpleNamespace

import drgn

from powner import _engine

from . import Error, Status, _error, _target, set_dump_file, use_vmlinux

PROGRAM = "python3 -m powner.drgn"


def parse_args(argv):
    """The command line, parsed and checked as the powner command parses its own
    (powner/host/dump_command.h): the same options, checks and messages. --help and --version
    print and exit."""
    try:
        action, text, options = _engine.parse_command(
            sys.argv[1:] if argv is None else list(argv), PROGRAM)
    except Error as e:
        print(f"powner: {e}", file=sys.stderr)
        sys.exit(int(e.status))
    if action == "print":
        sys.stdout.write(text)
        sys.exit(0)
    return SimpleNamespace(**options)


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
    """A drgn Program for the dump, with its vmlinux (None: none, the engine then takes the
    kernel's BTF) for powner to read, checked as the powner command checks them
    (powner/host/kernel_types.h) when the engine is made."""
    _engine.vmcoreinfo(core)  # the dump's headers, checked before drgn's reader trusts them

    prog = drgn.Program()
    try:
        prog.set_core_dump(core)
    except OSError as e:
        raise _error(Status.UNREADABLE, _strerror(e)) from None
    except Exception as e:  # drgn reports a malformed dump with a plain Exception
        raise _error(Status.NOT_A_DUMP, f"{core}: not a kernel dump ({e})") from None
    set_dump_file(prog, core)
    if vmlinux is not None:
        # powner's own reader of its DWARF: what the command asks of the types is a few hundred
        # answers, a tenth of drgn's indexing of the whole file. It is checked against the dump
        # when the engine is made.
        use_vmlinux(prog, vmlinux, force)
    return prog


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
                # out.write is done with each chunk when it returns: the engine's own buffer,
                # not a copy of it.
                skipped = target.page_owner(args.mode, args.nid, args.filter, out.write,
                                            progress.update, args.threads, args.exact,
                                            args.json, borrowed=True)
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
