# SPDX-License-Identifier: GPL-2.0-or-later
"""page_owner inside drgn: Linux's /sys/kernel/debug/page_owner and page_owner_stacks, byte for
byte as the dumped kernel would have printed them, and the same records as Python objects.

    >>> from powner.drgn import page_owner, page_owner_of, page_owner_stacks, records, stacks
    >>> from powner.drgn import summary
    >>> summary(prog, by="tgid", since="1m").groups[0]  # who allocated most in the last minute
    >>> page_owner(prog, mode="handle", nid=1)          # the page_owner file, filtered
    >>> big = [r for r in records(prog) if r.order >= 9]
    >>> print(big[0])                                   # its text in the page_owner file
    >>> page_owner_of(prog, 0x1234)                     # one page, allocated or freed
    >>> page_owner_of(prog, phys=0x1234000)             # or by physical address, or struct page
    >>> stacks(prog, threshold=64)                      # page_owner_stacks' stacks, as objects
    >>> page_owner_stacks(prog, view="handles")         # page_owner_stacks/show_handles

The work is done by the powner engine (the library behind the powner command): memory and types
come through drgn, the stack symbols from the kallsyms tables inside the dump. A program without
debug info gets its types from the kernel's own BTF, as the powner command without a vmlinux
(name its dump with set_dump_file()); that needs Linux 6.0 or later, whose VMCOREINFO says where
the kallsyms tables are.
"""

import dataclasses
import io
import json
import operator
import os
import sys
import warnings
from typing import NamedTuple, Optional, Tuple

import drgn
from drgn.helpers.linux.mm import page_to_pfn

from .. import _engine
from ._types import DrgnTypes

__all__ = [
    "Error",
    "Frame",
    "PageOwner",
    "SkippedPagesWarning",
    "Stack",
    "Status",
    "page_owner",
    "page_owner_of",
    "page_owner_stacks",
    "records",
    "set_dump_file",
    "sort_page_owner",
    "stacks",
    "summary",
    "use_vmlinux",
    "Summary",
    "Group",
    "Task",
    "diff",
]

Error = _engine.Error  # .status: a Status, also the command line's exit status
Status = _engine.Status

_TARGET = "powner.target"
_DUMP_FILE = "powner.dump_file"
_VMLINUX = "powner.vmlinux"  # (path, force): a vmlinux whose DWARF powner reads, not drgn
_LIVE_BTF = "/sys/kernel/btf/vmlinux"  # the running kernel's BTF


class SkippedPagesWarning(UserWarning):
    """Some pages could not be read from the dump (see the message for how many, and why; a
    second line may hint at a dump that has them)."""


def _repr(obj, hex_fields):
    """Class(field=value, ...) of a dataclass, with the fields the kernel shows in hex, or that
    are addresses and masks, in hex."""
    shown = (f"{f.name}={getattr(obj, f.name):#x}" if f.name in hex_fields
             else f"{f.name}={getattr(obj, f.name)!r}"
             for f in dataclasses.fields(obj) if f.repr)
    return f"{type(obj).__name__}({', '.join(shown)})"


