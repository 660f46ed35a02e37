// SPDX-License-Identifier: GPL-2.0-or-later
#include "dwarf_index.h"

#include <array>
#include <cstring>
#include <dwarf.h>
#include <gelf.h>
#include <utility>

namespace powner {
namespace {

constexpr size_t kMaxUnits = 1u << 20; // CUs in one file, a bound for a damaged file

// CUs looked at first, in this order: together they hold every definition the engine asks
// for (mm/page_owner.c alone has page_owner, page_ext, page, mem_section and stack_record
// through its includes). Anything else falls back to scanning the other CUs.
constexpr std::array<std::string_view, 18> kPreferredFiles = {
    "mm/page_owner.c",
    "lib/stackdepot.c",
    "mm/page_alloc.c",
    "mm/debug.c",
    "mm/memcontrol.c",
    "kernel/module/main.c",
    "kernel/module/kallsyms.c",
    "mm/page_ext.c",
    "mm/sparse.c",
    "mm/mm_init.c",
    "mm/memblock.c",
    "arch/x86/mm/numa.c",
    "arch/x86/kernel/setup_percpu.c",
    "kernel/cgroup/cgroup.c",
    "fs/kernfs/dir.c",
    "init/version.c",
    "lib/vsprintf.c",        // struct page_flags_fields (%pGp), defined there
    "kernel/trace/ftrace.c", // struct ftrace_mod_map, defined there
};

using Kind = DwarfIndex::Kind;
using Entry = DwarfIndex::Entry;

void add_entry(DwarfIndex::NameIndex& idx, Kind kind, const char* name, const Entry& entry) {
  auto [slot, inserted] = idx.try_emplace(DwarfIndex::NameKey{kind, name}, entry);
  // A variable's definition beats its declarations.
  if (!inserted && slot->second.declaration && !entry.declaration) slot->second = entry;
}

// The name of a DIE, following DW_AT_specification/abstract_origin (definitions of
// variables declared earlier carry no name of their own).
const char* name_of(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, DW_AT_name, &attr) == nullptr) return nullptr;
  return dwarf_formstring(&attr);
}

} // namespace

void DwarfIndex::list_units() {
  if (units_listed_) return;
  units_listed_ = true;
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version;
  uint8_t unit_type;
  Dwarf_Die cudie;
  // Only the unit headers and the CU DIEs' names: cheap even for a 100 MB .debug_info.
  while (units_.size() < kMaxUnits &&
         dwarf_get_units(dwarf_, cu, &next, &version, &unit_type, &cudie, nullptr) == 0) {
    cu = next;
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
    Unit unit;
    unit.die = dwarf_dieoffset(&cudie);
    const char* name = dwarf_diename(&cudie);
    if (name != nullptr) unit.name = name;
    if (!unit.name.empty() && unit.name[0] == '/') {
      Dwarf_Attribute attr;
      const char* dir = dwarf_formstring(dwarf_attr(&cudie, DW_AT_comp_dir, &attr));
      size_t len = dir != nullptr ? std::strlen(dir) : 0;
      if (len > 0 && unit.name.size() > len + 1 && unit.name.compare(0, len, dir) == 0 &&
          unit.name[len] == '/') {
        unit.name.erase(0, len + 1);
      }
    }
    while (unit.name.rfind("./", 0) == 0)
      unit.name.erase(0, 2);
    units_.push_back(std::move(unit));
  }
  for (auto file : kPreferredFiles) {
    for (size_t i : units_for_file(file)) {
      if (units_[i].preferred) continue;
      units_[i].preferred = true;
      preferred_.push_back(i);
    }
  }
}

// Units named exactly `file`, else those whose name ends in "/file" (out-of-tree or
// absolute build paths).
std::vector<size_t> DwarfIndex::units_for_file(std::string_view file) const {
  while (file.substr(0, 2) == "./")
    file.remove_prefix(2);
  std::vector<size_t> exact, suffix;
  if (file.empty()) return exact;
  for (size_t i = 0; i < units_.size(); ++i) {
    std::string_view name = units_[i].name;
    if (name == file) {
      exact.push_back(i);
    } else if (name.size() > file.size() && name.substr(name.size() - file.size()) == file &&
               name[name.size() - file.size() - 1] == '/') {
      suffix.push_back(i);
    }
  }
  return exact.empty() ? suffix : exact;
}

// Calls fn(kind, name, entry) for the named file-scope types and variables of a CU and for
// every enumerator of its file-scope enums.
template <class Fn> void DwarfIndex::walk_unit(Dwarf_Off cu_die, Fn&& fn) {
  Dwarf_Die cu;
  if (dwarf_offdie(dwarf_, cu_die, &cu) == nullptr) return;
  for_each_child(&cu, [&](Dwarf_Die& die) {
    Kind kind;
    switch (dwarf_tag(&die)) {
    case DW_TAG_structure_type:
      kind = Kind::Struct;
      break;
    case DW_TAG_union_type:
      kind = Kind::Union;
      break;
    case DW_TAG_enumeration_type:
      kind = Kind::Enum;
      break;
    case DW_TAG_typedef:
    case DW_TAG_base_type:
      kind = Kind::Typedef;
      break;
    case DW_TAG_variable:
      kind = dwarf_hasattr_integrate(&die, DW_AT_external) ? Kind::Variable : Kind::Static;
      break;
    default:
      return false;
    }
    Dwarf_Off off = dwarf_dieoffset(&die);
    if (kind == Kind::Enum) {
      for_each_child(&die, [&](Dwarf_Die& e) {
        if (dwarf_tag(&e) != DW_TAG_enumerator) return false;
        if (const char* name = dwarf_diename(&e)) {
          fn(Kind::Enumerator, name, Entry{dwarf_dieoffset(&e), off, false});
        }
        return false;
      });
    }
    bool variable = kind == Kind::Variable || kind == Kind::Static;
    bool declaration = dwarf_hasattr(&die, DW_AT_declaration) != 0;
    // Incomplete types are useless here; the definition is elsewhere.
    if (!variable && declaration) return false;
    const char* name = variable ? name_of(&die) : dwarf_diename(&die);
    if (name != nullptr) fn(kind, name, Entry{off, 0, declaration});
    return false;
  });
}

