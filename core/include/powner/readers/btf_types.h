// SPDX-License-Identifier: GPL-2.0-or-later
// Types from the kernel's own BTF (libbpf): the .BTF section of the dumped kernel, found in the
// dump through kallsyms (__start_BTF..__stop_BTF), or a BTF file such as /sys/kernel/btf/vmlinux.
// Struct, union, enum and typedef answers are DWARF's (powner/readers/dwarf_types.h), in the same
// conventions. BTF describes no variables but per-CPU ones: variable() gives what kallsyms
// knows, an address and an extent (up to the next symbol), and no type.
#pragma once

#include "powner/kallsyms.h"
#include "powner/memory.h"
#include "powner/types.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct btf;

namespace powner {

class BtfTypes final : public Types {
public:
  // The BTF of the kernel in mem, located through its kallsyms. Throws powner::Error
  // (NoDebugInfo) when the kernel has none or the dump lacks it.
  static std::unique_ptr<BtfTypes> from_dump(Memory& mem, const KernelSymbols& symbols);
  // A raw BTF file (/sys/kernel/btf/vmlinux); symbols for variable() (may be null).
  static std::unique_ptr<BtfTypes> from_file(const std::string& path, const KernelSymbols* symbols);
  ~BtfTypes() override;
  BtfTypes(const BtfTypes&) = delete;
  BtfTypes& operator=(const BtfTypes&) = delete;

  std::optional<uint64_t> size_of(std::string_view type) override;
  std::optional<MemberInfo> member(std::string_view type, std::string_view member_path) override;
  std::optional<int64_t> enumerator(std::string_view name) override;
  std::optional<VariableInfo> variable(std::string_view name, std::string_view file) override;

  uint32_t type_count() const;

private:
  struct Facts;
  BtfTypes(struct btf* btf, const KernelSymbols* symbols) : btf_(btf), symbols_(symbols) {}
  int32_t find_type(std::string_view c_name) const;
  std::optional<Facts> describe(uint32_t id) const;

  struct btf* btf_;
  const KernelSymbols* symbols_;
  std::unordered_map<std::string, int64_t> enumerators_; // made on first use
  bool enumerators_read_ = false;
};

} // namespace powner
