// SPDX-License-Identifier: GPL-2.0-or-later
// What the crash extension makes of the text crash's gdb prints: "ptype" of an expression (the
// kind of its type), "ptype /o" of a struct (where a bitfield lies), and the small pieces of
// text handling the type lookups share. Nothing here talks to crash.
#pragma once

#include "powner/types.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace powner::crash {

// What a C type is, from gdb's ptype of an expression of that type.
struct TypeShape {
  TypeKind kind = TypeKind::Other;
  bool pointee_sized = false; // a pointer whose target has a size (not void, not a function)
};

// Classifies gdb's "type = ..." text (typedefs already unrolled by ptype).
std::optional<TypeShape> parse_ptype(std::string_view text);

// A bitfield from "ptype /o" text: the absolute bit position in the printed type, the storage
// unit's size in bytes, and the width. Only members of the printed type itself or of its
// anonymous structs and unions count, as in C.
struct BitfieldPlace {
  uint64_t bit = 0;
  uint64_t storage = 0;
  uint32_t width = 0;
};
std::optional<BitfieldPlace> parse_ptype_offsets(std::string_view text, std::string_view member);

// s without leading and trailing blanks and newlines.
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
// The space-separated words of s.
std::vector<std::string_view> words(std::string_view s);
// A decimal number, blanks around it allowed.
std::optional<uint64_t> parse_u64(std::string_view s);

} // namespace powner::crash
