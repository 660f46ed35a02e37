# SPDX-License-Identifier: GPL-2.0-or-later
"""A kdump ELF core (makedumpfile -E) as the damaged-dump tests need it: its PT_LOAD segments,
its VMCOREINFO, and x86_64 virtual-to-physical translation through the dumped kernel's own
page tables, so that a kernel address can be turned into a file offset to damage.
Standard library only."""
import struct

PAGE = 4096
START_KERNEL_MAP = 0xffffffff80000000
PTE_ADDR = 0x000ffffffffff000
PRESENT, HUGE = 0x1, 0x80


class ElfCore:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            ehdr = f.read(64)
            if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or ehdr[5] != 1:
                raise ValueError(f"{path}: not a little-endian ELF64 file")
            phoff, = struct.unpack_from("<Q", ehdr, 32)
            phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            self.loads = []  # (offset, vaddr, paddr, filesz, memsz)
            notes = []
            for i in range(phnum):
                p_type, _flags, off, vaddr, paddr, filesz, memsz, _align = struct.unpack_from(
                    "<IIQQQQQQ", table, i * phentsize)
                if p_type == 1:
                    self.loads.append((off, vaddr, paddr, filesz, memsz))
                elif p_type == 4:
                    f.seek(off)
                    notes.append(f.read(filesz))
        self.vmcoreinfo_text = ""
        for blob in notes:
            pos = 0
            while pos + 12 <= len(blob):
                namesz, descsz, _ntype = struct.unpack_from("<III", blob, pos)
                name = blob[pos + 12:pos + 12 + namesz].rstrip(b"\0")
                desc_at = pos + 12 + (namesz + 3) // 4 * 4
                desc = blob[desc_at:desc_at + descsz]
                if name == b"VMCOREINFO":
                    self.vmcoreinfo_text = desc.decode(errors="replace")
                pos = desc_at + (descsz + 3) // 4 * 4
        self.vmcoreinfo = dict(line.split("=", 1) for line in self.vmcoreinfo_text.splitlines()
                               if "=" in line)

    def symbol(self, name):
        return int(self.vmcoreinfo[f"SYMBOL({name})"], 16)

    def number(self, name):
        return int(self.vmcoreinfo[f"NUMBER({name})"], 10)

    def phys_to_offset(self, paddr):
        """File offset of a physical address the file holds, else None."""
        for off, _vaddr, start, filesz, _memsz in self.loads:
            if start <= paddr < start + filesz:
                return off + paddr - start
        return None

    def read_phys(self, paddr, size):
        off = self.phys_to_offset(paddr)
        if off is None or self.phys_to_offset(paddr + size - 1) != off + size - 1:
            raise KeyError(f"physical {paddr:#x}+{size} is not in {self.path}")
        with open(self.path, "rb") as f:
            f.seek(off)
            return f.read(size)

    def virt_to_phys(self, vaddr):
        """Walks the kernel's 4-level page tables (init_top_pgt)."""
        pgd = self.symbol("init_top_pgt") - START_KERNEL_MAP + self.number("phys_base")
        table = pgd
        for level, shift in enumerate((39, 30, 21, 12)):
            entry, = struct.unpack("<Q", self.read_phys(table + ((vaddr >> shift) & 511) * 8, 8))
            if not entry & PRESENT:
                raise KeyError(f"{vaddr:#x} is not mapped")
            if level in (1, 2) and entry & HUGE or level == 3:
                base = entry & PTE_ADDR & ~((1 << shift) - 1)
                return base + (vaddr & ((1 << shift) - 1))
            table = entry & PTE_ADDR
        raise AssertionError("unreachable")

    def virt_to_offset(self, vaddr):
        """File offset of a kernel virtual address; None if the file lacks it."""
        try:
            return self.phys_to_offset(self.virt_to_phys(vaddr))
        except KeyError:
            return None

    def page_table_pages(self, vaddr):
        """The physical pages the translation of vaddr reads."""
        pages = []
        table = self.symbol("init_top_pgt") - START_KERNEL_MAP + self.number("phys_base")
        for level, shift in enumerate((39, 30, 21, 12)):
            pages.append(table & ~(PAGE - 1))
            entry, = struct.unpack("<Q", self.read_phys(table + ((vaddr >> shift) & 511) * 8, 8))
            if not entry & PRESENT or level in (1, 2) and entry & HUGE or level == 3:
                break
            table = entry & PTE_ADDR
        return pages
