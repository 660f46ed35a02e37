// SPDX-License-Identifier: GPL-2.0-or-later
// %pS as the dumped kernel prints it: "name+0xoff/0xsize [module]", or "0x<hex>" when the
// kernel would find no symbol. Symbols come from the kallsyms tables inside the dump (never from
// the vmlinux ELF symbol table), from loaded modules' kallsyms, from BPF JIT images and from
// ftrace's copies of freed module init symbols, exactly as kallsyms_lookup_buildid() does.
//
// Everything is read once at construction; lookups are const and touch no Memory, so one
// instance may be shared by threads.
#pragma once

#include "powner/memory.h"
#include "powner/types.h"
#include "powner/vmcoreinfo.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace powner {

class KernelSymbols {
public:
  // How kallsyms_offsets encodes addresses.
  enum class Encoding {
    None,         // no usable table
    PcRelative,   // 7.2+: &kallsyms_offsets[i] + (s32)kallsyms_offsets[i]
    BaseRelative, // 6.1/6.12: kallsyms_relative_base (+ absolute per-cpu)
    Absolute,     // kallsyms_addresses[] (!KALLSYMS_BASE_RELATIVE)
  };

  // The result of a lookup, as kallsyms_lookup_buildid() returns it.
  struct Symbol {
    std::string_view name;
    uint64_t offset = 0;
    uint64_t size = 0;
    std::string_view module; // the module's name when in_module
    bool in_module = false;  // printed as " [module]"
  };

  // Never throws for damaged or missing tables: what cannot be read is reported by warnings()
  // and its addresses print as "0x<hex>". Types may know nothing about modules (then only
  // vmlinux symbols resolve).
  KernelSymbols(Memory& memory, const VmcoreInfo& vmcoreinfo, Types& types);

  // The text of "%pS" for addr.
  std::string format_ps(uint64_t addr) const;
  // The same, appended to out. False when the answer depends on symbol data the dump lacks
  // (damaged tables, a module whose symbols are not all there): the text may then differ from
  // what the kernel printed.
  bool append_ps(std::string& out, uint64_t addr) const;
  // The symbol %pS would print for addr, if any.
  std::optional<Symbol> lookup(uint64_t addr) const;
  // The same; known is false when the answer depends on symbol data the dump lacks.
  std::optional<Symbol> lookup(uint64_t addr, bool& known) const;

  // kallsyms_lookup_name(): the lowest address of a vmlinux symbol of that name, else the first
  // defined module symbol of that name (modules in list order).
  std::optional<uint64_t> address_of(std::string_view name) const;
  // Every address carrying that name: vmlinux ones ascending, then module ones.
  std::vector<uint64_t> addresses_of(std::string_view name) const;

  size_t size() const { return addr_.size(); } // vmlinux kallsyms entries
  size_t module_count() const { return modules_.size(); }
  Encoding encoding() const { return encoding_; }
  bool kallsyms_all() const { return kallsyms_all_; }
  // False when the vmlinux table could not be decoded at all.
  bool vmlinux_ok() const { return vmlinux_ok_; }
  // What could not be read or did not look right, one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }

private:
  struct ModSym {
    uint64_t value;
    uint32_t name_off; // into Module::names
    uint32_t name_len;
    uint32_t index; // in the module's symtab
  };
  struct Region {
    uint64_t base = 0;
    uint64_t size = 0;
    uint64_t text_end = 0; // module_layout kernels: base + text_size
    bool text = false;
    bool init = false;
  };
  struct Module {
    std::string name;
    std::vector<Region> regions; // mod->mem[] in enum order, or {core_layout, init_layout}
    bool layouts = false;        // core_layout/init_layout (before 6.4)
    uint64_t sym0_value = 0;     // symtab[0].st_value: the pre-7.3 initial "best"
    std::vector<ModSym> syms;    // eligible symbols sorted by (value, symtab index)
    std::string names;
    bool incomplete = false; // some of its symbols are not in the dump
  };
  struct Range { // a BPF image or an ftrace-saved init function
    uint64_t start;
    uint64_t end;
    std::string name;
    std::string module;
  };

  void warn(std::string line);

  // The vmlinux table (kallsyms.cc).
  void load_vmlinux(Memory& memory, const VmcoreInfo& vmcoreinfo, Types& types);
  bool is_ksym_addr(uint64_t addr) const;
  std::optional<Symbol> lookup_vmlinux(uint64_t addr, bool& known) const;
  std::optional<uint64_t> vmlinux_symbol(std::string_view name) const;
  // vmlinux_symbol() of each name, in one pass over the table and without by_name().
  std::vector<std::optional<uint64_t>>
  scan_vmlinux_symbols(std::initializer_list<std::string_view> names) const;
  std::string_view vmlinux_name(size_t i) const;
  // The vmlinux indexes sorted by (name, address, index), made on the first lookup by name:
  // printing needs none, and sorting some 150,000 names was a third of the symbols' set-up.
  const std::vector<uint32_t>& by_name() const;

  // Modules, BPF images and ftrace's saved symbols (module_symbols.cc).
  void load_modules(Memory& memory, Types& types);
  void load_bpf(Memory& memory, Types& types);
  void load_ftrace(Memory& memory, Types& types);
  std::optional<Symbol> lookup_module(uint64_t addr, bool& known) const;

  // vmlinux kallsyms, in kallsyms order (sorted by address by scripts/kallsyms).
  std::vector<uint64_t> addr_;
  std::vector<uint32_t> name_off_;        // n + 1 offsets into names_
  std::vector<bool> name_ok_;             // the name bytes were readable
  std::vector<bool> addr_ok_;             // the offset entry was readable
  mutable std::vector<uint32_t> by_name_; // by_name()
  mutable std::once_flag by_name_made_;
  std::string names_;
  Encoding encoding_ = Encoding::None;
  bool vmlinux_ok_ = false;
  bool vmlinux_damaged_ = false; // the dump has kallsyms tables, but they cannot be decoded
  bool lists_damaged_ = false;   // modules, BPF images or ftrace's saved symbols were lost
  bool kallsyms_all_ = false;
  uint64_t stext_ = 0, etext_ = 0, end_ = 0;
  uint64_t sinittext_ = 0, einittext_ = 0, init_begin_ = 0, init_end_ = 0;

  std::vector<Module> modules_;
  std::vector<Range> bpf_;
  std::vector<Range> ftrace_;
  std::vector<std::string> warnings_;
};

} // namespace powner
