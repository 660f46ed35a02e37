// SPDX-License-Identifier: GPL-2.0-or-later
// Everything the engine needs to know about one kernel, resolved once from the dump's own
// types, symbols and VMCOREINFO: struct layouts, global addresses, encodings that changed
// between versions (stack depot handles, pageblock bits, the "never migrated" sentinel,
// page-flags layout), and the few text-format differences that no type records.
#pragma once

#include "powner/memory.h"
#include "powner/types.h"
#include "powner/vmcoreinfo.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace powner {

struct FlagName {
  uint64_t mask;
  std::string name;
};

// page->flags bit layout (include/linux/page-flags-layout.h), derived, not hard-coded.
struct PageFlagsLayout {
  unsigned nr_pageflags = 0;
  unsigned sections_width = 0, sections_shift = 0;
  unsigned nodes_width = 0, nodes_shift = 0;
  unsigned zones_width = 0, zones_shift = 0;
  unsigned last_cpupid_width = 0, last_cpupid_shift = 0, last_cpupid_mask_bits = 0;
  unsigned kasan_tag_width = 0, kasan_tag_shift = 0;
  bool node_not_in_page_flags = false;
};

struct KernelModel {
  // -- version facts --------------------------------------------------------------------
  unsigned version_major = 0, version_minor = 0; // from OSRELEASE
  std::string release;
  bool prints_decimal_pfn = false; // "PFN %lu" before 6.2, "PFN 0x%lx" after
  bool prints_free_ts = false;     // ", free_ts %llu ns": 5.12 to 6.1
  bool prints_flag_fields = false; // %pGp adds node=, zone=...: 5.13+ (struct page_flags_fields)
  bool clamps_buddy_skip = false;  // 7.3: skip_buddy_pages() stops at MAX_ORDER_NR_PAGES
  bool has_stack_views = false;    // page_owner_stacks (6.10+)
  int64_t never_migrated = -1;     // MR_NEVER (7.3) or -1

  // -- sizes ----------------------------------------------------------------------------
  uint64_t page_size = 4096;
  unsigned page_shift = 12;
  uint64_t max_order = 10; // MAX_PAGE_ORDER
  uint64_t max_order_nr_pages = 1024;
  unsigned pageblock_order = 9;

  // -- struct page ----------------------------------------------------------------------
  uint64_t page_struct_size = 64;
  uint64_t page_flags_off = 0;
  uint64_t page_type_off = 0; // page_type (6.12+) or _mapcount (6.1)
  uint64_t page_private_off = 0;
  std::optional<uint64_t> page_memcg_data_off;
  uint64_t page_compound_off = 0;     // compound_info (7.x) / compound_head: bit 0 = tail
  std::optional<uint32_t> pgty_buddy; // 6.12+: (page_type >> 24) == PGTY_buddy
  uint32_t page_type_base = 0xf0000000, pg_buddy = 0x80; // 6.1 encoding
  std::optional<uint64_t> page_mapping_off; // page->mapping: bit 0 anon, bit 1 movable_ops/KSM
  // What allocated a page (powner top --by allocator). 6.12+: page types PGTY_slab and
  // PGTY_table; before: the page flag PG_slab and the page type PG_table (6.1's encoding).
  std::optional<uint32_t> pgty_slab, pgty_table; // 6.12+: (page_type >> 24) == PGTY_*
  std::optional<unsigned> pg_slab_bit;           // page->flags bit (before 6.10)
  std::optional<uint32_t> pg_slab_type;          // PG_slab in page_type (6.10, 6.11)
  std::optional<uint32_t> pg_table;              // PG_table in page_type (before 6.12)
  PageFlagsLayout flags_layout;

  // -- sparsemem ------------------------------------------------------------------------
  uint64_t mem_section = 0; // SYMBOL(mem_section)
  bool sparsemem_extreme = true;
  uint64_t nr_section_roots = 0, sections_per_root = 0, mem_section_size = 32;
  uint64_t ms_section_mem_map_off = 0, ms_usage_off = 8, ms_page_ext_off = 16;
  unsigned section_size_bits = 27, pfn_section_shift = 15;
  uint64_t section_map_mask = ~0x3fULL;
  uint64_t section_has_mem_map = 1u << 1, section_is_early = 1u << 3;
  // SPARSEMEM_VMEMMAP: pfn_to_page() is vmemmap + pfn, whatever section_mem_map says.
  std::optional<uint64_t> vmemmap;
  uint64_t usage_subsection_map_off = 16;
  uint64_t usage_pageblock_flags_off = 24;
  unsigned pages_per_subsection_shift = 9;
  std::optional<uint64_t> section_to_node_table; // NODE_NOT_IN_PAGE_FLAGS
  uint64_t section_to_node_entry_size = 2;
  uint64_t nr_mem_sections = 0;

