#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The drgn plugin answers the engine's type questions as the DWARF reader does.

Every question the engine asks while it prints the page_owner file and the stack views, and
while it hands out records and single pages, is put to both: the plugin's DrgnTypes (through
drgn) and core/readers/dwarf_types.cc (through tests/drgn/types_oracle). The answers must be
the same, but for the listed differences that the engine does not depend on.

usage: test_types.py TYPES_ORACLE FIXTURE_DIR DUMP"""
import io
import os
import subprocess
import sys
import warnings

import drgn
from drgn.helpers.linux.mm import pfn_to_page

import powner.drgn as plugin
from powner import _engine
from powner.drgn._types import DrgnTypes

from fixture import load_vmlinux, read_vmcoreinfo

# Symbols the linker defines (the kallsyms tables): the DWARF reader takes their type from a
# declaration without bounds and the symbol's size; drgn has no variable for a declaration, so
# the plugin knows only the symbol. The engine asks only for their addresses.
ADDRESS_ONLY = {"kallsyms_markers", "kallsyms_num_syms", "kallsyms_names", "kallsyms_token_table",
                "kallsyms_token_index", "kallsyms_offsets", "kallsyms_relative_base",
                "kallsyms_addresses"}


# Questions the engine asks other kernels, or asks only when VMCOREINFO lacks an answer, and a
# few shapes of question it may ask: put to both as well.
EXTRA = [
    *(("variable", name, "") for name in sorted(ADDRESS_ONLY)),
    ("variable", "stack_slabs", "lib/stackdepot.c"),
    ("variable", "depot_index", "lib/stackdepot.c"),
    ("variable", "page_owner_pages_threshold", "mm/page_owner.c"),
    ("variable", "stack_list", "mm/page_owner.c"),
    ("variable", "stack_list", ""),  # a static: not a global
    ("variable", "hstates", ""),
    ("variable", "section_to_node_table", ""),
    ("variable", "init_uts_ns", ""),
    ("variable", "no_such_variable", ""),
    ("member", "union handle_parts", "slabindex"),
    ("member", "union handle_parts", "extra"),
    ("member", "struct module", "core_layout.base"),
    ("member", "struct mem_cgroup", "css.cgroup"),
    ("member", "struct page", "page_type"),
    ("member", "struct page", "no_such_member"),
    ("member", "struct no_such_struct", "x"),
    ("enumerator", "MEMCG_DATA_OBJCGS"),
    ("enumerator", "NR_PAGEBLOCK_BITS"),
    ("enumerator", "PG_buddy"),
    ("enumerator", "no_such_enumerator"),
    ("size", "unsigned long"),
    ("size", "long"),
    ("size", "struct page *"),
    ("size", "memdesc_flags_t"),
    ("size", "struct no_such_struct"),
]


class Recorder(DrgnTypes):
    """DrgnTypes, remembering every question and its answer."""

    def __init__(self, prog):
        super().__init__(prog)
        self.asked = {}

    def size_of(self, name):
        return self._note(("size", name), super().size_of(name))

    def member(self, type_name, path):
        return self._note(("member", type_name, path), super().member(type_name, path))

    def enumerator(self, name):
        return self._note(("enumerator", name), super().enumerator(name))

    def variable(self, name, file=""):
        return self._note(("variable", name, file), super().variable(name, file))

    def _note(self, question, answer):
        self.asked[question] = answer
        return answer


def as_text(answer):
    if answer is None:
        return "none"
    if isinstance(answer, int):
        return str(answer)
    return " ".join(str(int(x)) for x in answer)


def main(argv):
    oracle, fixture, dump = argv[1:4]
    vmcore = os.path.join(fixture, dump)
    vmlinux = os.path.join(fixture, "vmlinux")
    prog = drgn.Program()
    prog.set_core_dump(vmcore)
    load_vmlinux(prog, vmlinux)
    vmcoreinfo = read_vmcoreinfo(vmcore)
    types = Recorder(prog)
    target = _engine.Target(prog.read, drgn.FaultError, types, vmcoreinfo, vmcore,
                            plugin.Frame)
    prog.cache["powner.target"] = target  # the API below runs on this target
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plugin.page_owner(prog, file=io.BytesIO())
        for view in ("stacks", "handles", "stacks_handles"):
            try:
                plugin.page_owner_stacks(prog, view=view, file=io.BytesIO())
            except plugin.Error as e:
                if e.status != plugin.Status.USAGE:  # a kernel without the view
                    raise
        first = next(plugin.records(prog))
    plugin.page_owner_of(pfn_to_page(prog, first.pfn))
    for kind, *args in EXTRA:
        getattr(types, {"size": "size_of"}.get(kind, kind))(*args)

    questions = sorted(types.asked)
    kaslr = dict(line.split("=", 1) for line in vmcoreinfo.splitlines()
                 if "=" in line).get("KERNELOFFSET", "0")
    run = subprocess.run([oracle, vmlinux, kaslr], capture_output=True, text=True, check=True,
                         input="".join("\t".join(q) + "\n" for q in questions))
    answers = run.stdout.splitlines()
    failed = 0
    for question, dwarf in zip(questions, answers):
        ours = as_text(types.asked[question])
        if question[0] == "variable" and question[1] in ADDRESS_ONLY:
            ours, dwarf = ours.split()[0], dwarf.split()[0]
        if ours != dwarf:
            failed += 1
            print(f"FAIL {' '.join(question)}: drgn {ours}, DWARF {dwarf}")
    print(f"{len(questions)} questions, {len(questions) - failed} answered alike, {failed} not")
    return 1 if failed or len(answers) != len(questions) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