class Frame(NamedTuple):
    """One frame of a stack: its address, and the kernel's %pS of it ("func+0x1c/0x80")."""

    address: int
    symbol: str

    def __repr__(self):
        return f"Frame(address={self.address:#x}, symbol={self.symbol!r})"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PageOwner:
    """One page's page_owner record (struct page_owner), with its stacks symbolized and what the
    kernel's page_owner file prints about the page. str() of it is that text (mode=stack);
    text() the text in another print mode."""

    pfn: int
    nid: Optional[int]  # the page's node (None: its flags name no possible node)
    order: int
    gfp_mask: int
    gfp_mask_text: str  # %pGg of gfp_mask: "GFP_KERNEL|__GFP_COMP"
    migratetype: str  # of gfp_mask: the first "type" of "PFN ... type X Block ... type Y"
    pageblock_migratetype: str  # of the page's pageblock: Y there
    page_flags: int  # page->flags
    page_flags_text: str  # %pGp of page_flags: "0x...(uptodate|lru|node=0|zone=1)"
    # pid, tgid, comm, ts_nsec, free_pid, free_tgid and free_ts_nsec are None when the
    # kernel's struct page_owner has no such field: 5.10 has none of them, 6.1 no free_pid
    # or free_tgid.
    pid: Optional[int]
    tgid: Optional[int]
    comm: Optional[str]  # bytes that are not UTF-8 as \x escapes
    ts_nsec: Optional[int]
    handle: int  # stack depot handle of the allocation stack
    stack: Tuple[Frame, ...]  # allocation stack, innermost frame first
    allocated: bool  # False: page_owner tracks the page as freed
    free_handle: int  # of the stack that last freed the page (0: never freed)
    free_pid: Optional[int]
    free_tgid: Optional[int]
    free_ts_nsec: Optional[int]
    free_stack: Tuple[Frame, ...]
    last_migrate_reason: Optional[str]  # None: never migrated
    # The memcg the kernel's "Charged [(via objcg) ]to [offline ]memcg NAME" line names
    # (cgroup_name(): its own name, "/" for the root), and whether it is online; both None
    # when the kernel prints no such line, memcg_none_reason saying why (not charged, a slab
    # or tail page, a kernel without memcgs, or a memcg the dump lacks).
    memcg: Optional[str]
    memcg_online: Optional[bool]
    memcg_none_reason: Optional[str]
    _record: object = dataclasses.field(repr=False, compare=False)  # the engine's copy
    _target: object = dataclasses.field(repr=False, compare=False)

    def text(self, mode="stack"):
        """What the kernel's page_owner file prints for this record in a print mode ("stack",
        "handle" or "stack_handle"), made by the engine's record printer. Raises Error when
        the kernel would print none (a text longer than its page-sized buffer) or the dump
        lacks what the text needs (the stack, the memcg)."""
        return self._target.text(self._record, mode).decode(errors="backslashreplace")

    def __str__(self):
        return self.text()

    def __repr__(self):
        return _repr(self, ("pfn", "gfp_mask", "page_flags", "handle", "free_handle"))


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class Stack:
    """An allocation stack of page_owner_stacks (a stack depot record on the kernel's
    stack_list)."""

    handle: int  # its stack depot handle
    count: int  # nr_base_pages: base pages allocated from it and not freed
    frames: Tuple[Frame, ...]  # innermost first

    def __repr__(self):
        return _repr(self, ("handle",))


def set_dump_file(prog, path):
    """Tells powner which file prog's dump was read from. Only needed when powner cannot find it
    among the files this process has open: drgn before 0.0.24 keeps the dump's VMCOREINFO to
    itself, and for a kdump-compressed file powner consults its page map before every read."""
    prog.cache[_DUMP_FILE] = os.fspath(path)
    prog.cache.pop(_TARGET, None)


def use_vmlinux(prog, path, force=False):
    """Has powner read the kernel's types from this vmlinux's DWARF itself, as the powner command
    does (checked against the dump; force as --force), where drgn has no debug info loaded: a
    tenth of the set-up of drgn's load_debug_info(), which indexes the whole file."""
    prog.cache[_VMLINUX] = (os.fspath(path), force)
    prog.cache.pop(_TARGET, None)


def page_owner(prog, mode="stack", nid=None, file=None, threads=None, exact=False):
    """Prints /sys/kernel/debug/page_owner to file (default sys.stdout) as read after writing
    "mode=MODE nid=NID" to it: mode is "stack", "handle" or "stack_handle"; nid a node, an
    iterable of nodes or a node list such as "0,2-3" (None: all nodes). Each is one value, as
    after "mode=" or "nid=": mode="handle nid=1" is an unknown mode, nid="0, 1" nodes 0 and 1.
    A filter the kernel would reject (mode="" and nid="" too) raises Error with status
    Status.USAGE. Pages the dump lacks are left out, with a SkippedPagesWarning; a detail it
    lacks (a memcg's name, a stack) is printed as a placeholder, "?" (exact=True leaves such
    records out, as --exact does). threads: how many threads read and format (None: the CPUs
    available); the output is the same."""
    skipped = _target(prog).page_owner(mode, _node_list(nid), None, _writer(file),
                                       threads=threads or 0, exact=exact)
    _warn_skipped(skipped)