  // -- page_ext / page_owner ------------------------------------------------------------
  uint64_t page_ext_size = 0;
  uint64_t page_owner_offset = 0; // page_owner_ops.offset
  unsigned page_ext_owner_bit = 0, page_ext_owner_allocated_bit = 1;
  uint64_t page_ext_invalid = 0x1;
  // struct page_owner. Fields came one by one: pid and ts_nsec in 5.11 (9cc7e96aa846),
  // free_ts_nsec in 5.12 (866b48526217), tgid and comm in 5.18 (bf215eab785a, 865ed6a32786),
  // free_pid and free_tgid after 6.1 (6.12 has them).
  struct {
    uint64_t size, order, last_migrate_reason, gfp_mask, handle, free_handle, comm_len;
    std::optional<uint64_t> ts_nsec, free_ts_nsec, comm, pid, tgid, free_pid, free_tgid;
  } po{};
  uint64_t min_low_pfn = 0, max_pfn = 0;
  bool page_owner_inited = false;

  // -- stack depot ----------------------------------------------------------------------
  bool depot_pool_index_plus_1 = true; // 6.12+; 6.1: slabindex + valid bit
  unsigned handle_index_bits = 17, handle_offset_bits = 10, handle_valid_bit = 0;
  unsigned depot_stack_align = 4;
  uint64_t depot_pools = 0;          // address of the pool pointer array
  uint64_t depot_pools_num = 0;      // when the model was read; a live kernel adds pools
  uint64_t depot_pools_num_addr = 0; // pools_num (6.1: depot_index, the last index used)
  uint64_t rec_size_off = 0, rec_entries_off = 0, rec_handle_off = 0;
  std::optional<uint64_t> rec_count_off; // refcount (6.12+)
  uint64_t rec_max_entries = 64;

  // -- page_owner_stacks ----------------------------------------------------------------
  uint64_t stack_list = 0; // &stack_list
  uint64_t stack_record_off = 0, stack_next_off = 8;
  uint64_t pages_threshold = 0;

  // -- names ----------------------------------------------------------------------------
  std::vector<FlagName> gfp_names, pageflag_names;
  std::vector<std::string> migratetype_names, migrate_reason_names;
  uint64_t gfp_movable = 0x8, gfp_reclaimable = 0x10; // from gfpflag_names when present
  bool mobility_disabled = false;                     // page_group_by_mobility_disabled

  // -- pageblocks -----------------------------------------------------------------------
  unsigned nr_pageblock_bits = 4;
  std::optional<unsigned> pb_isolate_bit; // 7.x: isolation is its own bit
  int64_t migrate_isolate = -1;

  // -- nodes ----------------------------------------------------------------------------
  unsigned max_numnodes = 1;
  std::vector<bool> memory_nodes; // node_states[N_MEMORY]
  std::vector<bool> possible_nodes;

  // -- memcg ----------------------------------------------------------------------------
  struct {
    bool present = false;
    bool objcg_for_all = true; // 7.2+: every charged folio stores an obj_cgroup
    bool skips_tail = false;   // 7.x: no memcg line for tail pages
    uint64_t flags_mask = 7, objexts_bit = 1, kmem_bit = 2;
    uint64_t objcg_memcg_off = 16;
    uint64_t memcg_css_off = 0, css_flags_off = 0, css_cgroup_off = 0;
    uint64_t cgroup_kn_off = 0, kn_name_off = 0, kn_parent_off = 0;
    std::optional<uint64_t> kn_id_off; // the cgroup id: kernfs_node.id, a u64 since 5.5
    uint64_t css_online = 2;
  } memcg;

  static KernelModel resolve(Memory& mem, Types& types, const VmcoreInfo& info);
};

} // namespace powner
