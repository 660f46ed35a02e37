// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's own type information (DWARF, BTF, or a debugger's): the few facts the engine
// asks about structs, enums and variables. Readers implement it; the engine never parses
// debug info itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace powner {

enum class TypeKind { Integer, Pointer, Array, Struct, Union, Enum, Other };

struct MemberInfo {
  uint64_t offset = 0;             // bytes from the start of the outermost type
  uint64_t size = 0;               // bytes (of the whole array, for arrays)
  uint32_t bit_offset = 0;         // bitfields: bit offset within the storage at offset
  uint32_t bit_size = 0;           // bitfields: width; 0 otherwise
  TypeKind kind = TypeKind::Other; // after typedefs and qualifiers are peeled
  uint64_t array_length = 0;       // arrays: element count (0 for flexible arrays)
  uint64_t element_size = 0;       // arrays: element size; pointers: pointee size (0 if void)
};

struct VariableInfo {
  uint64_t address = 0; // run-time address (KASLR offset applied)
  uint64_t size = 0;
  TypeKind kind = TypeKind::Other;
  uint64_t array_length = 0;
  uint64_t element_size = 0;
};

class Types {
public:
  virtual ~Types() = default;

  // sizeof a type named as in C: "struct page", "struct stack_record", "memdesc_flags_t".
  virtual std::optional<uint64_t> size_of(std::string_view type) = 0;

  // A member of a struct or union type, named as in C. member_path may be nested with
  // '.' ("css.cgroup") and finds members of anonymous structs and unions, as C does
  // ("page_type" in struct page).
  virtual std::optional<MemberInfo> member(std::string_view type, std::string_view member_path) = 0;

  // The value of an enumerator (C enumerator names are global): "__NR_PAGEFLAGS", "MR_NEVER".
  virtual std::optional<int64_t> enumerator(std::string_view name) = 0;

  // A variable by name. file names the source file that defines it ("mm/page_owner.c") for
  // statics whose names other files reuse; empty means a global.
  virtual std::optional<VariableInfo> variable(std::string_view name,
                                               std::string_view file = {}) = 0;

  // Where a global is, for a question that needs no more (a table found by address). A reader
  // with a symbol table answers from it alone, without the variable's type: the kallsyms
  // tables before Linux 6.0 (VMCOREINFO has them since) are defined in assembly, so their debug
  // info is a declaration, and looking for a definition means searching every CU.
  virtual std::optional<uint64_t> address_of(std::string_view name) {
    auto v = variable(name);
    return v ? std::optional<uint64_t>(v->address) : std::nullopt;
  }
};

// Knows nothing: for reading what needs no types (the vmlinux kallsyms) before there are any.
class NoTypes final : public Types {
public:
  std::optional<uint64_t> size_of(std::string_view) override { return std::nullopt; }
  std::optional<MemberInfo> member(std::string_view, std::string_view) override {
    return std::nullopt;
  }
  std::optional<int64_t> enumerator(std::string_view) override { return std::nullopt; }
  std::optional<VariableInfo> variable(std::string_view, std::string_view) override {
    return std::nullopt;
  }
};

} // namespace powner
