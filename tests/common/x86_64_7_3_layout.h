// SPDX-License-Identifier: GPL-2.0-or-later
// The layouts x86_64 Linux 7.3 gives what the engine reads (as KernelModel::resolve() finds
// them in the 7.3 fixtures' build): struct page and its flags fields, mem_section and its
// usage, page_ext and struct page_owner, the stack depot's handle and stack_record, the memcg
// chain. The synthetic targets (core/tests/fake_target.h, fuzz/fuzz_support.h) start from it
// and choose their own sizes, addresses and name tables.
#pragma once

#include "powner/kernel_model.h"

namespace powner::testing {

inline void set_x86_64_7_3_layouts(KernelModel& m) {
  m.version_major = 7;
  m.version_minor = 3;
  m.prints_flag_fields = true;
  m.clamps_buddy_skip = true;
  m.has_stack_views = true;
  m.page_size = 4096;
  m.page_shift = 12;
  // struct page: flags, compound_info (lru), mapping, index, private, page_type, _refcount,
  // memcg_data
  m.page_struct_size = 64;
  m.page_flags_off = 0;
  m.page_compound_off = 8;
  m.page_private_off = 40;
  m.page_type_off = 48;
  m.page_memcg_data_off = 56;
  m.pgty_buddy = 0xf0;
  PageFlagsLayout& l = m.flags_layout;
  l.nodes_width = 6;
  l.nodes_shift = 58;
  l.zones_width = 2;
  l.zones_shift = 56;
  l.last_cpupid_width = 11;
  l.last_cpupid_shift = 45;
  l.last_cpupid_mask_bits = 11;
  // SPARSEMEM_EXTREME: struct mem_section and struct mem_section_usage
  m.sparsemem_extreme = true;
  m.mem_section_size = 32;
  m.ms_section_mem_map_off = 0;
  m.ms_usage_off = 8;
  m.ms_page_ext_off = 16;
  m.usage_subsection_map_off = 16;
  m.usage_pageblock_flags_off = 24;
  m.nr_pageblock_bits = 4;
  // page_ext: flags, then struct page_owner
  m.page_owner_offset = 8;
  m.page_ext_size = 8 + 64;
  m.page_ext_owner_bit = 0;
  m.page_ext_owner_allocated_bit = 1;
  m.po = {.size = 64,
          .order = 0,
          .last_migrate_reason = 2,
          .gfp_mask = 4,
          .handle = 8,
          .free_handle = 12,
          .comm_len = 16,
          .ts_nsec = 16,
          .free_ts_nsec = 24,
          .comm = 32,
          .pid = 48,
          .tgid = 52,
          .free_pid = 56,
          .free_tgid = 60};
  m.page_owner_inited = true;
  // stack depot, 6.12+: pool_index_plus_1:17, offset:10; stack_record: hash_list, hash, size,
  // handle, count, entries[]
  m.depot_pool_index_plus_1 = true;
  m.handle_index_bits = 17;
  m.handle_offset_bits = 10;
  m.depot_stack_align = 4;
  m.rec_size_off = 20;
  m.rec_handle_off = 24;
  m.rec_count_off = 28;
  m.rec_entries_off = 32;
  m.rec_max_entries = 64;
  m.stack_record_off = 0;
  m.stack_next_off = 8;
  m.max_numnodes = 64;
  m.memory_nodes.assign(64, false);
  m.memory_nodes[0] = m.memory_nodes[1] = true;
  m.possible_nodes = m.memory_nodes;
  // memcg, 7.2+: memcg_data holds an obj_cgroup, whose memcg is at 16; the css is at the start
  // of struct mem_cgroup
  auto& c = m.memcg;
  c.present = true;
  c.objcg_for_all = true;
  c.skips_tail = true;
  c.flags_mask = 7;
  c.objexts_bit = 1;
  c.kmem_bit = 2;
  c.objcg_memcg_off = 16;
  c.memcg_css_off = 0;
  c.css_cgroup_off = 0;
  c.css_flags_off = 76;
  c.cgroup_kn_off = 296;
  c.kn_parent_off = 8;
  c.kn_name_off = 16;
  c.css_online = 2;
}

} // namespace powner::testing
