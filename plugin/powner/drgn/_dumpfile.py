"""What the engine needs from the files themselves: the VMCOREINFO note of a dump (drgn before
0.0.24 reads it but does not hand it out), and a vmlinux's GNU build ID and whether it has DWARF
(for the command line's checks, made before drgn is asked to load anything)."""

import collections
import struct

# makedumpfile's kdump-compressed format (diskdump_mod.h): struct disk_dump_header, then at
# block_size the struct kdump_sub_header.
_KDUMP_SIGNATURE = b"KDUMP   "
_KDUMP_VERSION = 8  # disk_dump_header.header_version
_KDUMP_BLOCK_SIZE = 428  # disk_dump_header.block_size
_SUB_VMCOREINFO = 32  # kdump_sub_header.offset_vmcoreinfo, then size_vmcoreinfo

_ET_CORE = 4
_PT_NOTE = 4
_SHT_NOTE = 7
_SHT_NOBITS = 8
_NT_GNU_BUILD_ID = 3
_MAX_TABLE = 1 << 24  # bytes of one note segment, section or string table we read

_Elf = collections.namedtuple(
    "_Elf", "bits endian type phoff phentsize phnum shoff shentsize shnum shstrndx")


class FormatError(Exception):
    """The file is not what it was expected to be."""


def _read(f, offset, size):
    f.seek(offset)
    data = f.read(size)
    if len(data) != size:
        raise FormatError("truncated file")
    return data


def _elf_header(f):
    """The ELF header's fields, or None if f is not ELF."""
    ident = _read(f, 0, 16)
    if ident[:4] != b"\x7fELF":
        return None
    bits = {1: 32, 2: 64}.get(ident[4])
    endian = {1: "<", 2: ">"}.get(ident[5])
    if bits is None or endian is None:
        raise FormatError("unknown ELF class or byte order")
    layout = "HHIQQQIHHHHHH" if bits == 64 else "HHIIIIIHHHHHH"
    (e_type, _, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
     shstrndx) = struct.unpack(endian + layout, _read(f, 16, struct.calcsize(layout)))
    return _Elf(bits, endian, e_type, phoff, phentsize, phnum, shoff, shentsize, shnum, shstrndx)


def _notes(data, endian):
    """(name, type, desc) of each note in a note segment or section."""
    pos = 0
    while pos + 12 <= len(data):
        namesz, descsz, type_ = struct.unpack_from(endian + "III", data, pos)
        name_at = pos + 12
        desc_at = name_at + (namesz + 3) // 4 * 4
        if desc_at + descsz > len(data):
            return
        yield data[name_at:name_at + namesz].rstrip(b"\0"), type_, data[desc_at:desc_at + descsz]
        pos = desc_at + (descsz + 3) // 4 * 4


def _note_segments(f, elf):
    layout = "IIQQQQ" if elf.bits == 64 else "IIIII"
    for i in range(elf.phnum):
        entry = _read(f, elf.phoff + i * elf.phentsize, struct.calcsize(layout))
        if elf.bits == 64:
            kind, _, offset, _, _, filesz = struct.unpack(elf.endian + layout, entry)
        else:
            kind, offset, _, _, filesz = struct.unpack(elf.endian + layout, entry)
        if kind == _PT_NOTE and filesz <= _MAX_TABLE:
            yield _read(f, offset, filesz)


def read_vmcoreinfo(path):
    """The VMCOREINFO text of a kdump-compressed or ELF dump; None if it has none.
    Raises OSError if the file cannot be read, FormatError if it is neither format."""
    with open(path, "rb") as f:
        if f.read(8) == _KDUMP_SIGNATURE:
            version, = struct.unpack("<i", _read(f, _KDUMP_VERSION, 4))
            block_size, = struct.unpack("<i", _read(f, _KDUMP_BLOCK_SIZE, 4))
            if version < 3 or not 0 < block_size <= 1 << 20:
                return None  # the sub-header has no VMCOREINFO before version 3
            offset, size = struct.unpack("<QQ", _read(f, block_size + _SUB_VMCOREINFO, 16))
            if not offset or not 0 < size <= _MAX_TABLE:
                return None
            return _read(f, offset, size).decode(errors="replace")
        elf = _elf_header(f)
        if elf is None or elf.type != _ET_CORE:
            raise FormatError("neither kdump-compressed nor an ELF core file")
        for segment in _note_segments(f, elf):
            for name, type_, desc in _notes(segment, elf.endian):
                if name == b"VMCOREINFO" and type_ == 0:
                    return desc.decode(errors="replace")
    return None


def vmlinux_facts(path):
    """(GNU build ID as lowercase hex or "", whether it has DWARF) of a vmlinux.
    Raises OSError if the file cannot be read, FormatError if it is not an ELF file."""
    with open(path, "rb") as f:
        elf = _elf_header(f)
        if elf is None:
            raise FormatError("not an ELF file")
        layout = "IIQQQQ" if elf.bits == 64 else "IIIIII"
        sections = [struct.unpack(elf.endian + layout,
                                  _read(f, elf.shoff + i * elf.shentsize, struct.calcsize(layout)))
                    for i in range(elf.shnum)]
        if not sections or elf.shstrndx >= len(sections):
            raise FormatError("truncated or corrupt ELF file (no section headers)")
        _, _, _, _, offset, size = sections[elf.shstrndx]
        names = _read(f, offset, size) if size <= _MAX_TABLE else b""
        build_id, dwarf = "", False
        for name_at, kind, _, _, offset, size in sections:
            name = names[name_at:names.find(b"\0", name_at)]
            if name in (b".debug_info", b".zdebug_info") and kind != _SHT_NOBITS and size:
                dwarf = True
            if kind == _SHT_NOTE and size <= _MAX_TABLE and not build_id:
                for note, type_, desc in _notes(_read(f, offset, size), elf.endian):
                    if note == b"GNU" and type_ == _NT_GNU_BUILD_ID:
                        build_id = desc.hex()
        return build_id, dwarf