def records(prog, nid=None):
    """Yields a PageOwner for every record read_page_owner() finds (the records the page_owner
    file prints), in PFN order; nid as for page_owner(). Pages the dump lacks are left out, with
    a SkippedPagesWarning at the end; it also counts the records whose stack the dump lacks or
    whose handle is garbage (their stack is empty, or its symbols may be wrong)."""
    target = _target(prog)
    batches = target.records(_node_list(nid))  # a bad nid raises here, not later
    return _records(target, batches)


def _records(target, batches):
    while (batch := batches.next_batch()) is not None:
        for fields in batch:
            yield _page_owner(target, fields)
    _warn_skipped([batches.skipped_summary()])


def page_owner_of(where, pfn=None, *, phys=None):
    """The page_owner of one page, allocated or freed, as the kernel's __dump_page_owner() reads
    it:

        page_owner_of(page)                 # a struct page, or a pointer to one
        page_owner_of(prog, pfn)            # a page frame number
        page_owner_of(prog, phys=address)   # the page holding a physical address

    None when the kernel keeps none for the page (no struct page, no page extension, or
    page_owner never set). Raises drgn.FaultError when the dump lacks it."""
    if isinstance(where, drgn.Program):
        if (pfn is None) == (phys is None):
            raise TypeError("page_owner_of(prog, ...) takes a pfn or a phys= address")
        target = _target(where)
        pfn = operator.index(pfn) if phys is None else operator.index(phys) >> target.page_shift
        if not 0 <= pfn < 1 << 64:
            raise ValueError(f"not a page frame number: {pfn}")
    else:
        if pfn is not None or phys is not None:
            raise TypeError("page_owner_of(page) takes no pfn or phys=")
        page = where
        if page.type_.unqualified().kind != drgn.TypeKind.POINTER:
            page = page.address_of_()
        pfn = page_to_pfn(page).value_()
        target = _target(page.prog_)
    state, fields = target.lookup(pfn)
    if state == _engine.PageState.UNREADABLE:
        raise drgn.FaultError(f"page_owner of PFN {pfn:#x} is not in the dump",
                              pfn << target.page_shift)
    if fields is None:
        return None
    return _page_owner(target, fields)


def stacks(prog, threshold=None):
    """The stacks of /sys/kernel/debug/page_owner_stacks/show_stacks, as Stack objects, newest
    first: those that allocated at least threshold base pages still allocated (None: the dump's
    own count_threshold, as the powner command's --stacks). Their text is page_owner_stacks().
    A SkippedPagesWarning says what the dump lacks (a stack list entry, frames)."""
    entries, skipped = _target(prog).stack_list(threshold)
    _warn_skipped(skipped)
    return [Stack(**entry) for entry in entries]


class Task(NamedTuple):
    """One of a group's largest tasks: a tgid and the comm its records carry."""
    tgid: int
    comm: str
    pages: int
    exited: bool  # its tgid is not in the dump's task list (False when that list is unknown)


@dataclasses.dataclass
class Group:
    """One group of summary(): key holds its key's fields by name, as powner top --json names
    them ({"tgid": 69, "comm": "po_anon_n1", "exited": False}, {"stack": "..."}...)."""
    key: dict
    pages: int
    records: int
    mib: float
    share: float  # percent of every recorded page
    exited_pages: Optional[int]  # pages of exited tasks (None when the task list is unknown)
    top_tasks: list


@dataclasses.dataclass
class Summary:
    """summary()'s answer: the groups, largest first, and the totals they are part of."""
    by: str
    groups: list
    total_pages: int
    total_records: int
    selected_pages: int
    selected_records: int
    page_size: int
    crash_time_ns: int
    crash_time_source: str  # "runqueues.clock" or "newest record" (docs/top.md)
    exited_known: bool


_SUMMARY_SELECTIONS = ("pid", "tgid", "comm", "memcg", "module", "node", "since", "until")


