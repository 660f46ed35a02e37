// SPDX-License-Identifier: GPL-2.0-or-later
// Times "resolve every type, member, enumerator and variable powner needs" from a vmlinux
// with elfutils libdw (the product's DwarfTypes) or with libdwarf (a trial reader using the
// same strategy: CU names first, a lazy index of a few preferred CUs, a scan of the others
// only for misses, globals' addresses from .symtab).
//
//   powner_bench_dwarf [--reader=libdw|libdwarf] [--cold] [--print] [--trace] VMLINUX
//
// --cold evicts the file from the page cache first (posix_fadvise DONTNEED), --print lists
// every answer so the two readers can be diffed, --trace times each query (stderr).
//
// libdw and libdwarf export the same function names (dwarf_child, dwarf_tag...), so one
// process cannot hold both: this file is built twice, and --reader=libdwarf runs the
// libdwarf build (powner_bench_dwarf_libdwarf, next to this executable).
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef POWNER_BENCH_LIBDWARF
#include <gelf.h>
#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>
#endif

#include "error.h"
#include "types.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#ifndef POWNER_BENCH_LIBDWARF
#include "dwarf_types.h"
#endif

namespace {

using powner::MemberInfo;
using powner::TypeKind;
using powner::VariableInfo;

struct Query {
  enum What { Size, Member, Enumerator, Variable } what;
  const char* a;
  const char* b; // member path, or the defining file of a static
};

// What the engine asks about a 6.x/7.x kernel (core/kernel_model.cc), plus the module and
// memcg structs it reads; a few are absent on a given version and must miss cheaply.
const Query kWorkload[] = {
    {Query::Size, "struct page_owner", nullptr},
    {Query::Size, "struct page_ext", nullptr},
    {Query::Size, "struct page", nullptr},
    {Query::Size, "struct mem_section", nullptr},
    {Query::Size, "struct mem_section_usage", nullptr},
    {Query::Size, "struct stack_record", nullptr},
    {Query::Size, "struct stack", nullptr},
    {Query::Size, "struct page_ext_operations", nullptr},
    {Query::Size, "struct trace_print_flags", nullptr},
    {Query::Size, "memdesc_flags_t", nullptr},
    {Query::Size, "depot_stack_handle_t", nullptr},
    {Query::Size, "nodemask_t", nullptr},
    {Query::Size, "union handle_parts", nullptr},
    {Query::Size, "struct mem_cgroup", nullptr},
    {Query::Size, "struct obj_cgroup", nullptr},
    {Query::Size, "struct cgroup", nullptr},
    {Query::Size, "struct cgroup_subsys_state", nullptr},
    {Query::Size, "struct kernfs_node", nullptr},
    {Query::Size, "struct module", nullptr},
    {Query::Size, "struct mod_kallsyms", nullptr},
    {Query::Size, "struct module_memory", nullptr},
    {Query::Size, "struct pglist_data", nullptr},
    {Query::Size, "unsigned long", nullptr},
    {Query::Member, "struct page_owner", "order"},
    {Query::Member, "struct page_owner", "last_migrate_reason"},
    {Query::Member, "struct page_owner", "gfp_mask"},
    {Query::Member, "struct page_owner", "handle"},
    {Query::Member, "struct page_owner", "free_handle"},
    {Query::Member, "struct page_owner", "ts_nsec"},
    {Query::Member, "struct page_owner", "free_ts_nsec"},
    {Query::Member, "struct page_owner", "comm"},
    {Query::Member, "struct page_owner", "pid"},
    {Query::Member, "struct page_owner", "tgid"},
    {Query::Member, "struct page_owner", "free_pid"},
    {Query::Member, "struct page_owner", "free_tgid"},
    {Query::Member, "struct page_ext", "flags"},
    {Query::Member, "struct page_ext_operations", "offset"},
    {Query::Member, "struct page_ext_operations", "size"},
    {Query::Member, "struct page", "flags"},
    {Query::Member, "struct page", "flags.f"},
    {Query::Member, "struct page", "private"},
    {Query::Member, "struct page", "page_type"},
    {Query::Member, "struct page", "_mapcount"},
    {Query::Member, "struct page", "compound_info"},
    {Query::Member, "struct page", "compound_head"},
    {Query::Member, "struct page", "memcg_data"},
    {Query::Member, "struct page", "_refcount"},
    {Query::Member, "struct mem_section", "section_mem_map"},
    {Query::Member, "struct mem_section", "usage"},
    {Query::Member, "struct mem_section", "page_ext"},
    {Query::Member, "struct mem_section_usage", "subsection_map"},
    {Query::Member, "struct mem_section_usage", "pageblock_flags"},
    {Query::Member, "struct stack_record", "hash_list"},
    {Query::Member, "struct stack_record", "size"},
    {Query::Member, "struct stack_record", "handle"},
    {Query::Member, "struct stack_record", "count"},
    {Query::Member, "struct stack_record", "entries"},
    {Query::Member, "union handle_parts", "pool_index_plus_1"},
    {Query::Member, "union handle_parts", "offset"},
    {Query::Member, "union handle_parts", "extra"},
    {Query::Member, "union handle_parts", "slabindex"},
    {Query::Member, "struct stack", "stack_record"},
    {Query::Member, "struct stack", "next"},
    {Query::Member, "struct trace_print_flags", "mask"},
    {Query::Member, "struct trace_print_flags", "name"},
    {Query::Member, "struct lruvec", "lrugen"},
    {Query::Member, "struct task_struct", "numa_scan_seq"},
    {Query::Member, "struct pglist_data", "node_start_pfn"},
    {Query::Member, "struct pglist_data", "node_spanned_pages"},
    {Query::Member, "struct mem_cgroup", "css"},
    {Query::Member, "struct mem_cgroup", "css.cgroup"},
    {Query::Member, "struct mem_cgroup", "css.flags"},
    {Query::Member, "struct obj_cgroup", "memcg"},
    {Query::Member, "struct cgroup_subsys_state", "cgroup"},
    {Query::Member, "struct cgroup_subsys_state", "flags"},
    {Query::Member, "struct cgroup", "kn"},
    {Query::Member, "struct kernfs_node", "name"},
    {Query::Member, "struct kernfs_node", "__parent"},
    {Query::Member, "struct kernfs_node", "parent"},
    {Query::Member, "struct module", "name"},
    {Query::Member, "struct module", "list"},
    {Query::Member, "struct module", "state"},
    {Query::Member, "struct module", "mem"},
    {Query::Member, "struct module", "kallsyms"},
    {Query::Member, "struct mod_kallsyms", "symtab"},
    {Query::Member, "struct mod_kallsyms", "num_symtab"},
    {Query::Member, "struct mod_kallsyms", "strtab"},
    {Query::Member, "struct mod_kallsyms", "typetab"},
    {Query::Member, "struct module_memory", "base"},
    {Query::Member, "struct module_memory", "size"},
    {Query::Enumerator, "__NR_PAGEFLAGS", nullptr},
    {Query::Enumerator, "__MAX_NR_ZONES", nullptr},
    {Query::Enumerator, "MR_NEVER", nullptr},
    {Query::Enumerator, "MR_TYPES", nullptr},
    {Query::Enumerator, "PGTY_buddy", nullptr},
    {Query::Enumerator, "PAGE_EXT_OWNER", nullptr},
    {Query::Enumerator, "PAGE_EXT_OWNER_ALLOCATED", nullptr},
    {Query::Enumerator, "N_MEMORY", nullptr},
    {Query::Enumerator, "N_POSSIBLE", nullptr},
    {Query::Enumerator, "MIGRATE_TYPES", nullptr},
    {Query::Enumerator, "MIGRATE_ISOLATE", nullptr},
    {Query::Enumerator, "PB_migrate_isolate", nullptr},
    {Query::Enumerator, "__NR_PAGEBLOCK_BITS", nullptr},
    {Query::Enumerator, "SECTION_HAS_MEM_MAP_BIT", nullptr},
    {Query::Enumerator, "SECTION_IS_EARLY_BIT", nullptr},
    {Query::Enumerator, "SECTION_MAP_LAST_BIT", nullptr},
    {Query::Enumerator, "MEMCG_DATA_OBJEXTS", nullptr},
    {Query::Enumerator, "MEMCG_DATA_KMEM", nullptr},
    {Query::Enumerator, "MEMCG_DATA_OBJCGS", nullptr},
    {Query::Enumerator, "CSS_ONLINE", nullptr},
    {Query::Enumerator, "MOD_TEXT", nullptr},
    {Query::Enumerator, "MOD_MEM_NUM_TYPES", nullptr},
    {Query::Enumerator, "MODULE_STATE_LIVE", nullptr},
    {Query::Variable, "page_ext_size", nullptr},
    {Query::Variable, "page_owner_ops", nullptr},
    {Query::Variable, "page_owner_inited", nullptr},
    {Query::Variable, "max_pfn", nullptr},
    {Query::Variable, "min_low_pfn", nullptr},
    {Query::Variable, "mem_section", nullptr},
    {Query::Variable, "vmemmap_base", nullptr},
    {Query::Variable, "node_data", nullptr},
    {Query::Variable, "node_states", nullptr},
    {Query::Variable, "__per_cpu_offset", nullptr},
    {Query::Variable, "gfpflag_names", nullptr},
    {Query::Variable, "pageflag_names", nullptr},
    {Query::Variable, "migratetype_names", nullptr},
    {Query::Variable, "migrate_reason_names", nullptr},
    {Query::Variable, "page_group_by_mobility_disabled", nullptr},
    {Query::Variable, "hstates", nullptr},
    {Query::Variable, "transparent_hugepage_flags", nullptr},
    {Query::Variable, "section_to_node_table", nullptr},
    {Query::Variable, "init_uts_ns", nullptr},
    {Query::Variable, "stack_list", "mm/page_owner.c"},
    {Query::Variable, "dummy_stack", "mm/page_owner.c"},
    {Query::Variable, "failure_stack", "mm/page_owner.c"},
    {Query::Variable, "early_handle", "mm/page_owner.c"},
    {Query::Variable, "pages_threshold", "mm/page_owner.c"},
    {Query::Variable, "page_owner_pages_threshold", "mm/page_owner.c"},
    {Query::Variable, "stack_pools", "lib/stackdepot.c"},
    {Query::Variable, "pools_num", "lib/stackdepot.c"},
    {Query::Variable, "stack_max_pools", "lib/stackdepot.c"},
    {Query::Variable, "stack_slabs", "lib/stackdepot.c"},
    {Query::Variable, "modules", "kernel/module/main.c"},
};

const char* kind_name(TypeKind k) {
  switch (k) {
  case TypeKind::Integer:
    return "Integer";
  case TypeKind::Pointer:
    return "Pointer";
  case TypeKind::Array:
    return "Array";
  case TypeKind::Struct:
    return "Struct";
  case TypeKind::Union:
    return "Union";
  case TypeKind::Enum:
    return "Enum";
  case TypeKind::Other:
    break;
  }
  return "Other";
}

#ifdef POWNER_BENCH_LIBDWARF
// ---------------------------------------------------------------------------------------
// The libdwarf trial: enough of powner::Types for the workload, same lookup strategy as
// DwarfTypes, no attempt at hardening.

constexpr const char* kPreferredFiles[] = {
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
};

class Die {
public:
  Die() = default;
  explicit Die(Dwarf_Die d) : d_(d) {}
  Die(Die&& o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  Die& operator=(Die&& o) noexcept {
    std::swap(d_, o.d_);
    return *this;
  }
  Die(const Die&) = delete;
  Die& operator=(const Die&) = delete;
  ~Die() {
    if (d_ != nullptr) dwarf_dealloc_die(d_);
  }
  Dwarf_Die get() const { return d_; }
  explicit operator bool() const { return d_ != nullptr; }

private:
  Dwarf_Die d_ = nullptr;
};

class LibdwarfTypes final : public powner::Types {
public:
  LibdwarfTypes(const std::string& path, uint64_t kaslr) : kaslr_(kaslr) {
    Dwarf_Error err = nullptr;
    if (dwarf_init_path(path.c_str(), nullptr, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, on_error,
                        nullptr, &dbg_, nullptr, 0, nullptr, &err) != DW_DLV_OK) {
      throw powner::Error(powner::Status::NoDebugInfo, path + ": libdwarf cannot open it");
    }
    load_symtab(path);
    list_units();
  }
  ~LibdwarfTypes() override {
    indexes_.clear();
    if (dbg_ != nullptr) dwarf_finish(dbg_, nullptr);
    if (elf_ != nullptr) elf_end(elf_);
    if (fd_ >= 0) close(fd_);
  }
  LibdwarfTypes(const LibdwarfTypes&) = delete;
  LibdwarfTypes& operator=(const LibdwarfTypes&) = delete;

