// SPDX-License-Identifier: GPL-2.0-or-later
// A vmlinux's ELF side (libelf): the file mapped, not read, its identity (build id,
// linux_banner's release) and its symbol table. What DWARF readers and version checks share;
// nothing here reads DWARF. Not thread-safe.
#pragma once

#include <cstdint>
#include <gelf.h>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace powner {

struct ElfSymbol {
  uint64_t value = 0;
  uint64_t size = 0;
};

class ElfImage {
public:
  // Throws Error(Unreadable) if the file cannot be opened, is not ELF, or has lost its
  // section headers (a file cut short).
  explicit ElfImage(std::string path);
  ~ElfImage();
  ElfImage(const ElfImage&) = delete;
  ElfImage& operator=(const ElfImage&) = delete;

  const std::string& path() const { return path_; }
  Elf* elf() const { return elf_; }
  size_t shstrndx() const { return shstrndx_; }
  bool little_endian() const { return little_endian_; }
  uint64_t address_size() const { return address_size_; }

  // Whether .debug_info (or .zdebug_info) is present and not empty; says nothing about
  // whether it can be read.
  bool has_debug_info() const;
  // Lowercase hex of the NT_GNU_BUILD_ID note; empty if the file has none.
  const std::string& build_id() const { return build_id_; }

  // The symbol table, loaded on first use. false when the file has no (readable) .symtab.
  bool has_symtab();
  // A global or weak symbol defined in the file.
  std::optional<ElfSymbol> global(std::string_view name);
  // A file-local object from .symtab, where STT_FILE entries name the source (basename only).
  std::optional<ElfSymbol> local_symbol(std::string_view file, std::string_view name);

  // The release ("7.3.0-rc7") from linux_banner; empty when .rodata is not in the file
  // (debug-only images).
  std::string release();

private:
  void open();
  void close();
  void read_build_id();
  size_t symbol_count(Elf_Data* data) const;
  void load_symtab();

  std::string path_;
  int fd_ = -1;
  Elf* elf_ = nullptr;
  size_t shstrndx_ = 0;
  bool little_endian_ = true;
  uint64_t address_size_ = 8;
  std::string build_id_;

  bool symtab_loaded_ = false;
  Elf_Scn* symtab_ = nullptr;
  std::unordered_map<std::string_view, ElfSymbol> globals_; // names point into the mapping
};

} // namespace powner
