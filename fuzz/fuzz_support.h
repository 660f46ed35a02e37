// SPDX-License-Identifier: GPL-2.0-or-later
// What the fuzz targets share: a reader of the fuzzer's bytes, memory made of tiled byte
// patterns with holes, and the model of a real kernel (the 7.3 fixtures' x86_64 build).
#pragma once

#include "powner/kernel_model.h"
#include "powner/memory.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace powner::fuzz {

// Takes values off the front of the input; past its end, zeros.
class Input {
public:
  Input(const uint8_t* data, size_t size) : p_(data), n_(size) {}

  template <typename T> T take() {
    T v{};
    size_t k = std::min(sizeof v, n_);
    std::memcpy(&v, p_, k);
    p_ += k;
    n_ -= k;
    return v;
  }
  // Up to len bytes.
  std::string_view bytes(size_t len) {
    size_t k = std::min(len, n_);
    std::string_view s(reinterpret_cast<const char*>(p_), k);
    p_ += k;
    n_ -= k;
    return s;
  }
  // A length-prefixed (u16) chunk.
  std::string_view chunk() { return bytes(take<uint16_t>()); }
  std::string_view rest() { return bytes(n_); }
  size_t left() const { return n_; }

private:
  const uint8_t* p_;
  size_t n_;
};

// Memory as regions [base, base + size), each filled by repeating a byte pattern, with some of
// its 4 KiB pages missing (page index modulo 64 picks a bit of the region's mask): big kernel
// structures from a few fuzzed bytes. A read fails unless it lies in one region and touches no
// missing page.
class TiledMemory final : public Memory {
public:
  void add(uint64_t base, uint64_t size, std::string_view pattern, uint64_t missing = 0) {
    regions_.push_back({base, size, std::string(pattern), missing});
  }

  bool read(uint64_t addr, void* out, size_t len) override {
    for (const Region& r : regions_) {
      if (addr < r.base || addr - r.base >= r.size || len > r.size - (addr - r.base)) continue;
      uint64_t off = addr - r.base;
      if (len == 0) return true;
      for (uint64_t page = off / 4096; page <= (off + len - 1) / 4096; page++)
        if (r.missing >> (page % 64) & 1) return false;
      auto* dst = static_cast<unsigned char*>(out);
      if (r.pattern.empty()) {
        std::memset(dst, 0, len);
        return true;
      }
      const uint64_t plen = r.pattern.size();
      for (size_t done = 0; done < len;) {
        uint64_t at = (off + done) % plen;
        size_t n = static_cast<size_t>(std::min<uint64_t>(plen - at, len - done));
        std::memcpy(dst + done, r.pattern.data() + at, n);
        done += n;
      }
      return true;
    }
    return false;
  }

private:
  struct Region {
    uint64_t base, size;
    std::string pattern;
    uint64_t missing;
  };
  std::vector<Region> regions_;
};

// The model KernelModel::resolve() builds for the 7.3 fixtures (x86_64, SPARSEMEM_VMEMMAP,
// 64 nodes), with the addresses left to the caller.
inline KernelModel fixed_model_7_3() {
  KernelModel m;
  m.version_major = 7;
  m.version_minor = 3;
  m.release = "7.3.0-rc7";
  m.prints_flag_fields = true;
  m.clamps_buddy_skip = true;
  m.has_stack_views = true;
  m.never_migrated = 10;
  m.page_size = 4096;
  m.page_shift = 12;
  m.max_order = 10;
  m.max_order_nr_pages = 1024;
  m.pageblock_order = 9;
  m.page_struct_size = 64;
  m.page_flags_off = 0;
  m.page_type_off = 48;
  m.page_private_off = 40;
  m.page_memcg_data_off = 56;
  m.page_compound_off = 8;
  m.pgty_buddy = 240;
  auto& l = m.flags_layout;
  l.nr_pageflags = 21;
  l.nodes_width = 6;
  l.nodes_shift = 58;
  l.zones_width = 2;
  l.zones_shift = 56;
  l.last_cpupid_width = 11;
  l.last_cpupid_shift = 45;
  l.last_cpupid_mask_bits = 11;
  m.sparsemem_extreme = true;
  m.nr_section_roots = 4096;
  m.sections_per_root = 128;
  m.mem_section_size = 32;
  m.ms_section_mem_map_off = 0;
  m.ms_usage_off = 8;
  m.ms_page_ext_off = 16;
  m.section_size_bits = 27;
  m.pfn_section_shift = 15;
  m.section_map_mask = ~0xfULL;
  m.section_has_mem_map = 2;
  m.section_is_early = 8;
  m.usage_subsection_map_off = 16;
  m.usage_pageblock_flags_off = 24;
  m.pages_per_subsection_shift = 9;
  m.nr_mem_sections = 1ULL << 19;
  m.page_ext_size = 72;
  m.page_owner_offset = 8;
  m.page_ext_owner_bit = 0;
  m.page_ext_owner_allocated_bit = 1;
  m.page_ext_invalid = 1;
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
  m.depot_pool_index_plus_1 = true;
  m.handle_index_bits = 17;
  m.handle_offset_bits = 10;
  m.depot_stack_align = 4;
  m.depot_pools_num = 5;
  m.rec_size_off = 20;
  m.rec_entries_off = 32;
  m.rec_handle_off = 24;
  m.rec_count_off = 28;
  m.rec_max_entries = 64;
  m.stack_record_off = 0;
  m.stack_next_off = 8;
  m.gfp_names = {{0xcc0, "GFP_KERNEL"},
                 {0x820, "GFP_ATOMIC"},
                 {0x8, "__GFP_MOVABLE"},
                 {0x10, "__GFP_RECLAIMABLE"},
                 {0x40, "__GFP_IO"},
                 {0x80, "__GFP_FS"},
                 {0x100, "__GFP_ZERO"},
                 {0x400, "__GFP_DIRECT_RECLAIM"},
                 {0x800, "__GFP_KSWAPD_RECLAIM"},
                 {0x40000, "__GFP_COMP"},
                 {0x400000, "__GFP_ACCOUNT"}};
  m.pageflag_names = {{0x1, "locked"}, {0x8, "uptodate"},    {0x20, "lru"},
                      {0x40, "head"},  {0x2000, "reserved"}, {0x20000, "swapbacked"}};
  m.migratetype_names = {"Unmovable", "Movable", "Reclaimable", "HighAtomic"};
  m.migrate_reason_names = {
      "compaction",      "memory_failure", "memory_hotplug", "syscall_or_cpuset",
      "mempolicy_mbind", "numa_misplaced", "contig_range",   "longterm_pin",
      "demotion",        "damon",          "never_migrated"};
  m.nr_pageblock_bits = 4;
  m.max_numnodes = 64;
  m.memory_nodes.assign(64, false);
  m.memory_nodes[0] = m.memory_nodes[1] = true;
  m.possible_nodes = m.memory_nodes;
  auto& c = m.memcg;
  c.present = true;
  c.objcg_for_all = true;
  c.skips_tail = true;
  c.flags_mask = 7;
  c.objexts_bit = 1;
  c.kmem_bit = 2;
  c.objcg_memcg_off = 16;
  c.memcg_css_off = 0;
  c.css_flags_off = 76;
  c.css_cgroup_off = 0;
  c.cgroup_kn_off = 296;
  c.kn_name_off = 16;
  c.kn_parent_off = 8;
  c.css_online = 2;
  return m;
}

} // namespace powner::fuzz