  std::optional<uint64_t> size_of(std::string_view type) override {
    auto die = named_type(type);
    if (!die) return std::nullopt;
    auto f = describe(die.get(), 0);
    if (!f || f->size == 0) return std::nullopt;
    return f->size;
  }

  std::optional<MemberInfo> member(std::string_view type, std::string_view path) override {
    Die cur = named_type(type);
    if (!cur) return std::nullopt;
    uint64_t base = 0;
    for (size_t pos = 0;;) {
      size_t dot = path.find('.', pos);
      std::string_view part = path.substr(pos, dot == std::string_view::npos ? dot : dot - pos);
      Die agg = peel(offset_of(cur.get()));
      if (!agg) return std::nullopt;
      int t = tag(agg.get());
      if (t != DW_TAG_structure_type && t != DW_TAG_union_type) return std::nullopt;
      Dwarf_Off member_off = 0;
      uint64_t holder = 0;
      if (!find_member(agg.get(), part, base, 0, &member_off, &holder)) return std::nullopt;
      Die m = offdie(member_off);
      auto type_off = ref(m.get(), DW_AT_type);
      if (!type_off) return std::nullopt;
      Die mt = offdie(*type_off);
      auto f = describe(mt.get(), 0);
      if (!f) return std::nullopt;
      MemberInfo info;
      info.kind = f->kind;
      info.size = f->size;
      info.array_length = f->array_length;
      info.element_size = f->element_size;
      uint64_t loc = udata(m.get(), DW_AT_data_member_location).value_or(0);
      if (auto bits = udata(m.get(), DW_AT_bit_size)) {
        uint64_t bit = holder * 8 + udata(m.get(), DW_AT_data_bit_offset).value_or(loc * 8);
        uint64_t unit = f->size * 8;
        uint64_t start = unit ? bit / unit * unit : bit / 8 * 8;
        info.offset = start / 8;
        info.bit_offset = static_cast<uint32_t>(bit - start);
        info.bit_size = static_cast<uint32_t>(*bits);
        info.array_length = info.element_size = 0;
        return info;
      }
      info.offset = holder + loc;
      if (dot == std::string_view::npos) return info;
      cur = std::move(mt);
      base = info.offset;
      pos = dot + 1;
    }
  }