def summary(prog, by="stack", *, threads=None, **select):
    """Who holds the memory: every page_owner record totalled by a key, as powner top does
    (docs/json-schema.md has the fields). by is "stack", "tgid", "memcg", "module", "order",
    "gfp", "migratetype", "node" or "age"; select takes powner top's selections: pid, tgid,
    comm, memcg, module, node, since and until (durations as "30s", "10m" or seconds). A key
    or selection this kernel cannot answer raises Error with status Status.USAGE; what the dump
    lacks comes as a SkippedPagesWarning. Returns a Summary."""
    args = ["--by", str(by)]
    for name, value in select.items():
        if name not in _SUMMARY_SELECTIONS:
            raise TypeError(f"summary() got an unexpected keyword argument {name!r}")
        if value is not None:
            args += [f"--{name}", str(value)]
    text, notes = _target(prog).top(args, threads=threads or 0)
    lines = [json.loads(line) for line in text.splitlines()]
    head = lines[0]
    groups = []
    for line in lines[1:]:
        tasks = [Task(t["tgid"], t["comm"], t["pages"], t.get("exited", False))
                 for t in line.pop("top_tasks")]
        counts = {k: line.pop(k) for k in ("pages", "records", "mib", "share")}
        exited = line.pop("exited_pages", None)
        groups.append(Group(key=line, exited_pages=exited, top_tasks=tasks, **counts))
    _warn_skipped(notes)
    return Summary(by=head["by"], groups=groups,
                   **{k: head[k] for k in ("total_pages", "total_records", "selected_pages",
                                            "selected_records", "page_size", "crash_time_ns",
                                            "crash_time_source", "exited_known")})


def sort_page_owner(prog, *options, file=None, threads=None):
    """Prints what the kernel's tools/mm/page_owner_sort (Linux 7.3) prints for prog's
    page_owner file to file (default sys.stdout), as powner sort does: options are the tool's
    own, as strings ("--cull", "stacktrace", "-m"), without its input and output files. An
    option the tool rejects raises Error with status Status.USAGE."""
    text, skipped = _target(prog).sort([str(o) for o in options], threads=threads or 0)
    _writer(file)(text)
    _warn_skipped(skipped)


def diff(prog, before, *options, file=None, threads=None):
    """Prints what grew between before (a saved `powner top --json -n 0`, or a dump of the same
    machine) and prog's dump, as `powner diff BEFORE THIS-DUMP` prints it, to file (default
    sys.stdout): options are powner diff's ("--by", "memcg", "--json", "--symbols-a", VMLINUX).
    What either side's dump lacks comes as a SkippedPagesWarning, as for summary()."""
    label = _find_dump(prog)[1] or "the program's dump"
    text, notes = _target(prog).diff([*(str(o) for o in options), os.fspath(before)], label,
                                     threads=threads or 0)
    _writer(file)(text)
    _warn_skipped(notes)


def page_owner_stacks(prog, view="stacks", threshold=None, file=None):
    """Prints a /sys/kernel/debug/page_owner_stacks view to file (default sys.stdout): view is
    "stacks" (show_stacks), "handles" or "stacks_handles"; threshold the count_threshold
    (None: the dump's own). stacks() gives the stacks as objects."""
    text, skipped = _target(prog).stack_view(view, threshold)
    _writer(file)(text)
    _warn_skipped(skipped)


def _page_owner(target, fields):
    """A PageOwner from a record's fields (Target.fields() in engine_module.cc)."""
    return PageOwner(**fields, _target=target)


def _node_list(nid):
    """nid as the node list "nid=" takes (None: no node filter)."""
    if nid is None or isinstance(nid, str):
        return nid
    if isinstance(nid, int):
        return str(nid)
    return ",".join(str(operator.index(n)) for n in nid)


def _writer(file):
    """A function writing the engine's bytes to file. Text files get them through their binary
    buffer when they have one: a comm need not be UTF-8, and the output is the kernel's bytes."""
    if file is None:
        file = sys.stdout
    if not isinstance(file, io.TextIOBase):
        return file.write
    buffer = getattr(file, "buffer", None)
    if buffer is None:
        return lambda data: file.write(data.decode(errors="backslashreplace"))

    def write(data):
        file.flush()
        buffer.write(data)
        buffer.flush()

    return write


def _warn_skipped(notes):
    """notes: what was skipped, as lines (a summary, a hint), empty ones left out."""
    message = "\n".join(note for note in notes if note)
    if message:
        warnings.warn(message, SkippedPagesWarning, stacklevel=3)


def _error(status, message):
    error = Error(message)
    error.status = status
    return error


