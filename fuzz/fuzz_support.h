// SPDX-License-Identifier: GPL-2.0-or-later
// What the fuzz targets share: a reader of the fuzzer's bytes, memory made of tiled byte
// patterns with holes, and the model of a real kernel (the 7.3 fixtures' x86_64 build).
#pragma once

#include "powner/kernel_model.h"
#include "powner/memory.h"
#include "x86_64_7_3_layout.h"

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
  testing::set_x86_64_7_3_layouts(m);
  m.release = "7.3.0-rc7";
  m.never_migrated = 10;
  m.max_order = 10;
  m.max_order_nr_pages = 1024;
  m.pageblock_order = 9;
  m.flags_layout.nr_pageflags = 21;
  m.nr_section_roots = 4096;
  m.sections_per_root = 128;
  m.section_size_bits = 27;
  m.pfn_section_shift = 15;
  m.section_map_mask = ~0xfULL;
  m.section_has_mem_map = 2;
  m.section_is_early = 8;
  m.pages_per_subsection_shift = 9;
  m.nr_mem_sections = 1ULL << 19;
  m.page_ext_invalid = 1;
  m.depot_pools_num = 5;
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
  return m;
}

} // namespace powner::fuzz