  std::optional<int64_t> enumerator(std::string_view name) override {
    auto e = find('k', name);
    if (!e) return std::nullopt;
    Die d = offdie(e->die);
    Dwarf_Attribute attr;
    if (!d || dwarf_attr(d.get(), DW_AT_const_value, &attr, nullptr) != DW_DLV_OK) {
      return std::nullopt;
    }
    Dwarf_Half form = 0;
    dwarf_whatform(attr, &form, nullptr);
    std::optional<int64_t> value;
    if (form == DW_FORM_sdata) {
      Dwarf_Signed s;
      if (dwarf_formsdata(attr, &s, nullptr) == DW_DLV_OK) value = s;
    } else {
      Dwarf_Unsigned u;
      if (dwarf_formudata(attr, &u, nullptr) == DW_DLV_OK) value = static_cast<int64_t>(u);
    }
    dwarf_dealloc_attribute(attr);
    return value;
  }

  std::optional<VariableInfo> variable(std::string_view name, std::string_view file) override {
    std::optional<uint64_t> addr;
    uint64_t sym_size = 0;
    Die die;
    if (!file.empty()) {
      for (size_t i = 0; i < units_.size() && !addr; ++i) {
        if (units_[i].name != file) continue;
        auto& idx = index(i);
        auto it = idx.find(std::string("v").append(name));
        if (it == idx.end()) continue;
        die = offdie(it->second.die);
        addr = location(die.get());
      }
      if (!addr) return std::nullopt;
    } else {
      auto it = globals_.find(std::string(name));
      if (it == globals_.end()) return std::nullopt;
      addr = it->second.first;
      sym_size = it->second.second;
      if (auto e = find('v', name)) die = offdie(e->die);
    }
    VariableInfo info;
    info.address = *addr + kaslr_;
    if (die) {
      if (auto t = ref(die.get(), DW_AT_type)) {
        Die td = offdie(*t);
        if (auto f = describe(td.get(), 0)) {
          info.kind = f->kind;
          info.size = f->size;
          info.array_length = f->array_length;
          info.element_size = f->element_size;
        }
      }
    }
    if (info.kind == TypeKind::Array && info.array_length == 0 && info.element_size > 0) {
      info.array_length = sym_size / info.element_size;
      info.size = sym_size;
    }
    if (info.size == 0) info.size = sym_size;
    return info;
  }

private:
  struct Entry {
    Dwarf_Off die = 0;
  };
  struct Unit {
    Dwarf_Off die = 0;
    std::string name;
    bool preferred = false;
  };
  struct Facts {
    TypeKind kind = TypeKind::Other;
    uint64_t size = 0, array_length = 0, element_size = 0;
  };
  using Index = std::unordered_map<std::string, Entry>;

