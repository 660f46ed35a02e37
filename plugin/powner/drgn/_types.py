# SPDX-License-Identifier: GPL-2.0-or-later
"""The engine's type questions (powner/types.h) answered through drgn.

The answers mean what the DWARF reader's (core/readers/dwarf_types.cc) mean: sizes and offsets in
bytes, bitfields as (storage unit offset, bit offset within it, width), kinds after typedefs and
qualifiers, and variables without a file name only when they are globals of the symbol table.
"""

import drgn

from .._engine import TypeKind

_KINDS = {
    drgn.TypeKind.INT: TypeKind.INTEGER,
    drgn.TypeKind.BOOL: TypeKind.INTEGER,
    drgn.TypeKind.POINTER: TypeKind.POINTER,
    drgn.TypeKind.ARRAY: TypeKind.ARRAY,
    drgn.TypeKind.STRUCT: TypeKind.STRUCT,
    drgn.TypeKind.CLASS: TypeKind.STRUCT,
    drgn.TypeKind.UNION: TypeKind.UNION,
    drgn.TypeKind.ENUM: TypeKind.ENUM,
}
_AGGREGATES = (drgn.TypeKind.STRUCT, drgn.TypeKind.UNION, drgn.TypeKind.CLASS)
_GLOBAL_BINDINGS = (drgn.SymbolBinding.GLOBAL, drgn.SymbolBinding.WEAK, drgn.SymbolBinding.UNIQUE)


def _peel(type_):
    """The type under its typedefs and qualifiers."""
    type_ = type_.unqualified()
    while type_.kind == drgn.TypeKind.TYPEDEF:
        type_ = type_.type.unqualified()
    return type_


def _size(type_):
    """sizeof, or 0 for what has none (void, functions, incomplete types)."""
    try:
        return drgn.sizeof(type_)
    except TypeError:
        return 0


def _facts(type_):
    """(kind, size, array_length, element_size) of a type, as powner/types.h defines them."""
    peeled = _peel(type_)
    kind = _KINDS.get(peeled.kind, TypeKind.OTHER)
    if peeled.kind == drgn.TypeKind.ARRAY:
        element = _size(peeled.type)
        length = peeled.length or 0
        return kind, length * element, length, element
    if peeled.kind == drgn.TypeKind.POINTER:
        return kind, _size(peeled), 0, _size(peeled.type)
    return kind, _size(peeled), 0, 0


class DrgnTypes:
    """Answers the engine's Types questions for one drgn Program; each answer is looked up once."""

    def __init__(self, prog):
        self._prog = prog
        self._cache = {}
        try:
            prog.symbol("_stext")
            self._symtab = True
        except LookupError:
            self._symtab = False

    def _cached(self, key, compute):
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = compute()
            return value

    def _type(self, name):
        try:
            return self._prog.type(name)
        except (LookupError, SyntaxError, ValueError):
            return None

    def size_of(self, name):
        def compute():
            type_ = self._type(name)
            return (_size(type_) or None) if type_ is not None else None

        return self._cached(("size", name), compute)

    def member(self, type_name, path):
        return self._cached(("member", type_name, path), lambda: self._member(type_name, path))

    def _member(self, type_name, path):
        type_ = self._type(type_name)
        if type_ is None:
            return None
        parts = path.split(".")
        bit = 0
        for i, part in enumerate(parts):
            type_ = _peel(type_)
            if type_.kind not in _AGGREGATES or not part:
                return None
            try:
                # Type.member() also finds members of anonymous structs and unions, with
                # bit_offset counted from the start of this type.
                member = type_.member(part)
            except LookupError:
                return None
            bit += member.bit_offset
            if member.bit_field_size:
                if i != len(parts) - 1:
                    return None
                storage = _size(member.type)
                if not storage:
                    return None
                unit_bits = storage * 8
                unit_start = bit // unit_bits * unit_bits
                if bit - unit_start + member.bit_field_size > unit_bits:
                    unit_start = bit // 8 * 8
                kind = _KINDS.get(_peel(member.type).kind, TypeKind.OTHER)
                return (unit_start // 8, storage, bit - unit_start, member.bit_field_size, kind,
                        0, 0)
            type_ = member.type
        kind, size, length, element = _facts(type_)
        return (bit // 8, size, 0, 0, kind, length, element)

    def enumerator(self, name):
        def compute():
            try:
                return self._prog.constant(name).value_()
            except LookupError:
                return None

        return self._cached(("enumerator", name), compute)

    def variable(self, name, file=""):
        return self._cached(("variable", name, file), lambda: self._variable(name, file))

    def _variable(self, name, file):
        if file:
            # A static of that file, or a global it defines.
            obj = self._object(name, file)
            if obj is None or obj.address_ is None:
                return None
            return (obj.address_, *self._object_facts(obj, 0))
        if not self._symtab:
            # Without a symbol table only the debug info's definitions say where.
            obj = self._object(name, None)
            if obj is None or obj.address_ is None:
                return None
            return (obj.address_, *self._object_facts(obj, 0))
        try:
            symbol = self._prog.symbol(name)  # global > weak > local, as drgn prefers them
        except LookupError:
            return None
        if symbol.binding not in _GLOBAL_BINDINGS:
            return None
        obj = self._object(name, None)
        if obj is None or obj.address_ != symbol.address:
            # Only declared in the debug info (tables the linker made, such as
            # kallsyms_markers), or the debug info's hit is a static of the same name.
            return (symbol.address, symbol.size, TypeKind.OTHER, 0, 0)
        return (symbol.address, *self._object_facts(obj, symbol.size))

    def _object(self, name, file):
        try:
            return self._prog.variable(name, file)
        except LookupError:
            return None

    @staticmethod
    def _object_facts(obj, symbol_size):
        """(size, kind, array_length, element_size) of a variable; the symbol's size fills in
        an array whose length the debug info leaves out."""
        kind, size, length, element = _facts(obj.type_)
        if kind == TypeKind.ARRAY and length == 0 and element and symbol_size:
            length = symbol_size // element
            size = length * element
        if not size:
            size = symbol_size
        return size, kind, length, element
