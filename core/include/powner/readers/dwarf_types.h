// SPDX-License-Identifier: GPL-2.0-or-later
// Types from a vmlinux's DWARF (elfutils libdw): the full image or an
// `objcopy --only-keep-debug` file. The file is mapped, not read: a few preferred CUs
// (mm/page_owner.c first) are indexed on demand, and the other CUs are walked once, only
// when a name is not found there but .debug_str has it (so a version probe such as
// MEMCG_DATA_OBJCGS that this kernel lacks costs a search of one section). Globals'
// addresses come from .symtab, statics' from the DWARF of the file that defines them.
// Answers, misses included, are cached. Not thread-safe.
#pragma once

#include "powner/types.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace powner {

class DwarfTypes final : public Types {
public:
  // kaslr_offset is VMCOREINFO's KERNELOFFSET; variable() adds it to link-time addresses.
  // Type names: "struct X", "union X", "enum X", typedefs, base types ("unsigned long"),
  // and "T *" (pointer size). member() paths cannot go through pointers or arrays; for a
  // bitfield, offset is its storage unit (aligned to its type's size) and bit_offset counts
  // from that unit's least significant bit. variable(name) finds external linkage only;
  // statics need their file ("mm/page_owner.c", matched against CU names).
  // Throws Error(Unreadable) if the file cannot be opened or is not a complete ELF file,
  // Error(NoDebugInfo) if it has no (usable) .debug_info.
  DwarfTypes(const std::string& vmlinux_path, uint64_t kaslr_offset);
  ~DwarfTypes() override;
  DwarfTypes(const DwarfTypes&) = delete;
  DwarfTypes& operator=(const DwarfTypes&) = delete;

  std::optional<uint64_t> size_of(std::string_view type) override;
  std::optional<MemberInfo> member(std::string_view type, std::string_view member_path) override;
  std::optional<int64_t> enumerator(std::string_view name) override;
  std::optional<VariableInfo> variable(std::string_view name, std::string_view file = {}) override;
  std::optional<uint64_t> address_of(std::string_view name) override;

  // Lowercase hex of the NT_GNU_BUILD_ID note; empty if the file has none.
  std::string build_id() const;
  // The release ("7.3.0-rc7") from linux_banner; empty when .rodata is not in the file
  // (debug-only images).
  std::string release() const;
  // Whether a question needed the one pass over every CU (the set-up's largest cost).
  bool walked_every_unit() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace powner