  // Calls pass no Dwarf_Error; without a handler libdwarf would abort() on any error.
  // Errors are expected (the implicit_const retry in udata) and show up as misses.
  static void on_error(Dwarf_Error, Dwarf_Ptr) {}

  Die offdie(Dwarf_Off off) {
    Dwarf_Die d = nullptr;
    if (dwarf_offdie_b(dbg_, off, true, &d, nullptr) != DW_DLV_OK) return Die();
    return Die(d);
  }
  static Dwarf_Off offset_of(Dwarf_Die d) {
    Dwarf_Off off = 0;
    dwarf_dieoffset(d, &off, nullptr);
    return off;
  }
  static int tag(Dwarf_Die d) {
    Dwarf_Half t = 0;
    dwarf_tag(d, &t, nullptr);
    return t;
  }
  static bool has(Dwarf_Die d, Dwarf_Half at) {
    Dwarf_Bool b = false;
    return dwarf_hasattr(d, at, &b, nullptr) == DW_DLV_OK && b;
  }
  static std::optional<uint64_t> udata(Dwarf_Die d, Dwarf_Half at) {
    Dwarf_Attribute attr;
    if (dwarf_attr(d, at, &attr, nullptr) != DW_DLV_OK) return std::nullopt;
    Dwarf_Unsigned u;
    Dwarf_Signed sv;
    std::optional<uint64_t> r;
    // This libdwarf's formudata rejects DW_FORM_implicit_const, which gcc uses a lot.
    if (dwarf_formudata(attr, &u, nullptr) == DW_DLV_OK) {
      r = u;
    } else if (dwarf_formsdata(attr, &sv, nullptr) == DW_DLV_OK) {
      r = static_cast<uint64_t>(sv);
    }
    dwarf_dealloc_attribute(attr);
    return r;
  }
  std::optional<Dwarf_Off> ref(Dwarf_Die d, Dwarf_Half at) {
    Dwarf_Attribute attr;
    if (dwarf_attr(d, at, &attr, nullptr) != DW_DLV_OK) {
      // A definition's type is on the declaration it completes.
      if (at != DW_AT_type) return std::nullopt;
      auto spec = ref(d, DW_AT_specification);
      if (!spec) return std::nullopt;
      Die s = offdie(*spec);
      return s ? ref(s.get(), at) : std::nullopt;
    }
    Dwarf_Off off;
    std::optional<Dwarf_Off> r;
    if (dwarf_global_formref(attr, &off, nullptr) == DW_DLV_OK) r = off;
    dwarf_dealloc_attribute(attr);
    return r;
  }
  const char* name_of(Dwarf_Die d) {
    char* n = nullptr;
    if (dwarf_diename(d, &n, nullptr) == DW_DLV_OK) return n;
    if (auto spec = ref(d, DW_AT_specification)) {
      Die s = offdie(*spec);
      if (s && dwarf_diename(s.get(), &n, nullptr) == DW_DLV_OK) return n;
    }
    return nullptr;
  }
  template <class Fn> void children(Dwarf_Die parent, Fn&& fn) {
    Dwarf_Die c = nullptr;
    if (dwarf_child(parent, &c, nullptr) != DW_DLV_OK) return;
    Die cur(c);
    for (;;) {
      if (fn(cur.get())) return;
      Dwarf_Die next = nullptr;
      if (dwarf_siblingof_b(dbg_, cur.get(), true, &next, nullptr) != DW_DLV_OK) return;
      cur = Die(next);
    }
  }
  std::optional<uint64_t> location(Dwarf_Die d) {
    Dwarf_Attribute attr;
    if (dwarf_attr(d, DW_AT_location, &attr, nullptr) != DW_DLV_OK) return std::nullopt;
    Dwarf_Unsigned len = 0;
    Dwarf_Ptr ptr = nullptr;
    std::optional<uint64_t> r;
    if (dwarf_formexprloc(attr, &len, &ptr, nullptr) == DW_DLV_OK && len == 9 &&
        static_cast<unsigned char*>(ptr)[0] == DW_OP_addr) {
      uint64_t a;
      std::memcpy(&a, static_cast<unsigned char*>(ptr) + 1, 8);
      r = a;
    }
    dwarf_dealloc_attribute(attr);
    return r;
  }