def _target(prog, no_types="drgn has no debug info for this kernel"):
    """The engine for prog, made once per program (for each call on a live kernel, whose memory
    moves on). Its types come from drgn's debug info, or when drgn has none (no_types says why)
    from the kernel's own BTF, as the powner command takes them without a vmlinux."""
    live = bool(prog.flags & drgn.ProgramFlags.IS_LIVE)
    target = None if live else prog.cache.get(_TARGET)
    if target is None:
        if not prog.flags & drgn.ProgramFlags.IS_LINUX_KERNEL:
            raise ValueError("powner reads Linux kernels; this program is not one")
        vmcoreinfo, path = _find_dump(prog)
        types = DrgnTypes(prog) if _has_debug_info(prog) else None
        btf = _LIVE_BTF if types is None and live and os.access(_LIVE_BTF, os.R_OK) else ""
        vmlinux, force = prog.cache.get(_VMLINUX, ("", False)) if types is None else ("", False)
        try:
            target = _engine.Target(prog.read, drgn.FaultError, types, vmcoreinfo, path or "",
                                    Frame, btf, vmlinux, force)
        except Error as e:
            if types is not None or vmlinux or e.status != Status.NO_DEBUG_INFO:
                raise
            raise _error(Status.NO_DEBUG_INFO, f"{no_types}, and {e}") from None
        for warning in target.warnings:
            print(f"powner: warning: {warning}", file=sys.stderr)
        if not live:
            prog.cache[_TARGET] = target
    return target


def _has_debug_info(prog):
    """Whether drgn knows the kernel's types (from a vmlinux's DWARF)."""
    try:
        prog.type("struct page")
        return True
    except LookupError:
        return False


def _find_dump(prog):
    """(VMCOREINFO, the dump file or None) of prog. The file is the one set_dump_file() named, or
    the one drgn has open in this process whose VMCOREINFO describes prog; VMCOREINFO comes from
    that file, else from drgn (0.0.24+), else, on a live kernel, from vmcoreinfo_data."""
    path = prog.cache.get(_DUMP_FILE)
    if path is not None:
        return _engine.vmcoreinfo(path), path
    for path, text in _open_dumps():
        if _belongs_to(prog, text):
            return text, path
    try:
        return prog["VMCOREINFO"].to_bytes_().rstrip(b"\0").decode(errors="replace"), None
    except (KeyError, LookupError):
        pass
    if prog.flags & drgn.ProgramFlags.IS_LIVE:
        # Never for a dump: the page may be missing from it, and asking for a missing page
        # is what the page map exists to avoid.
        try:
            data = prog["vmcoreinfo_data"].value_()
            size = prog["vmcoreinfo_size"].value_()
            if data and 0 < size <= 1 << 16:
                return prog.read(data, size).decode(errors="replace"), None
        except (KeyError, LookupError, drgn.FaultError):
            pass
    raise _error(Status.NOT_A_DUMP,
                 "cannot find the dump's VMCOREINFO: name the dump file with "
                 "powner.drgn.set_dump_file(prog, path)")


def _open_dumps():
    """(path, VMCOREINFO) of each dump file this process has open (drgn keeps its core open)."""
    fd_dir = "/proc/self/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return
    seen = set()
    for fd in fds:
        try:
            path = os.readlink(os.path.join(fd_dir, fd))
            if path in seen or not path.startswith("/") or not os.path.isfile(path):
                continue
            seen.add(path)
            text = _engine.vmcoreinfo(path)
        except (OSError, Error):
            continue
        if text:
            yield path, text


def _belongs_to(prog, text):
    """Whether a VMCOREINFO describes prog's kernel, boot and all: its symbols where drgn has
    them, and the mem_section pointer of that boot."""
    info = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    checked = 0
    for name in ("swapper_pg_dir", "_stext", "init_uts_ns"):
        value = info.get(f"SYMBOL({name})")
        if value is None:
            continue
        try:
            if prog.symbol(name).address != int(value, 16):
                return False
        except (LookupError, ValueError):
            continue
        checked += 1
    value = info.get("SYMBOL(mem_section)")
    if value is not None:
        try:
            mem_section = prog["mem_section"]
            if mem_section.type_.unqualified().kind == drgn.TypeKind.POINTER:
                actual = mem_section.value_()
            else:
                actual = mem_section.address_
            if actual != int(value, 16):
                return False
        except (KeyError, LookupError, ValueError, drgn.FaultError):
            pass
    return checked > 0
