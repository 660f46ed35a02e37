// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/readers/elf_image.h"

#include "powner/status.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <unistd.h>
#include <utility>

namespace powner {
namespace {

// Bounds on what a damaged or hostile file can make us copy.
constexpr uint64_t kMaxBuildIdBytes = 64;
constexpr size_t kMaxBannerBytes = 512;

} // namespace

ElfImage::ElfImage(std::string path) : path_(std::move(path)) {
  // The destructor does not run when a constructor throws.
  try {
    open();
  } catch (...) {
    close();
    throw;
  }
}

ElfImage::~ElfImage() {
  close();
}

void ElfImage::close() {
  if (elf_ != nullptr) elf_end(elf_);
  if (fd_ >= 0) ::close(fd_);
  elf_ = nullptr;
  fd_ = -1;
}

void ElfImage::open() {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(Status::Unreadable, path_ + ": " + std::strerror(errno));
  elf_version(EV_CURRENT);
  // Mapped, not read: only the pages of the CUs we visit are touched.
  elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
  if (elf_ == nullptr || elf_kind(elf_) != ELF_K_ELF) {
    throw Error(Status::Unreadable, path_ + ": not an ELF file");
  }
  const char* ident = elf_getident(elf_, nullptr);
  if (ident == nullptr) throw Error(Status::Unreadable, path_ + ": not an ELF file");
  little_endian_ = ident[EI_DATA] != ELFDATA2MSB;
  address_size_ = ident[EI_CLASS] == ELFCLASS32 ? 4 : 8;

  // A file cut short loses its section headers (at the end).
  if (elf_getshdrstrndx(elf_, &shstrndx_) != 0 || elf_getscn(elf_, 0) == nullptr) {
    throw Error(Status::Unreadable, path_ + ": truncated or corrupt ELF file (no section headers)");
  }
  read_build_id();
}

bool ElfImage::has_debug_info() const {
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    const char* name = elf_strptr(elf_, shstrndx_, shdr.sh_name);
    if (name == nullptr) continue;
    if ((std::strcmp(name, ".debug_info") == 0 || std::strcmp(name, ".zdebug_info") == 0) &&
        shdr.sh_type != SHT_NOBITS && shdr.sh_size > 0) {
      return true;
    }
  }
  return false;
}

void ElfImage::read_build_id() {
  auto scan = [&](Elf_Data* data) {
    if (data == nullptr) return false;
    size_t off = 0;
    GElf_Nhdr nhdr;
    size_t name_off, desc_off;
    while (off < data->d_size) {
      size_t next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off);
      if (next == 0 || next <= off) break;
      const char* base = static_cast<const char*>(data->d_buf);
      if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
          std::memcmp(base + name_off, "GNU", 4) == 0 && nhdr.n_descsz > 0 &&
          nhdr.n_descsz <= kMaxBuildIdBytes) {
        static constexpr char kHex[] = "0123456789abcdef";
        const auto* desc = reinterpret_cast<const unsigned char*>(base + desc_off);
        for (size_t i = 0; i < nhdr.n_descsz; ++i) {
          build_id_.push_back(kHex[desc[i] >> 4]);
          build_id_.push_back(kHex[desc[i] & 15]);
        }
        return true;
      }
      off = next;
    }
    return false;
  };
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_NOTE) continue;
    if (scan(elf_getdata(scn, nullptr))) return;
  }
  size_t phnum;
  if (elf_getphdrnum(elf_, &phnum) != 0) return;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf_, static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_NOTE) {
      continue;
    }
    Elf_Data* data = elf_getdata_rawchunk(elf_, static_cast<int64_t>(phdr.p_offset), phdr.p_filesz,
                                          phdr.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
    if (scan(data)) return;
  }
}

// Entries in a symbol table's data, within what gelf_getsym can index.
size_t ElfImage::symbol_count(Elf_Data* data) const {
  size_t entsize = gelf_fsize(elf_, ELF_T_SYM, 1, EV_CURRENT);
  size_t count = entsize == 0 ? 0 : data->d_size / entsize;
  return std::min<size_t>(count, std::numeric_limits<int>::max());
}