const DwarfIndex::NameIndex& DwarfIndex::index(const Unit& unit) {
  auto it = indexes_.find(unit.die);
  if (it != indexes_.end()) return it->second;
  NameIndex& idx = indexes_[unit.die];
  walk_unit(unit.die, [&](Kind kind, const char* name, const Entry& entry) {
    add_entry(idx, kind, name, entry);
  });
  return idx;
}

// The names of all other CUs, first one in file order. Built once, on the first name the
// preferred CUs lack: any search of the rest is a pass over the whole file anyway, and
// later misses (version probes such as MEMCG_DATA_OBJCGS) then cost nothing.
const DwarfIndex::NameIndex& DwarfIndex::rest_index() {
  if (rest_built_) return rest_;
  rest_built_ = true;
  for (const Unit& unit : units_) {
    if (unit.preferred) continue;
    walk_unit(unit.die, [&](Kind kind, const char* name, const Entry& entry) {
      add_entry(rest_, kind, name, entry);
    });
  }
  return rest_;
}

// Whether `name` may be the name of some DIE: false only when it is certainly not. Compilers
// put names in .debug_str (DW_FORM_strp/strx), gcc all but those of 4 bytes or less, which it
// may write inline (DW_FORM_string); the linker merges equal strings and tails ("NR_X" inside
// "__NR_X"), so the name is searched as any string's end. A file whose strings may live in
// another file (dwz's .gnu_debugaltlink, DWARF 5's .debug_sup) or whose .debug_str cannot be
// read answers true. This turns the version probes' misses ("MIGRATE_ISOLATE" where
// CONFIG_MEMORY_ISOLATION is off) from a pass over every CU into a search of one section.
bool DwarfIndex::may_name_a_die(std::string_view name) {
  if (!strings_read_) {
    strings_read_ = true;
    Elf* elf = dwarf_getelf(dwarf_);
    size_t shstrndx = 0;
    if (elf == nullptr || elf_getshdrstrndx(elf, &shstrndx) != 0) return true;
    bool elsewhere = false;
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr shdr;
      if (gelf_getshdr(scn, &shdr) == nullptr) continue;
      const char* sname = elf_strptr(elf, shstrndx, shdr.sh_name);
      if (sname == nullptr) continue;
      std::string_view section = sname;
      if (section == ".gnu_debugaltlink" || section == ".debug_sup") elsewhere = true;
      // libdw has decompressed a SHF_COMPRESSED .debug_str already; a still-compressed one
      // is left alone.
      if (section != ".debug_str" || (shdr.sh_flags & SHF_COMPRESSED) != 0) continue;
      if (Elf_Data* data = elf_getdata(scn, nullptr); data != nullptr && data->d_buf != nullptr)
        strings_ = std::string_view(static_cast<const char*>(data->d_buf), data->d_size);
    }
    if (elsewhere) strings_ = {};
  }
  if (strings_.empty() || name.size() <= 4) return true;
  std::string needle(name);
  needle.push_back('\0');
  return memmem(strings_.data(), strings_.size(), needle.data(), needle.size()) != nullptr;
}

std::optional<Entry> DwarfIndex::find(Kind kind, std::string_view name, const Accept& good) {
  NameKey key{kind, name};
  if (good == nullptr) {
    auto cached = found_.find(key);
    if (cached != found_.end()) return cached->second;
  }
  list_units();
  std::optional<Entry> fallback;
  std::optional<Entry> result;
  for (size_t i : preferred_) {
    const NameIndex& idx = index(units_[i]);
    auto it = idx.find(key);
    if (it == idx.end()) continue;
    if (good == nullptr || good(it->second)) {
      result = it->second;
      break;
    }
    if (!fallback) fallback = it->second;
  }
  if (!result && may_name_a_die(name)) {
    const NameIndex& idx = rest_index();
    auto it = idx.find(key);
    if (it != idx.end()) {
      if (good == nullptr || good(it->second) || !fallback) result = it->second;
    }
  }
  if (!result) result = fallback;
  if (good == nullptr) {
    // The key must outlive `name`: keep a copy.
    names_.emplace_back(name);
    found_.emplace(NameKey{kind, names_.back()}, result);
  }
  return result;
}

std::vector<const DwarfIndex::NameIndex*> DwarfIndex::file_indexes(std::string_view file) {
  list_units();
  std::vector<const NameIndex*> out;
  for (size_t i : units_for_file(file))
    out.push_back(&index(units_[i]));
  return out;
}

} // namespace powner
