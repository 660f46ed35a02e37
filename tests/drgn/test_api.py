#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The drgn plugin's API (powner.drgn) against the live captures of a fixture dump:

- page_owner() takes mode and nid as values, each what follows "mode=" or "nid=" in a write to
  the page_owner file: a mode with a space in it is an unknown mode, "0, 1" is a node list, and
  empty values are rejected as the kernel rejects "mode=" and "nid=".
- page_owner(threads=N) prints the same; a program without debug info (its dump named with
  set_dump_file()) gets the kernel's BTF for types and prints the same, or, when the dump's
  VMCOREINFO does not say where the kallsyms tables are (before Linux 6.0), page_owner(),
  records() and page_owner_of() raise Error(Status.NO_DEBUG_INFO) saying -s is needed.
- records come from the engine as named fields, the PageOwner's.
- every record of records() is, as str(), its text in the page_owner capture (mode=stack), and
  its fields are what that text says: the gfp mask's %pGg, both migrate types, the page flags
  and their %pGp, the memcg its "Charged ... memcg NAME" line names (or none, with a reason);
  its node is the node of the per-node capture holding it. Together the texts are what
  page_owner() prints. Its repr shows PFN, masks, handles and addresses in hex.
- the engine's page_owner(borrowed=True), the powner command's: each chunk is a view of the
  engine's own buffer, whose bytes are page_owner()'s, and a writer that keeps one past its call
  gets an error on using it, not freed memory; without borrowed (the API's page_owner()), bytes.
- stacks() gives the stacks of the show_stacks and show_handles captures as objects (frames,
  count, handle), by default with the dump's count_threshold; page_owner_stacks() prints each
  view's capture. A kernel without page_owner_stacks (6.1) refuses both.

usage: test_api.py FIXTURE_DIR DUMP"""
import dataclasses
import io
import re
import sys
import warnings

import powner.drgn as plugin
from fixture import NO_KALLSYMS, SKIP, Failures, Fixture, check_parity


def printed_by(call):
    """(bytes, what was skipped) of a powner.drgn function printing to file=."""
    out = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(out)
    skipped = " ".join(str(w.message) for w in caught
                       if issubclass(w.category, plugin.SkippedPagesWarning))
    return out.getvalue(), skipped


def usage_error(call):
    """The message of the Error(Status.USAGE) call raises, or None."""
    try:
        call()
    except plugin.Error as e:
        return str(e) if e.status == plugin.Status.USAGE else None
    return None


def check_filter_values(prog, fx, fail):
    discard = io.BytesIO()
    for kwargs, words in [
        ({"mode": "handle nid=1"}, "unknown print mode 'handle nid=1'"),
        ({"mode": ""}, "unknown print mode ''"),
        ({"nid": ""}, "the node list is empty"),
        ({"mode": "handle", "nid": "1 mode=stack"}, "not a node list"),
    ]:
        said = usage_error(lambda kw=kwargs: plugin.page_owner(prog, file=discard, **kw))
        fail.check(said and words in said and "EINVAL" in said,
                   f"page_owner({kwargs}) must be refused with {words!r}: {said}")
        said = usage_error(lambda kw=kwargs: plugin.records(prog, nid=kw["nid"])) if "nid" in kwargs \
            else words
        fail.check(said and words in said, f"records(nid={kwargs.get('nid')!r}): {said}")
    for kwargs, capture in [
        ({"mode": "handle", "nid": "0, 1"}, "page_owner.mode-handle.nid-0,1.txt"),
        ({"mode": "stack_handle", "nid": [1]}, "page_owner.mode-stack_handle.nid-1.txt"),
        ({"nid": 0}, "page_owner.mode-stack.nid-0.txt"),
    ]:
        got, skipped = printed_by(lambda out, kw=kwargs: plugin.page_owner(prog, file=out, **kw))
        differs = fx.differs(capture, got, skipped)
        fail.check(not differs, f"page_owner({kwargs}) is not {capture}: {differs}")
    print("page_owner(): mode and nid as values")


HEADER = re.compile(r"Page allocated via order \d+, mask 0x[0-9a-f]+\((.*)\)(?:, pid |$)")  # 5.10: no pid
PFN_LINE = re.compile(r"PFN (0x[0-9a-f]+|\d+) type (\S+) Block \d+ type (\S+) Flags "
                      r"((0x[0-9a-f]+)\(.*\))$")
CHARGED = re.compile(r"Charged (?:\(via objcg\) )?to (offline )?memcg (.*)$")


def check_borrowed_chunks(prog, fail):
    kept, copied = [], []
    target = plugin._target(prog)
    target.page_owner("stack", None, None, kept.append, borrowed=True)
    target.page_owner("stack", None, None, copied.append)
    fail.check(kept and all(isinstance(c, memoryview) for c in kept),
               f"borrowed chunks are {sorted({type(c).__name__ for c in kept})}, not views")
    fail.check(copied and all(isinstance(c, bytes) for c in copied),
               f"chunks are {sorted({type(c).__name__ for c in copied})}, not bytes")
    try:
        bytes(kept[0])
        fail.check(False, "a borrowed chunk kept past its call can still be read")
    except ValueError:
        pass
    views = []
    target.page_owner("stack", None, None, lambda c: views.append(bytes(c)), borrowed=True)
    fail.check(b"".join(views) == b"".join(copied),
               "the borrowed chunks' bytes are not page_owner()'s")
    print("page_owner(borrowed=True): views valid for the call, the same bytes")


def capture_blocks(fx, name):
    """pfn -> the text of its record in a capture."""
    blocks = {}
    for block in fx.capture(name).decode(errors="backslashreplace").split("\n\n"):
        lines = block.split("\n")
        if len(lines) > 1:
            blocks[int(PFN_LINE.match(lines[1]).group(1), 0)] = block + "\n\n"
    return blocks


def no_debug_info_error(call):
    """The message of the Error(Status.NO_DEBUG_INFO) call raises, or what it did instead."""
    try:
        return f"returned {call()!r}"
    except plugin.Error as e:
        return str(e) if e.status == plugin.Status.NO_DEBUG_INFO else f"{e.status}: {e}"


def check_threads_and_btf(prog, fx, fail):
    capture = "page_owner.mode-handle.nid-1.txt"
    bare = fx.program(vmlinux=False)
    plugin.set_dump_file(bare, fx.vmcore)
    btf = fx.lists_kallsyms()
    runs = [("threads=1", prog, {"threads": 1}), ("threads=3", prog, {"threads": 3})]
    if btf:
        runs.append(("without debug info", bare, {}))
    for label, p, kwargs in runs:
        got, skipped = printed_by(
            lambda out, p=p, kw=kwargs: plugin.page_owner(p, mode="handle", nid=1, file=out,
                                                         **kw))
        differs = fx.differs(capture, got, skipped)
        fail.check(not differs, f"page_owner() {label} is not {capture}: {differs}")
    if btf:
        first = next(plugin.records(bare))
        fail.check(first == next(plugin.records(prog)), f"records() without debug info: {first}")
        print("page_owner() with threads, and without debug info (the kernel's BTF)")
        return
    want = f"drgn has no debug info for this kernel, and {NO_KALLSYMS}"
    for label, call in [
        ("page_owner()", lambda: plugin.page_owner(bare, mode="handle", nid=1, file=io.BytesIO())),
        ("records()", lambda: next(plugin.records(bare))),
        ("page_owner_of()", lambda: plugin.page_owner_of(bare, 0)),
    ]:
        said = no_debug_info_error(call)
        fail.check(said == want, f"{label} without debug info, VMCOREINFO listing no kallsyms: "
                                 f"{said!r}, not Error(NO_DEBUG_INFO) {want!r}")
    print(f"page_owner() with threads; without debug info refused: {want}")


def check_named_fields(prog, fail):
    batches = plugin._target(prog).records(None)
    first = next(batch for batch in iter(batches.next_batch, None) if batch)[0]
    names = {f.name for f in dataclasses.fields(plugin.PageOwner)} - {"_target"}
    got = set(first) if isinstance(first, dict) else type(first).__name__
    fail.check(got == names, f"a record from the engine has fields {got}, not {names}")
    print("records come from the engine as named fields")


def check_record_fields(fx, r, text, nodes, fail, memcg_missing=False):
    """r's fields against its text in the capture; memcg_missing: the dump lacks its memcg (the
    record's text has a placeholder there), so the fields say None with the reason."""
    lines = text.split("\n")
    gfp = HEADER.match(lines[0]).group(1)
    _, migratetype, pageblock, flags_text, flags = PFN_LINE.match(lines[1]).groups()
    flags = int(flags, 16)
    if r.pfn in fx.changed:  # flags as in the dump, which the capture predates
        flags = fx.changed[r.pfn]
        flags_text = r.page_flags_text
    charged = None if memcg_missing else next(filter(None, map(CHARGED.match, lines)), None)
    want = (r.nid in nodes.get(r.pfn, ()), gfp, migratetype, pageblock, flags, flags_text,
            charged and charged.group(2), charged and not charged.group(1),
            (r.memcg_none_reason is None) == bool(charged),
            ("Slab cache page" in lines) == ("slab" in (r.memcg_none_reason or "")))
    got = (True, r.gfp_mask_text, r.migratetype, r.pageblock_migratetype, r.page_flags,
           r.page_flags_text, r.memcg, r.memcg_online, True, True)
    return fail.check(got == want, f"PFN {r.pfn:#x}: fields {got} where the text says {want}")


def check_records(prog, fx, fail):
    """Every record's str() and fields against the page_owner capture (mode=stack)."""
    want = capture_blocks(fx, "page_owner.txt")
    nodes = {}
    for nid in (0, 1, 2):
        name = f"page_owner.mode-stack.nid-{nid}.txt"
        if fx.has_capture(name):
            for pfn in capture_blocks(fx, name):
                nodes.setdefault(pfn, set()).add(nid)
    texts, no_text, checked = [], 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", plugin.SkippedPagesWarning)
        for r in plugin.records(prog):
            try:
                text = str(r)
            except plugin.Error as e:
                no_text += 1
                fail.check("the dump lacks" in str(e), f"str(PFN {r.pfn:#x}): {e}")
                continue
            texts.append(text)
            if r.pfn not in want:
                fail(f"records() has PFN {r.pfn:#x}, the capture has no such record")
                continue
            block = want[r.pfn]
            if r.pfn in fx.changed:
                block = block.replace(PFN_LINE.match(block.split("\n")[1]).group(4),
                                      r.page_flags_text)
            # a detail the dump lacks is a placeholder in the text (check_parity's rule)
            kinds = set() if text == block else check_parity.placeholders_in(block, text)
            fail.check(kinds is not None,
                       f"str(PFN {r.pfn:#x}) =\n{text}is not the capture's\n{block}")
            missing = bool(kinds) and "memcg" in kinds
            if missing:
                fail.check("dump lacks" in (r.memcg_none_reason or ""),
                           f"PFN {r.pfn:#x}: a memcg placeholder, and memcg_none_reason "
                           f"{r.memcg_none_reason!r}")
            checked += check_record_fields(fx, r, block, nodes, fail, missing)
            if checked == 1:
                for value in (f"pfn={r.pfn:#x}", f"gfp_mask={r.gfp_mask:#x}",
                              f"page_flags={r.page_flags:#x}", f"handle={r.handle:#x}",
                              f"free_handle={r.free_handle:#x}",
                              f"Frame(address={r.stack[0].address:#x}, "):
                    fail.check(value in repr(r), f"repr() lacks {value}: {r!r}")
    printed, skipped = printed_by(lambda out: plugin.page_owner(prog, file=out))
    fail.check("".join(texts) == printed.decode(errors="backslashreplace"),
               "the records' texts together are not what page_owner() prints")
    print(f"records(): {checked} as str() and fields as in the capture, {no_text} without a "
          f"text (page_owner() says: {skipped or 'nothing skipped'})")


def stack_text(stack, view):
    """stack_print()'s text of a Stack in a page_owner_stacks view."""
    text = "".join(f" {symbol}\n" for _, symbol in stack.frames) if view != "handles" else ""
    if view != "stacks":
        text += f"handle: {stack.handle - (stack.handle >> 31 << 32)}\n"  # printed as an int
    return text + f"nr_base_pages: {stack.count}\n\n"


def check_stacks(prog, fx, fail):
    if not fx.has_capture("show_stacks.txt"):
        said = [usage_error(lambda: plugin.stacks(prog)),
                usage_error(lambda: plugin.page_owner_stacks(prog, file=io.BytesIO()))]
        fail.check(all(said) and all("no page_owner_stacks" in s for s in said),
                   f"a kernel without page_owner_stacks: {said}")
        print(f"stacks(), page_owner_stacks(): refused: {said[0]}")
        return
    threshold = int(fx.capture("count_threshold.txt"))
    objects, texts = [], []
    for view in ("stacks", "handles"):
        for name, kwargs in [(f"show_{view}.txt", {}),
                             (f"show_{view}.threshold-64.txt", {"threshold": 64})]:
            if not fx.has_capture(name):
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                got = plugin.stacks(prog, **kwargs)
            skipped = " ".join(str(w.message) for w in caught)
            differs = fx.differs(name, "".join(stack_text(s, view) for s in got), skipped)
            fail.check(not differs, f"stacks({kwargs}) are not {name}: {differs}")
            objects.append(name)
    fail.check(plugin.stacks(prog) == plugin.stacks(prog, threshold=threshold),
               f"stacks() does not default to the dump's count_threshold ({threshold})")
    # (a dump may lack even the list's first entry: then there is no Stack to show)
    for stack in plugin.stacks(prog)[:1]:
        fail.check(f"Stack(handle={stack.handle:#x}, count={stack.count}, frames=(Frame("
                   f"address={stack.frames[0].address:#x}, " in repr(stack), f"repr: {stack!r}")
    for view in ("stacks", "handles", "stacks_handles"):
        for name, kwargs in [(f"show_{view}.txt", {}),
                             (f"show_{view}.threshold-64.txt", {"threshold": 64})]:
            if fx.has_capture(name):
                got, skipped = printed_by(
                    lambda out, v=view, kw=kwargs: plugin.page_owner_stacks(prog, v, file=out, **kw))
                differs = fx.differs(name, got, skipped)
                fail.check(not differs, f"page_owner_stacks({view}, {kwargs}): {differs}")
                texts.append(name)
    print(f"stacks(): as {', '.join(objects)}; page_owner_stacks(): as {', '.join(texts)}")


def main(argv):
    fx = Fixture(argv[1], argv[2])
    if not fx.opens():
        return SKIP
    prog = fx.program()
    fail = Failures()
    check_filter_values(prog, fx, fail)
    check_threads_and_btf(prog, fx, fail)
    check_named_fields(prog, fail)
    check_borrowed_chunks(prog, fail)
    check_records(prog, fx, fail)
    check_stacks(prog, fx, fail)
    print(f"{'FAILED' if fail.count else 'passed'}: {fail.count} failures")
    return 1 if fail.count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
