// SPDX-License-Identifier: GPL-2.0-or-later
// What the crash extension makes of the text crash's gdb prints: "ptype" of an expression (the
// kind of its type), "ptype /o" of a struct (where each member lies), and the small pieces of
// text handling the type lookups share. Nothing here talks to crash.
#pragma once

#include "powner/types.h"

#include <cstdint>
#include <optional>
#include <string>
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

// A C type as gdb writes it without a declared name ("struct list_head *", "unsigned long [64]",
// "void (*)(struct page *)"): the typedef name it consists of ("gfp_t", "const pid_t"), or
// nothing when it is not a bare typedef name (a keyword type, a tag, or a declarator around it).
std::optional<std::string_view> typedef_name(std::string_view type);

// One member of a "ptype /o" layout, named as C reaches it from the printed type: members of
// anonymous structs and unions by their own names, those of named members as "outer.inner".
struct LayoutMember {
  std::string path;
  std::string type;    // its C type without the name, as typedef_name takes it
  uint64_t offset = 0; // bytes from the start of the printed type
  uint64_t size = 0;
  uint64_t bit = 0;    // bitfields: the first bit, counted from the start of the printed type
  uint32_t width = 0;  // bitfields: the width; 0 otherwise
  uint64_t holder = 0; // bitfields: offset of the named struct or union holding it (C's unit)
};

// "ptype /o" of a struct or union: its size and every member C reaches without a pointer.
struct Layout {
  uint64_t size = 0;
  std::vector<LayoutMember> members;
  const LayoutMember* find(std::string_view path) const;
};
std::optional<Layout> parse_layout(std::string_view text);

// The value of enumerator name from gdb's ptype of it: "type = enum pagetype {PGTY_buddy = 240,
// PGTY_offline, ...}" (gdb writes a value only where it does not follow from the one before).
std::optional<int64_t> parse_enumerator(std::string_view text, std::string_view name);

// s without leading and trailing blanks and newlines.
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
// The space-separated words of s.
std::vector<std::string_view> words(std::string_view s);
// A decimal number, blanks around it allowed.
std::optional<uint64_t> parse_u64(std::string_view s);

} // namespace powner::crash