  void load_symtab(const std::string& path) {
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    elf_version(EV_CURRENT);
    elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
    if (elf_ == nullptr) return;
    for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
      GElf_Shdr sh;
      if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_SYMTAB) continue;
      Elf_Data* data = elf_getdata(scn, nullptr);
      size_t n = data ? data->d_size / gelf_fsize(elf_, ELF_T_SYM, 1, EV_CURRENT) : 0;
      for (size_t i = 1; i < n; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
        unsigned bind = GELF_ST_BIND(sym.st_info);
        if ((bind != STB_GLOBAL && bind != STB_WEAK) || sym.st_shndx == SHN_UNDEF) continue;
        const char* nm = elf_strptr(elf_, sh.sh_link, sym.st_name);
        if (nm && *nm) globals_.try_emplace(nm, sym.st_value, sym.st_size);
      }
    }
  }

  void list_units() {
    Dwarf_Unsigned next = 0;
    Dwarf_Half cu_type = 0;
    for (;;) {
      int rc = dwarf_next_cu_header_d(dbg_, true, nullptr, nullptr, nullptr, nullptr, nullptr,
                                      nullptr, nullptr, nullptr, &next, &cu_type, nullptr);
      if (rc != DW_DLV_OK) break;
      Dwarf_Die cu = nullptr;
      if (dwarf_siblingof_b(dbg_, nullptr, true, &cu, nullptr) != DW_DLV_OK) break;
      Die cu_die(cu);
      Unit u;
      u.die = offset_of(cu);
      char* n = nullptr;
      if (dwarf_diename(cu, &n, nullptr) == DW_DLV_OK) u.name = n;
      units_.push_back(std::move(u));
    }
    for (const char* f : kPreferredFiles) {
      for (size_t i = 0; i < units_.size(); ++i) {
        if (units_[i].name == f && !units_[i].preferred) {
          units_[i].preferred = true;
          preferred_.push_back(i);
        }
      }
    }
  }

