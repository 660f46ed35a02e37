// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/kernel_model.h"

#include "powner/memory_reads.h"
#include "powner/status.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <fmt/format.h>

namespace powner {

namespace {

// Lookups that must succeed: a kernel without them is not one powner can read.
class Resolver {
public:
  Resolver(Memory& mem, Types& types, const VmcoreInfo& info)
      : mem_(mem), types_(types), info_(info) {}

  uint64_t size_of(std::string_view type) {
    if (auto s = types_.size_of(type)) return *s;
    throw Error(Status::NoDebugInfo, fmt::format("type information lacks {}", type));
  }
  MemberInfo member(std::string_view type, std::string_view name) {
    if (auto m = types_.member(type, name)) return *m;
    throw Error(Status::NoDebugInfo, fmt::format("type information lacks {}.{}", type, name));
  }
  uint64_t offset(std::string_view type, std::string_view name) {
    return member(type, name).offset;
  }
  std::optional<uint64_t> opt_offset(std::string_view type, std::string_view name) {
    if (auto m = types_.member(type, name)) return m->offset;
    return std::nullopt;
  }
  int64_t enumerator(std::string_view name) {
    if (auto v = types_.enumerator(name)) return *v;
    throw Error(Status::NoDebugInfo, fmt::format("type information lacks enumerator {}", name));
  }
  VariableInfo variable(std::string_view name, std::string_view file = {}) {
    if (auto v = types_.variable(name, file)) return *v;
    throw Error(Status::NoDebugInfo, fmt::format("type information lacks variable {}", name));
  }
  template <typename T> T read(uint64_t addr, std::string_view what) {
    if (auto v = read_value<T>(mem_, addr)) return *v;
    throw Error(Status::Corrupt, fmt::format("cannot read {} at {:#x} from the dump", what, addr));
  }
  uint64_t read_uint(uint64_t addr, uint64_t size, std::string_view what) {
    if (auto v = powner::read_uint(mem_, addr, size)) return *v;
    throw Error(Status::Corrupt, fmt::format("cannot read {} at {:#x} from the dump", what, addr));
  }
  std::string read_string(uint64_t addr, size_t max, std::string_view what) {
    if (auto s = read_c_string(mem_, addr, max)) return *s;
    throw Error(Status::Corrupt, fmt::format("cannot read {} at {:#x} from the dump", what, addr));
  }
  Memory& mem() { return mem_; }
  Types& types() { return types_; }
  const VmcoreInfo& info() { return info_; }

private:
  Memory& mem_;
  Types& types_;
  const VmcoreInfo& info_;
};

unsigned order_base_2(uint64_t n) {
  return n <= 1 ? 0 : 64 - std::countl_zero(n - 1);
}

void parse_release(KernelModel& m, std::string_view release) {
  m.release = std::string(release);
  const char* p = release.data();
  const char* end = p + release.size();
  auto r = std::from_chars(p, end, m.version_major);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.')
    throw Error(Status::NotADump, fmt::format("cannot parse the kernel release '{}'", release));
  std::from_chars(r.ptr + 1, end, m.version_minor);
}

bool at_least(const KernelModel& m, unsigned major, unsigned minor) {
  return m.version_major > major || (m.version_major == major && m.version_minor >= minor);
}

// struct trace_print_flags { unsigned long mask; const char *name; }[] up to {0, NULL}.
std::vector<FlagName> read_flag_names(Resolver& r, std::string_view symbol) {
  auto var = r.variable(symbol);
  uint64_t entries = var.array_length ? var.array_length : 128;
  std::vector<FlagName> names;
  for (uint64_t i = 0; i < std::min<uint64_t>(entries, 256); i++) {
    uint64_t mask = r.read<uint64_t>(var.address + 16 * i, symbol);
    uint64_t name = r.read<uint64_t>(var.address + 16 * i + 8, symbol);
    if (!name) break;
    names.push_back({mask, r.read_string(name, 64, symbol)});
  }
  return names;
}

// count: the enumerator that sizes the array, for when the variable's type is not known (BTF).
std::vector<std::string> read_name_array(Resolver& r, std::string_view symbol,
                                         std::string_view count, uint64_t limit) {
  auto var = r.variable(symbol);
  uint64_t n = var.array_length;
  if (!n) {
    auto v = r.types().enumerator(count);
    n = v && *v > 0 ? static_cast<uint64_t>(*v) : limit;
  }
  std::vector<std::string> names;
  for (uint64_t i = 0; i < std::min<uint64_t>(n, limit); i++) {
    uint64_t ptr = r.read<uint64_t>(var.address + 8 * i, symbol);
    names.push_back(ptr ? r.read_string(ptr, 64, symbol) : std::string("(null)"));
  }
  return names;
}

std::vector<bool> read_nodemask(Resolver& r, uint64_t addr, unsigned nbits) {
  std::vector<bool> nodes(nbits);
  for (unsigned word = 0; word < (nbits + 63) / 64; word++) {
    uint64_t bits = r.read<uint64_t>(addr + 8 * uint64_t{word}, "node_states");
    for (unsigned b = 0; b < 64 && word * 64 + b < nbits; b++)
      nodes[word * 64 + b] = bits >> b & 1;
  }
  return nodes;
}

void resolve_flags_layout(KernelModel& m, Resolver& r) {
  auto& l = m.flags_layout;
  Types& t = r.types();
  int64_t nr_pageflags = r.enumerator("__NR_PAGEFLAGS");
  if (nr_pageflags < 1 || nr_pageflags > 64)
    throw Error(Status::NoDebugInfo, fmt::format("implausible __NR_PAGEFLAGS {}", nr_pageflags));
  l.nr_pageflags = static_cast<unsigned>(nr_pageflags);
  auto zones = static_cast<unsigned>(r.enumerator("__MAX_NR_ZONES"));
  unsigned zones_shift = zones < 2 ? 0 : zones <= 2 ? 1 : zones <= 4 ? 2 : 3;
  unsigned nodes_shift = std::countr_zero(static_cast<uint64_t>(m.max_numnodes));
  // SPARSEMEM_VMEMMAP keeps no section number in page->flags (x86_64 always has it).
  bool vmemmap = t.variable("vmemmap_base").has_value() || r.info().symbol("vmemmap").has_value();
  unsigned physmem_bits = static_cast<unsigned>(r.info().number("MAX_PHYSMEM_BITS").value_or(46));
  unsigned sections_width = vmemmap ? 0 : physmem_bits - m.section_size_bits;
  unsigned lru_gen_width =
      t.member("struct lruvec", "lrugen") ? 3 : 0; // order_base_2(MAX_NR_GENS+1)
  unsigned room = 64 - l.nr_pageflags;
  unsigned nodes_width =
      zones_shift + lru_gen_width + sections_width + nodes_shift <= room ? nodes_shift : 0;
  unsigned last_cpupid_shift = 0;
  if (t.member("struct task_struct", "numa_scan_seq")) { // CONFIG_NUMA_BALANCING
    // NR_CPUS entries. Without the variable's type (BTF): its extent in kallsyms, which
    // alignment padding may lengthen, bounded by struct cpumask's bits (NR_CPUS rounded up to
    // whole longs: the same order_base_2 from 64 CPUs on).
    auto cpus = t.variable("__per_cpu_offset");
    uint64_t nr_cpus = cpus ? (cpus->array_length ? cpus->array_length : cpus->size / 8) : 1;
    if (cpus && !cpus->array_length)
      if (auto mask = t.size_of("struct cpumask"); mask && *mask)
        nr_cpus = std::min(nr_cpus, *mask * 8);
    last_cpupid_shift = 8 + order_base_2(nr_cpus ? nr_cpus : 1);
  }
  unsigned kasan_width = 0; // KASAN tags exist on arm64 only
  unsigned last_cpupid_width = zones_shift + lru_gen_width + sections_width + nodes_width +
                                           kasan_width + last_cpupid_shift <=
                                       room
                                   ? last_cpupid_shift
                                   : 0;
  l.sections_width = sections_width;
  l.nodes_width = nodes_width;
  l.zones_width = zones_shift;
  l.last_cpupid_width = last_cpupid_width;
  l.last_cpupid_mask_bits = last_cpupid_shift;
  l.kasan_tag_width = kasan_width;
  unsigned sections_pgoff = 64 - sections_width;
  unsigned nodes_pgoff = sections_pgoff - nodes_width;
  unsigned zones_pgoff = nodes_pgoff - zones_shift;
  unsigned last_cpupid_pgoff = zones_pgoff - last_cpupid_width;
  unsigned kasan_pgoff = last_cpupid_pgoff - kasan_width;
  l.sections_shift = sections_width ? sections_pgoff : 0;
  l.nodes_shift = nodes_width ? nodes_pgoff : 0;
  l.zones_shift = zones_shift ? zones_pgoff : 0;
  l.last_cpupid_shift = last_cpupid_width ? last_cpupid_pgoff : 0;
  l.kasan_tag_shift = kasan_width ? kasan_pgoff : 0;
  l.node_not_in_page_flags = nodes_shift != 0 && nodes_width == 0;
}

void resolve_sparsemem(KernelModel& m, Resolver& r) {
  const VmcoreInfo& info = r.info();
  auto sym = info.symbol("mem_section");
  if (!sym)
    throw Error(Status::NotADump, "VMCOREINFO has no SYMBOL(mem_section): not a SPARSEMEM kernel");
  m.section_size_bits = static_cast<unsigned>(info.number("SECTION_SIZE_BITS").value_or(27));
  unsigned physmem_bits = static_cast<unsigned>(info.number("MAX_PHYSMEM_BITS").value_or(46));
  m.nr_mem_sections = 1ULL << (physmem_bits - m.section_size_bits);
  auto var = r.types().variable("mem_section");
  if (var && (var->kind == TypeKind::Pointer || var->kind == TypeKind::Array)) {
    m.sparsemem_extreme = var->kind == TypeKind::Pointer;
  } else {
    // No type for it (BTF describes no such variable): LENGTH(mem_section) is NR_SECTION_ROOTS,
    // which is NR_MEM_SECTIONS itself only without SPARSEMEM_EXTREME.
    auto roots = info.length("mem_section");
    m.sparsemem_extreme = !roots || *roots != m.nr_mem_sections;
  }
  // SYMBOL(mem_section) is the value of the pointer with SPARSEMEM_EXTREME, the array otherwise.
  m.mem_section = *sym;
  m.mem_section_size = r.size_of("struct mem_section");
  if (m.mem_section_size == 0 || m.mem_section_size > m.page_size) // divides just below
    throw Error(Status::NoDebugInfo, "the type information of struct mem_section is implausible");
  m.ms_section_mem_map_off = r.offset("struct mem_section", "section_mem_map");
  m.ms_usage_off = r.offset("struct mem_section", "usage");
  auto page_ext = r.types().member("struct mem_section", "page_ext");
  if (!page_ext)
    throw Error(Status::NoPageOwner, "the kernel was built without CONFIG_PAGE_EXTENSION");
  m.ms_page_ext_off = page_ext->offset;
  m.pfn_section_shift = m.section_size_bits - m.page_shift;
  m.sections_per_root = m.sparsemem_extreme ? m.page_size / m.mem_section_size : 1;
  m.nr_section_roots =
      info.length("mem_section")
          .value_or((m.nr_mem_sections + m.sections_per_root - 1) / m.sections_per_root);
  auto bit = [&](std::string_view name, uint64_t fallback) {
    auto v = r.types().enumerator(name);
    if (v && (*v < 0 || *v > 63))
      throw Error(Status::NoDebugInfo, fmt::format("implausible {} {}", name, *v));
    return v ? static_cast<uint64_t>(*v) : fallback;
  };
  m.section_has_mem_map = 1ULL << bit("SECTION_HAS_MEM_MAP_BIT", 1);
  m.section_is_early = 1ULL << bit("SECTION_IS_EARLY_BIT", 3);
  m.section_map_mask = ~((1ULL << bit("SECTION_MAP_LAST_BIT", 5)) - 1);
  m.vmemmap = info.symbol("vmemmap");
  if (auto sub = r.types().member("struct mem_section_usage", "subsection_map"))
    m.usage_subsection_map_off = sub->offset;
  m.usage_pageblock_flags_off = r.offset("struct mem_section_usage", "pageblock_flags");
  m.pages_per_subsection_shift = 21 - m.page_shift; // SUBSECTION_SHIFT 21
  if (m.flags_layout.node_not_in_page_flags) {
    auto table = r.variable("section_to_node_table");
    m.section_to_node_table = table.address;
    m.section_to_node_entry_size = table.element_size ? table.element_size : 2;
  }
}

// What powner top --by allocator reads of a page, each probed. Slab: the page type PGTY_slab
// since 6.12 (4ffca5a96678, "mm: support only one page_type per page"); a page type PG_slab of
// enum pagetype in 6.10 and 6.11 (46df8e73a4a3, "mm: free up PG_slab"), told from the page flag
// PG_slab of enum pageflags before it by its value (a page type's bit is above __NR_PAGEFLAGS).
// Page tables: PGTY_table since 6.12, PG_table of enum pagetype in 6.10 and 6.11; before that
// PG_table is a #define, 0x00000200 in page_type under PAGE_TYPE_BASE 0xf0000000 since 4.18
// (1d40a5ea01d5, "mm: mark pages in use for page tables"; include/linux/page-flags.h of 5.10 and
// 6.1), the same encoding as pg_buddy's default.
void resolve_allocator_types(KernelModel& m, Resolver& r) {
  m.page_mapping_off = r.opt_offset("struct page", "mapping");
  Types& t = r.types();
  if (auto slab = t.enumerator("PGTY_slab")) {
    m.pgty_slab = static_cast<uint32_t>(*slab);
  } else if (auto pg_slab = t.enumerator("PG_slab")) {
    if (*pg_slab >= 0 && *pg_slab < m.flags_layout.nr_pageflags)
      m.pg_slab_bit = static_cast<unsigned>(*pg_slab);
    else
      m.pg_slab_type = static_cast<uint32_t>(*pg_slab);
  }
  if (auto table = t.enumerator("PGTY_table"))
    m.pgty_table = static_cast<uint32_t>(*table);
  else
    m.pg_table = static_cast<uint32_t>(t.enumerator("PG_table").value_or(0x200));
}

void resolve_page(KernelModel& m, Resolver& r) {
  m.page_struct_size = r.size_of("struct page");
  m.page_flags_off = r.offset("struct page", "flags");
  m.page_private_off = r.offset("struct page", "private");
  if (auto t = r.opt_offset("struct page", "page_type"))
    m.page_type_off = *t;
  else
    m.page_type_off = r.offset("struct page", "_mapcount");
  if (auto v = r.types().enumerator("PGTY_buddy"))
    m.pgty_buddy = static_cast<uint32_t>(*v);
  else if (auto b = r.types().enumerator("PG_buddy"))
    m.pg_buddy = static_cast<uint32_t>(*b);
  if (auto c = r.opt_offset("struct page", "compound_info"))
    m.page_compound_off = *c;
  else
    m.page_compound_off = r.offset("struct page", "compound_head");
  m.page_memcg_data_off = r.opt_offset("struct page", "memcg_data");
  resolve_allocator_types(m, r);
}

void resolve_page_owner(KernelModel& m, Resolver& r) {
  const std::string_view po = "struct page_owner";
  if (!r.types().size_of(po))
    throw Error(Status::NoPageOwner, "the kernel was built without CONFIG_PAGE_OWNER");
  m.po.size = r.size_of(po);
  m.po.order = r.offset(po, "order");
  m.po.last_migrate_reason = r.offset(po, "last_migrate_reason");
  m.po.gfp_mask = r.offset(po, "gfp_mask");
  m.po.handle = r.offset(po, "handle");
  m.po.free_handle = r.offset(po, "free_handle");
  m.po.ts_nsec = r.opt_offset(po, "ts_nsec");
  m.po.free_ts_nsec = r.opt_offset(po, "free_ts_nsec");
  if (r.opt_offset(po, "comm")) {
    auto comm = r.member(po, "comm");
    m.po.comm = comm.offset;
    m.po.comm_len = comm.size;
  }
  m.po.pid = r.opt_offset(po, "pid");
  m.po.tgid = r.opt_offset(po, "tgid");
  m.po.free_pid = r.opt_offset(po, "free_pid");
  m.po.free_tgid = r.opt_offset(po, "free_tgid");

  auto ops = r.variable("page_owner_ops");
  m.page_owner_offset = r.read<uint64_t>(
      ops.address + r.offset("struct page_ext_operations", "offset"), "page_owner_ops.offset");
  m.page_ext_size = r.read<uint64_t>(r.variable("page_ext_size").address, "page_ext_size");
  // (page_owner_offset comes from the dump: compared so that no sum can wrap)
  if (m.page_ext_size > 4096 || m.page_ext_size < 8 || m.page_owner_offset < 8 ||
      m.page_owner_offset > m.page_ext_size || m.po.size > m.page_ext_size - m.page_owner_offset)
    throw Error(
        Status::NoPageOwner,
        fmt::format("page_ext_size is {} and page_owner's offset in it {}: page_owner was not "
                    "enabled at boot (page_owner=on)",
                    m.page_ext_size, m.page_owner_offset));
  m.page_ext_owner_bit = static_cast<unsigned>(r.enumerator("PAGE_EXT_OWNER"));
  m.page_ext_owner_allocated_bit = static_cast<unsigned>(r.enumerator("PAGE_EXT_OWNER_ALLOCATED"));
  // A static key: struct static_key_false { struct static_key key { atomic_t enabled; ... } }.
  auto inited = r.variable("page_owner_inited");
  m.page_owner_inited = r.read<int32_t>(inited.address, "page_owner_inited") > 0;
  if (auto v = r.types().variable("min_low_pfn"))
    m.min_low_pfn = r.read<uint64_t>(v->address, "min_low_pfn");
  m.max_pfn = r.read<uint64_t>(r.variable("max_pfn").address, "max_pfn");
  if (auto never = r.types().enumerator("MR_NEVER")) m.never_migrated = *never;
}

void resolve_stack_depot(KernelModel& m, Resolver& r) {
  const std::string_view file = "lib/stackdepot.c";
  Types& t = r.types();
  if (auto index = t.member("union handle_parts", "pool_index_plus_1")) {
    m.depot_pool_index_plus_1 = true;
    m.handle_index_bits = index->bit_size;
    m.handle_offset_bits = r.member("union handle_parts", "offset").bit_size;
    auto pools = r.variable("stack_pools", file);
    // Without its type (BTF): a pointer to an allocated array since 7.2, an array before.
    bool pointer =
        pools.kind == TypeKind::Pointer || (pools.kind != TypeKind::Array && at_least(m, 7, 2));
    if (pointer)
      m.depot_pools = r.read<uint64_t>(pools.address, "stack_pools");
    else
      m.depot_pools = pools.address;
  } else {
    m.depot_pool_index_plus_1 = false; // 6.1: slabindex, offset, valid
    m.handle_index_bits = r.member("union handle_parts", "slabindex").bit_size;
    m.handle_offset_bits = r.member("union handle_parts", "offset").bit_size;
    m.handle_valid_bit = m.handle_index_bits + m.handle_offset_bits;
    m.depot_pools = r.variable("stack_slabs", file).address;
  }
  if (auto n = t.variable("pools_num", file)) {
    m.depot_pools_num_addr = n->address;
    m.depot_pools_num = static_cast<uint64_t>(r.read<int32_t>(n->address, "pools_num"));
  } else {
    // 6.1 keeps the highest used slab index.
    m.depot_pools_num_addr = r.variable("depot_index", file).address;
    m.depot_pools_num =
        static_cast<uint64_t>(r.read<int32_t>(m.depot_pools_num_addr, "depot_index")) + 1;
  }
  const std::string_view rec = "struct stack_record";
  m.rec_size_off = r.offset(rec, "size");
  auto entries = r.member(rec, "entries");
  m.rec_entries_off = entries.offset;
  // entries[CONFIG_STACKDEPOT_MAX_FRAMES] bounds a record; entries[] (6.1) and entries[1]
  // (5.10) are variable-sized, and 64 frames is then far above what any caller saves.
  m.rec_max_entries = entries.array_length > 1 ? entries.array_length : 64;
  m.rec_handle_off = r.offset(rec, "handle");
  m.rec_count_off = r.opt_offset(rec, "count");
}

void resolve_stack_views(KernelModel& m, Resolver& r) {
  const std::string_view file = "mm/page_owner.c";
  auto list = r.types().variable("stack_list", file);
  if (!list) return;
  m.has_stack_views = true;
  m.stack_list = list->address;
  m.stack_record_off = r.offset("struct stack", "stack_record");
  m.stack_next_off = r.offset("struct stack", "next");
  // 7.3 renamed page_owner_pages_threshold to pages_threshold.
  auto th = r.types().variable("pages_threshold", file);
  if (!th) th = r.types().variable("page_owner_pages_threshold", file);
  if (th) m.pages_threshold = r.read<uint64_t>(th->address, "pages_threshold");
}

void resolve_names(KernelModel& m, Resolver& r) {
  m.gfp_names = read_flag_names(r, "gfpflag_names");
  m.pageflag_names = read_flag_names(r, "pageflag_names");
  for (const auto& n : m.gfp_names) {
    if (n.name == "__GFP_MOVABLE") m.gfp_movable = n.mask;
    if (n.name == "__GFP_RECLAIMABLE") m.gfp_reclaimable = n.mask;
  }
  m.migratetype_names = read_name_array(r, "migratetype_names", "MIGRATE_TYPES", 16);
  m.migrate_reason_names = read_name_array(r, "migrate_reason_names", "MR_TYPES", 32);
  if (auto v = r.types().variable("page_group_by_mobility_disabled"))
    m.mobility_disabled = r.read<int32_t>(v->address, "page_group_by_mobility_disabled") != 0;
}

// pageblock_order is a macro: min(HUGETLB_PAGE_ORDER, MAX_PAGE_ORDER) with HUGETLB_PAGE, the
// same with HPAGE_PMD_ORDER for THP on newer kernels (6.12 has it, 6.1 does not), else
// MAX_PAGE_ORDER. The dump tells it: sparse_init() carves the boot sections' usage maps
// (pageblock bits included) from one array, so the distance between two consecutive
// sections' usage pointers is the per-section usage size, which depends on pageblock_order.
unsigned derive_pageblock_order(const KernelModel& m, Resolver& r) {
  auto usage_of = [&](uint64_t nr) -> uint64_t {
    uint64_t ms = m.mem_section + nr * m.mem_section_size;
    if (m.sparsemem_extreme) {
      auto root = read_value<uint64_t>(r.mem(), m.mem_section + 8 * (nr / m.sections_per_root));
      if (!root || !*root) return 0;
      ms = *root + (nr % m.sections_per_root) * m.mem_section_size;
    }
    return read_value<uint64_t>(r.mem(), ms + m.ms_usage_off).value_or(0);
  };
  uint64_t per_section = m.pfn_section_shift;
  for (uint64_t nr = 0; nr + 1 < std::min<uint64_t>(m.nr_mem_sections, 64); nr++) {
    uint64_t a = usage_of(nr), b = usage_of(nr + 1);
    if (!a || !b || b <= a) continue;
    for (unsigned order = 0; order <= m.max_order && order <= per_section; order++) {
      uint64_t bits = (1ULL << (per_section - order)) * m.nr_pageblock_bits;
      if (b - a == m.usage_pageblock_flags_off + (bits + 63) / 64 * 8) return order;
    }
    break;
  }
  // No two boot sections in a row (a small machine, or arm64's 512 MiB sections with 64 KiB
  // pages): fall back on what the configuration allows. With huge pages that is the PMD order,
  // one page table's worth of 8-byte entries: PAGE_SHIFT - 3 (9 with 4 KiB pages, 13 with 64 KiB).
  bool huge = r.types().variable("hstates") || r.types().variable("transparent_hugepage_flags");
  return static_cast<unsigned>(huge ? std::min<uint64_t>(m.page_shift - 3, m.max_order)
                                    : m.max_order);
}

void resolve_pageblocks(KernelModel& m, Resolver& r) {
  Types& t = r.types();
  auto nr_bits = [](int64_t v, bool ceil) {
    if (v < 1 || v > 64)
      throw Error(Status::NoDebugInfo, fmt::format("implausible number of pageblock bits {}", v));
    return ceil ? std::bit_ceil(static_cast<unsigned>(v)) : static_cast<unsigned>(v);
  };
  if (auto iso = t.enumerator("PB_migrate_isolate")) {
    if (*iso < 0 || *iso > 63)
      throw Error(Status::NoDebugInfo, fmt::format("implausible PB_migrate_isolate {}", *iso));
    m.pb_isolate_bit = static_cast<unsigned>(*iso);
    m.nr_pageblock_bits = nr_bits(r.enumerator("__NR_PAGEBLOCK_BITS"), true);
  } else if (auto nr = t.enumerator("__NR_PAGEBLOCK_BITS")) {
    m.nr_pageblock_bits = nr_bits(*nr, true);
  } else {
    m.nr_pageblock_bits = nr_bits(r.enumerator("NR_PAGEBLOCK_BITS"), false);
  }
  if (auto iso = t.enumerator("MIGRATE_ISOLATE")) m.migrate_isolate = *iso;
  m.pageblock_order = derive_pageblock_order(m, r);
}

void resolve_nodes(KernelModel& m, Resolver& r) {
  const VmcoreInfo& info = r.info();
  Types& t = r.types();
  // MAX_NUMNODES: x86_64's VMCOREINFO gives LENGTH(node_data); elsewhere (arm64's generic
  // arch_numa.c) a type tells, BTF's too: struct zonelist holds MAX_NUMNODES * MAX_NR_ZONES + 1
  // zonerefs (MAX_ZONES_PER_ZONELIST, since 2.6.26). node_data's own array type is DWARF's only.
  uint64_t n = info.length("node_data").value_or(0);
  if (!n) {
    auto list = t.size_of("struct zonelist");
    auto ref = t.size_of("struct zoneref");
    auto zones = t.enumerator("__MAX_NR_ZONES");
    if (list && ref && *ref && zones && *zones > 0 && *list % *ref == 0 && *list / *ref > 1 &&
        (*list / *ref - 1) % static_cast<uint64_t>(*zones) == 0)
      n = (*list / *ref - 1) / static_cast<uint64_t>(*zones);
  }
  if (!n) {
    if (auto nd = t.variable("node_data")) n = nd->array_length;
  }
  if (!n || n > (1u << 10) || !std::has_single_bit(n)) n = 1;
  m.max_numnodes = static_cast<unsigned>(n);
  auto states = r.variable("node_states");
  uint64_t nodemask_size = states.element_size ? states.element_size : (n + 63) / 64 * 8;
  auto memory = r.enumerator("N_MEMORY");
  auto possible = r.enumerator("N_POSSIBLE");
  m.memory_nodes = read_nodemask(r, states.address + nodemask_size * static_cast<uint64_t>(memory),
                                 m.max_numnodes);
  m.possible_nodes = read_nodemask(
      r, states.address + nodemask_size * static_cast<uint64_t>(possible), m.max_numnodes);
}

void resolve_memcg(KernelModel& m, Resolver& r) {
  Types& t = r.types();
  // The memcg lines came with fcf8935832b8 ("mm/page_owner: print memcg information", 5.18),
  // whose helper is inlined: memcg_data (5.11) alone does not tell.
  if (!m.page_memcg_data_off || !t.size_of("struct mem_cgroup") || !at_least(m, 5, 18)) return;
  auto& c = m.memcg;
  c.present = true;
  // The pointer in memcg_data is masked with MEMCG_DATA_FLAGS_MASK (6.1) or
  // OBJEXTS_FLAGS_MASK (6.12+), each one less than its "next bit" enumerator.
  if (auto objcgs = t.enumerator("MEMCG_DATA_OBJCGS")) { // 6.1
    c.objexts_bit = static_cast<uint64_t>(*objcgs);
    c.flags_mask = static_cast<uint64_t>(t.enumerator("__NR_MEMCG_DATA_FLAGS").value_or(4)) - 1;
  } else {
    c.objexts_bit = static_cast<uint64_t>(t.enumerator("MEMCG_DATA_OBJEXTS").value_or(1));
    c.flags_mask = static_cast<uint64_t>(t.enumerator("__NR_OBJEXTS_FLAGS").value_or(8)) - 1;
  }
  c.kmem_bit = static_cast<uint64_t>(r.enumerator("MEMCG_DATA_KMEM"));
  // 7.2 charges every folio through an obj_cgroup. Before, an LRU folio's memcg_data is its
  // mem_cgroup: 6.12.117's print_page_owner_memcg() reads it as an obj_cgroup anyway (a
  // stable backport), which prints garbage or faults; powner prints the charged memcg, as
  // the kernel/ series' fix for 6.12 does.
  c.objcg_for_all = at_least(m, 7, 2);
  c.skips_tail = at_least(m, 7, 2);
  c.objcg_memcg_off = r.offset("struct obj_cgroup", "memcg");
  c.memcg_css_off = r.offset("struct mem_cgroup", "css");
  c.css_flags_off = r.offset("struct cgroup_subsys_state", "flags");
  c.css_cgroup_off = r.offset("struct cgroup_subsys_state", "cgroup");
  c.cgroup_kn_off = r.offset("struct cgroup", "kn");
  c.kn_name_off = r.offset("struct kernfs_node", "name");
  if (auto id = t.member("struct kernfs_node", "id"); id && id->size == 8) c.kn_id_off = id->offset;
  if (auto p = r.opt_offset("struct kernfs_node", "__parent"))
    c.kn_parent_off = *p;
  else
    c.kn_parent_off = r.offset("struct kernfs_node", "parent");
  c.css_online = static_cast<uint64_t>(t.enumerator("CSS_ONLINE").value_or(2)); // a mask
}

// The offsets, sizes and bit numbers the walk and the decoders use on buffers and in shifts,
// checked once: a wrong or damaged vmlinux must not turn into reads past a buffer, shifts past
// 63 or huge allocations.
void check_layout(const KernelModel& m) {
  auto fits = [](uint64_t off, uint64_t len, uint64_t size) {
    return off <= size && len <= size - off;
  };
  auto fits_opt = [&](const std::optional<uint64_t>& off, uint64_t len, uint64_t size) {
    return !off || fits(*off, len, size);
  };
  const auto& po = m.po;
  const uint64_t ps = m.page_struct_size, ms = m.mem_section_size;
  std::string_view bad;
  if (ps < 8 || ps > 256 || !fits(m.page_flags_off, 8, ps) || !fits(m.page_type_off, 4, ps) ||
      !fits(m.page_private_off, 8, ps) || !fits(m.page_compound_off, 8, ps) ||
      (m.page_memcg_data_off && !fits(*m.page_memcg_data_off, 8, ps)) ||
      (m.page_mapping_off && !fits(*m.page_mapping_off, 8, ps)))
    bad = "struct page";
  else if (ms == 0 || ms > m.page_size || !fits(m.ms_section_mem_map_off, 8, ms) ||
           !fits(m.ms_usage_off, 8, ms) || !fits(m.ms_page_ext_off, 8, ms))
    bad = "struct mem_section";
  else if (!fits(po.order, 2, po.size) || !fits(po.last_migrate_reason, 2, po.size) ||
           !fits(po.gfp_mask, 4, po.size) || !fits(po.handle, 4, po.size) ||
           !fits(po.free_handle, 4, po.size) || !fits_opt(po.ts_nsec, 8, po.size) ||
           !fits_opt(po.free_ts_nsec, 8, po.size) || !fits_opt(po.comm, po.comm_len, po.size) ||
           !fits_opt(po.pid, 4, po.size) || !fits_opt(po.tgid, 4, po.size) ||
           !fits_opt(po.free_pid, 4, po.size) || !fits_opt(po.free_tgid, 4, po.size))
    bad = "struct page_owner";
  else if (m.page_ext_owner_bit > 63 || m.page_ext_owner_allocated_bit > 63)
    bad = "enum page_ext_flags";
  else if (m.handle_index_bits == 0 || m.handle_offset_bits == 0 ||
           m.handle_index_bits + m.handle_offset_bits > 31)
    bad = "union handle_parts";
  else if (m.rec_max_entries == 0 || m.rec_max_entries > 4096)
    bad = "struct stack_record";
  else if (m.pb_isolate_bit && *m.pb_isolate_bit >= m.nr_pageblock_bits)
    bad = "the pageblock flags";
  if (!bad.empty())
    throw Error(
        Status::NoDebugInfo,
        fmt::format("the type information of {} is implausible: is the vmlinux the dump's?", bad));
  // One memory section's struct pages and page_ext are read into buffers.
  const uint64_t pages_per_section = 1ULL << m.pfn_section_shift;
  if (pages_per_section * ps > (64u << 20) || pages_per_section * m.page_ext_size > (64u << 20))
    throw Error(Status::Corrupt, "implausible memory section size");
}

} // namespace

KernelModel KernelModel::resolve(Memory& mem, Types& types, const VmcoreInfo& info) {
  KernelModel m;
  Resolver r(mem, types, info);
  parse_release(m, info.osrelease());
  // No type or symbol records these two text changes: "mm/page_owner/cma: show pfn in
  // cma/page_onwer with hex format" (6.5) and "mm/page_owner: remove free_ts from page_owner
  // output" (6.7).
  m.prints_decimal_pfn = !at_least(m, 6, 5);
  m.clamps_buddy_skip = at_least(m, 7, 3);
  if (auto s = info.get("PAGESIZE")) {
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), m.page_size);
    if (ec != std::errc() || end != s->data() + s->size())
      throw Error(Status::NotADump, fmt::format("implausible PAGESIZE {}", *s));
  }
  if (!std::has_single_bit(m.page_size) || m.page_size < 4096 || m.page_size > 65536)
    throw Error(Status::NotADump, fmt::format("implausible PAGESIZE {}", m.page_size));
  m.page_shift = static_cast<unsigned>(std::countr_zero(m.page_size));
  // The section geometry sizes the walk's buffers and shifts: check it before anything uses it.
  const int64_t section_bits = info.number("SECTION_SIZE_BITS").value_or(27);
  const int64_t physmem_bits = info.number("MAX_PHYSMEM_BITS").value_or(46);
  if (section_bits <= m.page_shift || section_bits - m.page_shift > 16 ||
      physmem_bits < section_bits || physmem_bits > 64 || physmem_bits - section_bits > 28)
    throw Error(Status::Corrupt,
                fmt::format("implausible VMCOREINFO: SECTION_SIZE_BITS={} MAX_PHYSMEM_BITS={}",
                            section_bits, physmem_bits));
  m.section_size_bits = static_cast<unsigned>(section_bits);
  if (auto orders = info.length("zone.free_area"); orders && *orders >= 1 && *orders <= 20)
    m.max_order = *orders - 1;
  m.max_order_nr_pages = 1ULL << m.max_order;

  resolve_nodes(m, r);
  resolve_flags_layout(m, r);
  resolve_page(m, r);
  resolve_sparsemem(m, r);
  resolve_page_owner(m, r);
  m.prints_free_ts = m.po.free_ts_nsec && !at_least(m, 6, 7);
  // c244297acbe5 "vsprintf: dump full information of page flags in pGp" (5.13) made %pGp print the
  // flags word and its fields through a table of struct page_flags_fields; before,
  // print_page_owner() printed "%#lx(%pGp)" and %pGp the flag names alone.
  m.prints_flag_fields = types.size_of("struct page_flags_fields").has_value();
  resolve_stack_depot(m, r);
  resolve_stack_views(m, r);
  resolve_names(m, r);
  resolve_pageblocks(m, r);
  resolve_memcg(m, r);
  check_layout(m);
  return m;
}

} // namespace powner