void ElfImage::load_symtab() {
  if (symtab_loaded_) return;
  symtab_loaded_ = true;
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) != nullptr && shdr.sh_type == SHT_SYMTAB) {
      symtab_ = scn;
      break;
    }
  }
  if (symtab_ == nullptr) return;
  GElf_Shdr shdr;
  Elf_Data* data = elf_getdata(symtab_, nullptr);
  if (gelf_getshdr(symtab_, &shdr) == nullptr || data == nullptr) {
    symtab_ = nullptr;
    return;
  }
  size_t count = symbol_count(data);
  globals_.reserve(count / 4);
  for (size_t i = 1; i < count; ++i) {
    GElf_Sym sym;
    if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) break;
    unsigned bind = GELF_ST_BIND(sym.st_info);
    unsigned type = GELF_ST_TYPE(sym.st_info);
    if ((bind != STB_GLOBAL && bind != STB_WEAK) || sym.st_shndx == SHN_UNDEF) continue;
    if (type != STT_OBJECT && type != STT_FUNC && type != STT_NOTYPE) continue;
    const char* name = elf_strptr(elf_, shdr.sh_link, sym.st_name);
    if (name == nullptr || *name == '\0') continue;
    globals_.try_emplace(name, ElfSymbol{sym.st_value, sym.st_size});
  }
}

bool ElfImage::has_symtab() {
  load_symtab();
  return symtab_ != nullptr;
}

std::optional<ElfSymbol> ElfImage::global(std::string_view name) {
  load_symtab();
  auto it = globals_.find(name);
  if (it == globals_.end()) return std::nullopt;
  return it->second;
}

std::optional<ElfSymbol> ElfImage::local_symbol(std::string_view file, std::string_view name) {
  load_symtab();
  if (symtab_ == nullptr) return std::nullopt;
  std::string_view base =
      file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1);
  GElf_Shdr shdr;
  Elf_Data* data = elf_getdata(symtab_, nullptr);
  if (gelf_getshdr(symtab_, &shdr) == nullptr || data == nullptr) return std::nullopt;
  size_t count = symbol_count(data);
  bool in_file = false;
  for (size_t i = 1; i < count; ++i) {
    GElf_Sym sym;
    if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) break;
    unsigned type = GELF_ST_TYPE(sym.st_info);
    const char* sym_name = elf_strptr(elf_, shdr.sh_link, sym.st_name);
    if (type == STT_FILE) {
      in_file = sym_name != nullptr && base == sym_name;
      continue;
    }
    if (!in_file || GELF_ST_BIND(sym.st_info) != STB_LOCAL || type != STT_OBJECT) continue;
    if (sym_name != nullptr && name == sym_name) return ElfSymbol{sym.st_value, sym.st_size};
  }
  return std::nullopt;
}

std::string ElfImage::release() {
  auto banner_symbol = global("linux_banner");
  if (!banner_symbol) return {};
  uint64_t addr = banner_symbol->value;
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_PROGBITS ||
        (shdr.sh_flags & SHF_ALLOC) == 0 || addr < shdr.sh_addr ||
        addr - shdr.sh_addr >= shdr.sh_size) {
      continue;
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr) return {};
    uint64_t off = addr - shdr.sh_addr;
    if (off >= data->d_size) return {};
    size_t len = static_cast<size_t>(
        std::min<uint64_t>({data->d_size - off, uint64_t{kMaxBannerBytes},
                            banner_symbol->size > 0 ? banner_symbol->size : kMaxBannerBytes}));
    std::string_view banner(static_cast<const char*>(data->d_buf) + off, len);
    constexpr std::string_view kPrefix = "Linux version ";
    if (banner.substr(0, kPrefix.size()) != kPrefix) return {};
    banner.remove_prefix(kPrefix.size());
    size_t end = banner.find_first_of(" \n", 0);
    if (end == std::string_view::npos) return {};
    return std::string(banner.substr(0, end));
  }
  return {};
}

} // namespace powner