  // Same walk as DwarfTypes: file-scope named types/variables and all enumerators.
  template <class Fn> bool walk(Dwarf_Off cu_off, char only, Fn&& fn) {
    Die cu = offdie(cu_off);
    if (!cu) return false;
    bool stop = false;
    children(cu.get(), [&](Dwarf_Die d) {
      char k;
      switch (tag(d)) {
      case DW_TAG_structure_type:
        k = 's';
        break;
      case DW_TAG_union_type:
        k = 'u';
        break;
      case DW_TAG_enumeration_type:
        k = 'e';
        break;
      case DW_TAG_typedef:
      case DW_TAG_base_type:
        k = 't';
        break;
      case DW_TAG_variable:
        k = 'v';
        break;
      default:
        return false;
      }
      Dwarf_Off off = offset_of(d);
      if (k == 'e' && (only == 0 || only == 'k')) {
        children(d, [&](Dwarf_Die e) {
          char* n = nullptr;
          if (dwarf_diename(e, &n, nullptr) == DW_DLV_OK && fn('k', n, offset_of(e))) stop = true;
          return stop;
        });
        if (stop) return true;
      }
      if (only != 0 && k != only) return false;
      if (k != 'v' && has(d, DW_AT_declaration)) return false;
      const char* n = k == 'v' ? name_of(d) : nullptr;
      if (k != 'v') {
        char* dn = nullptr;
        if (dwarf_diename(d, &dn, nullptr) == DW_DLV_OK) n = dn;
      }
      if (n != nullptr && fn(k, n, off)) stop = true;
      return stop;
    });
    return stop;
  }

  Index& index(size_t unit) {
    auto it = indexes_.find(units_[unit].die);
    if (it != indexes_.end()) return it->second;
    Index& idx = indexes_[units_[unit].die];
    walk(units_[unit].die, 0, [&](char k, const char* n, Dwarf_Off off) {
      std::string key(1, k);
      key.append(n);
      auto [slot, inserted] = idx.try_emplace(key, Entry{off});
      if (!inserted && k == 'v') {
        Die old = offdie(slot->second.die);
        Die cur = offdie(off);
        if (has(old.get(), DW_AT_declaration) && !has(cur.get(), DW_AT_declaration)) {
          slot->second.die = off;
        }
      }
      return false;
    });
    return idx;
  }

  std::optional<Entry> find(char kind, std::string_view name) {
    std::string key(1, kind);
    key.append(name);
    auto cached = found_.find(key);
    if (cached != found_.end()) return cached->second;
    std::optional<Entry> result;
    for (size_t i : preferred_) {
      auto& idx = index(i);
      auto it = idx.find(key);
      if (it != idx.end()) {
        result = it->second;
        break;
      }
    }
    if (!result) {
      // Like DwarfTypes: one pass over the other CUs indexes all their names.
      if (!rest_built_) {
        rest_built_ = true;
        for (auto& u : units_) {
          if (u.preferred) continue;
          walk(u.die, 0, [&](char k, const char* n, Dwarf_Off off) {
            std::string rest_key(1, k);
            rest_key.append(n);
            rest_.try_emplace(std::move(rest_key), Entry{off});
            return false;
          });
        }
      }
      auto it = rest_.find(key);
      if (it != rest_.end()) result = it->second;
    }
    found_.emplace(key, result);
    return result;
  }

  Die named_type(std::string_view text) {
    char kind = 't';
    for (auto [prefix, k] : {std::pair{"struct ", 's'}, {"union ", 'u'}, {"enum ", 'e'}}) {
      if (text.substr(0, std::strlen(prefix)) == prefix) {
        kind = k;
        text.remove_prefix(std::strlen(prefix));
      }
    }
    std::optional<Entry> e;
    if (text == "unsigned long") e = find('t', "long unsigned int");
    if (!e) e = find(kind, text);
    return e ? offdie(e->die) : Die();
  }

  Die peel(Dwarf_Off off) {
    for (int hop = 0; hop < 64; ++hop) {
      Die d = offdie(off);
      if (!d) return d;
      int t = tag(d.get());
      if (t == DW_TAG_typedef || t == DW_TAG_const_type || t == DW_TAG_volatile_type ||
          t == DW_TAG_restrict_type || t == DW_TAG_atomic_type) {
        auto next = ref(d.get(), DW_AT_type);
        if (!next) return Die();
        off = *next;
        continue;
      }
      if ((t == DW_TAG_structure_type || t == DW_TAG_union_type || t == DW_TAG_enumeration_type) &&
          has(d.get(), DW_AT_declaration)) {
        char* n = nullptr;
        if (dwarf_diename(d.get(), &n, nullptr) != DW_DLV_OK) return d;
        auto e = find(t == DW_TAG_structure_type ? 's' : t == DW_TAG_union_type ? 'u' : 'e', n);
        return e ? offdie(e->die) : std::move(d);
      }
      return d;
    }
    return Die();
  }

  std::optional<Facts> describe(Dwarf_Die type, int depth) {
    if (depth > 64) return std::nullopt;
    Facts f;
    Die d = peel(offset_of(type));
    if (!d) return f;
    int t = tag(d.get());
    f.size = udata(d.get(), DW_AT_byte_size).value_or(0);
    switch (t) {
    case DW_TAG_base_type:
      f.kind = TypeKind::Integer;
      break;
    case DW_TAG_pointer_type:
      f.kind = TypeKind::Pointer;
      if (f.size == 0) f.size = 8;
      if (auto p = ref(d.get(), DW_AT_type)) {
        Die pd = offdie(*p);
        if (auto pf = describe(pd.get(), depth + 1)) f.element_size = pf->size;
      }
      break;
    case DW_TAG_array_type: {
      std::vector<uint64_t> dims;
      children(d.get(), [&](Dwarf_Die s) {
        uint64_t n = 0;
        if (auto c = udata(s, DW_AT_count)) {
          n = *c;
        } else if (auto ub = udata(s, DW_AT_upper_bound)) {
          n = *ub == ~uint64_t{0} ? 0 : *ub + 1;
        }
        dims.push_back(n);
        return false;
      });
      auto e = ref(d.get(), DW_AT_type);
      if (!e) return std::nullopt;
      Die ed = offdie(*e);
      auto ef = describe(ed.get(), depth + 1);
      if (!ef) return std::nullopt;
      uint64_t es = ef->size;
      for (size_t i = 1; i < dims.size(); ++i)
        es *= dims[i];
      f.kind = TypeKind::Array;
      f.array_length = dims.empty() ? 0 : dims[0];
      f.element_size = es;
      f.size = f.array_length * es;
      break;
    }
    case DW_TAG_structure_type:
      f.kind = TypeKind::Struct;
      break;
    case DW_TAG_union_type:
      f.kind = TypeKind::Union;
      break;
    case DW_TAG_enumeration_type:
      f.kind = TypeKind::Enum;
      break;
    default:
      break;
    }
    return f;
  }

  bool find_member(Dwarf_Die agg, std::string_view name, uint64_t base, int depth, Dwarf_Off* out,
                   uint64_t* out_base) {
    if (depth > 16) return false;
    bool hit = false;
    children(agg, [&](Dwarf_Die c) {
      if (tag(c) != DW_TAG_member) return false;
      char* n = nullptr;
      if (dwarf_diename(c, &n, nullptr) == DW_DLV_OK) {
        if (name != n) return false;
        *out = offset_of(c);
        *out_base = base;
        return hit = true;
      }
      auto t = ref(c, DW_AT_type);
      if (!t) return false;
      Die inner = peel(*t);
      if (!inner) return false;
      int it = tag(inner.get());
      if (it != DW_TAG_structure_type && it != DW_TAG_union_type) return false;
      uint64_t loc = udata(c, DW_AT_data_member_location).value_or(0);
      hit = find_member(inner.get(), name, base + loc, depth + 1, out, out_base);
      return hit;
    });
    return hit;
  }

  uint64_t kaslr_;
  Dwarf_Debug dbg_ = nullptr;
  int fd_ = -1;
  Elf* elf_ = nullptr;
  std::vector<Unit> units_;
  std::vector<size_t> preferred_;
  std::unordered_map<Dwarf_Off, Index> indexes_;
  std::unordered_map<std::string, std::optional<Entry>> found_;
  bool rest_built_ = false;
  Index rest_;
  std::unordered_map<std::string, std::pair<uint64_t, uint64_t>> globals_;
};

#endif // POWNER_BENCH_LIBDWARF

// ---------------------------------------------------------------------------------------

void evict(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

int usage() {
  std::fprintf(stderr,
               "usage: powner_bench_dwarf [--reader=libdw|libdwarf] [--cold] [--print] [--trace] "
               "VMLINUX\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::string reader = "libdw", path;
  bool cold = false, print = false, trace = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 9) == "--reader=") {
      reader = arg.substr(9);
    } else if (arg == "--cold") {
      cold = true;
    } else if (arg == "--print") {
      print = true;
    } else if (arg == "--trace") {
      trace = true;
    } else if (!arg.empty() && arg[0] != '-' && path.empty()) {
      path = arg;
    } else {
      return usage();
    }
  }
  if (path.empty() || (reader != "libdw" && reader != "libdwarf")) return usage();
#ifndef POWNER_BENCH_LIBDWARF
  if (reader == "libdwarf") {
    std::string self(4096, '\0');
    ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
    if (n <= 0) return 1;
    self.resize(static_cast<size_t>(n));
    std::string other = self + "_libdwarf";
    execv(other.c_str(), argv);
    std::perror(other.c_str());
    return 1;
  }
#else
  if (reader != "libdwarf") return usage();
#endif
  if (cold) evict(path);

  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  std::unique_ptr<powner::Types> types;
  try {
#ifdef POWNER_BENCH_LIBDWARF
    types = std::make_unique<LibdwarfTypes>(path, 0);
#else
    types = std::make_unique<powner::DwarfTypes>(path, 0);
#endif
  } catch (const powner::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  auto t1 = Clock::now();

  size_t resolved = 0;
  std::string misses;
  std::vector<std::string> lines;
  for (const Query& q : kWorkload) {
    auto q0 = Clock::now();
    char buf[256];
    bool ok = false;
    switch (q.what) {
    case Query::Size:
      if (auto s = types->size_of(q.a)) {
        ok = true;
        std::snprintf(buf, sizeof buf, "size %s = %llu", q.a, static_cast<unsigned long long>(*s));
      }
      break;
    case Query::Member:
      if (auto m = types->member(q.a, q.b)) {
        ok = true;
        std::snprintf(buf, sizeof buf,
                      "member %s.%s = off %llu size %llu bits %u:%u %s len %llu elem %llu", q.a,
                      q.b, static_cast<unsigned long long>(m->offset),
                      static_cast<unsigned long long>(m->size), m->bit_offset, m->bit_size,
                      kind_name(m->kind), static_cast<unsigned long long>(m->array_length),
                      static_cast<unsigned long long>(m->element_size));
      }
      break;
    case Query::Enumerator:
      if (auto v = types->enumerator(q.a)) {
        ok = true;
        std::snprintf(buf, sizeof buf, "enumerator %s = %lld", q.a, static_cast<long long>(*v));
      }
      break;
    case Query::Variable:
      if (auto v = types->variable(q.a, q.b ? q.b : "")) {
        ok = true;
        std::snprintf(buf, sizeof buf, "variable %s%s%s = %#llx size %llu %s len %llu elem %llu",
                      q.b ? q.b : "", q.b ? ":" : "", q.a,
                      static_cast<unsigned long long>(v->address),
                      static_cast<unsigned long long>(v->size), kind_name(v->kind),
                      static_cast<unsigned long long>(v->array_length),
                      static_cast<unsigned long long>(v->element_size));
      }
      break;
    }
    if (trace) {
      std::fprintf(stderr, "%8.2f ms  %s %s\n",
                   std::chrono::duration<double, std::milli>(Clock::now() - q0).count(), q.a,
                   q.b ? q.b : "");
    }
    if (ok) {
      ++resolved;
      if (print) lines.emplace_back(buf);
    } else {
      misses.append(" ").append(q.b && q.what == Query::Member ? std::string(q.a) + "." + q.b
                                                               : std::string(q.a));
      if (print)
        lines.push_back(std::string("missing ") + q.a + (q.b ? std::string(" ") + q.b : ""));
    }
  }
  auto t2 = Clock::now();
  // Split of the resident set while the reader is still alive: file-backed pages are the
  // mapped vmlinux (page cache, shared), anonymous ones are the reader's own memory.
  long rss_anon = -1, rss_file = -1;
  if (FILE* status = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, status) != nullptr) {
      std::sscanf(line, "RssAnon: %ld", &rss_anon);
      std::sscanf(line, "RssFile: %ld", &rss_file);
    }
    std::fclose(status);
  }
  types.reset();

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  for (const auto& l : lines)
    std::printf("%s\n", l.c_str());
  std::printf("reader=%s cold=%d open_ms=%.1f queries_ms=%.1f total_ms=%.1f maxrss_kb=%ld "
              "rss_anon_kb=%ld rss_file_kb=%ld resolved=%zu/%zu\nmissing:%s\n",
              reader.c_str(), cold ? 1 : 0, ms(t1 - t0), ms(t2 - t1), ms(t2 - t0), ru.ru_maxrss,
              rss_anon, rss_file, resolved, std::size(kWorkload), misses.c_str());
  return 0;
}
