// SPDX-License-Identifier: GPL-2.0-or-later
// Test doubles: memory made of byte ranges, types that know nothing, and a small fake kernel
// (sparsemem sections, struct page, page_ext with page_owner, the stack depot, stack_list and
// memory cgroups) laid out in that memory, with the KernelModel that describes it.
#pragma once

#include "powner/kallsyms.h"
#include "powner/kernel_model.h"
#include "powner/memory.h"
#include "powner/stack_depot.h"
#include "powner/types.h"
#include "powner/vmcoreinfo.h"
#include "x86_64_7_3_layout.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace powner::testing {

class FakeMemory : public Memory {
public:
  // Places bytes at addr: inside an existing range they overwrite it, anywhere else they make
  // a new range (which must not overlap another).
  void put(uint64_t addr, const void* data, size_t len) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    if (auto* r = range_holding(addr, len)) {
      std::memcpy(r->data() + (addr - range_start_), bytes, len);
      return;
    }
    ranges_[addr].assign(bytes, bytes + len);
  }
  template <typename T> void put_value(uint64_t addr, T value) { put(addr, &value, sizeof value); }
  // A NUL-terminated string.
  void put_string(uint64_t addr, std::string_view s) {
    std::string z(s);
    put(addr, z.c_str(), z.size() + 1);
  }
  // len zero bytes.
  void put_zeros(uint64_t addr, size_t len) {
    std::vector<unsigned char> zeros(len);
    put(addr, zeros.data(), len);
  }
  // Takes the range that starts at addr out of memory, as a dump that lacks it.
  void drop(uint64_t addr) {
    if (ranges_.erase(addr) != 1) throw std::logic_error("no range starts there");
  }
  // Ranges that meet read as one, as the memory of a dump does.
  bool read(uint64_t addr, void* out, size_t len) override {
    auto* dst = static_cast<unsigned char*>(out);
    while (len) {
      auto it = ranges_.upper_bound(addr);
      if (it == ranges_.begin()) return false;
      --it;
      uint64_t off = addr - it->first;
      if (off >= it->second.size()) return false;
      size_t n = std::min<size_t>(len, it->second.size() - off);
      std::memcpy(dst, it->second.data() + off, n);
      dst += n;
      addr += n;
      len -= n;
    }
    return true;
  }

private:
  std::vector<unsigned char>* range_holding(uint64_t addr, size_t len) {
    auto it = ranges_.upper_bound(addr);
    if (it == ranges_.begin()) return nullptr;
    --it;
    uint64_t off = addr - it->first;
    if (off + len > it->second.size()) return nullptr;
    range_start_ = it->first;
    return &it->second;
  }

  std::map<uint64_t, std::vector<unsigned char>> ranges_;
  uint64_t range_start_ = 0;
};

// A 7.3-like x86_64 NUMA kernel, shrunk: 64-page sections (8 of them, two per mem_section root),
// MAX_PAGE_ORDER 3, pageblock order 3, 4-page subsections, SPARSEMEM_VMEMMAP. Its struct page,
// page_ext, struct page_owner, stack_record and page-flags layouts are those of x86_64 7.3; the
// name tables hold the entries the tests print, in the kernel's order. Tests change model
// (before the depot is first used) to play other versions.
class FakeKernel {
public:
  static constexpr uint64_t kMemSection = 0xffffffff83000000; // the root pointers
  static constexpr uint64_t kRoots = 0xffff888000100000;      // root r at + r * 0x1000
  static constexpr uint64_t kUsage = 0xffff888000200000;      // section nr at + nr * 0x100
  static constexpr uint64_t kVmemmap = 0xffffea0000000000;    // struct page of pfn 0
  static constexpr uint64_t kPageExt = 0xffff888001000000;    // section nr at + nr * 0x10000
  static constexpr uint64_t kPools = 0xffffffff83100000;      // stack_pools[]
  static constexpr uint64_t kPoolsNum = 0xffffffff83100800;   // pools_num
  static constexpr uint64_t kPool0 = 0xffff888002000000;      // the one pool
  static constexpr uint64_t kStackList = 0xffffffff83200000;  // &stack_list
  static constexpr uint64_t kHeap = 0xffff888003000000;       // everything else
  static constexpr unsigned kSectionShift = 6;                // PFN_SECTION_SHIFT
  static constexpr uint64_t kPagesPerSection = 1ULL << kSectionShift;
  static constexpr uint64_t kSections = 8;
  static constexpr uint64_t kNodeShift = 58; // page->flags: node at 58, zone at 56
  // page->flags of a page of node 0, zone 0 that never ran on a CPU (lastcpupid all ones)
  static constexpr uint64_t kFlagsNode0 = 0xffe00000000000;
  static constexpr uint32_t kPgtyBuddy = 0xf0;

  FakeKernel() {
    KernelModel& m = model;
    testing::set_x86_64_7_3_layouts(m);
    m.release = "7.3.0";
    m.prints_decimal_pfn = false;
    m.prints_free_ts = false;
    m.never_migrated = -1;
    m.max_order = 3;
    m.max_order_nr_pages = 8;
    m.pageblock_order = 3;
    m.pgty_buddy = kPgtyBuddy;
    m.flags_layout.nr_pageflags = 22;
    m.mem_section = kMemSection;
    m.nr_section_roots = kSections / 2;
    m.sections_per_root = 2;
    m.section_size_bits = kSectionShift + 12;
    m.pfn_section_shift = kSectionShift;
    m.vmemmap = kVmemmap;
    m.pages_per_subsection_shift = 2;
    m.nr_mem_sections = kSections;
    m.min_low_pfn = 0;
    m.max_pfn = kSections * kPagesPerSection;
    m.depot_pools = kPools;
    m.depot_pools_num = 1;
    m.depot_pools_num_addr = kPoolsNum;
    m.stack_list = kStackList;
    m.gfp_names = {
        {0x100cca, "GFP_HIGHUSER_MOVABLE"},
        {0x100cc2, "GFP_HIGHUSER"},
        {0x400cc0, "GFP_KERNEL_ACCOUNT"},
        {0xcc0, "GFP_KERNEL"},
        {0x10, "__GFP_RECLAIMABLE"},
        {0x100, "__GFP_ZERO"},
        {0x2000, "__GFP_NOWARN"},
        {0x10000, "__GFP_NORETRY"},
        {0x40000, "__GFP_COMP"},
        {0x80000, "__GFP_NOMEMALLOC"},
        {0x8, "__GFP_MOVABLE"},
        {0x400000, "__GFP_ACCOUNT"},
    };
    m.pageflag_names = {
        {1u << 2, "referenced"}, {1u << 3, "uptodate"},    {1u << 4, "dirty"},
        {1u << 5, "lru"},        {1u << 9, "workingset"},  {1u << 11, "owner_2"},
        {1u << 6, "head"},       {1u << 17, "swapbacked"},
    };
    m.migratetype_names = {"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate"};
    m.migrate_reason_names = {
        "compaction",      "memory_failure", "memory_hotplug", "syscall_or_cpuset",
        "mempolicy_mbind", "numa_misplaced", "contig_range",   "longterm_pin",
        "demotion",        "damon"};
    m.gfp_movable = 0x8;
    m.gfp_reclaimable = 0x10;

    mem.put_zeros(kMemSection, 8 * m.nr_section_roots);
    mem.put_zeros(kPools, size_t{8} * 16);
    mem.put_value<uint64_t>(kPools, kPool0);
    mem.put_value<int32_t>(kPoolsNum, 1);
    mem.put_zeros(kPool0, 1u << (m.handle_offset_bits + m.depot_stack_align));
    mem.put_value<uint64_t>(kStackList, 0);
  }
  FakeKernel(const FakeKernel&) = delete;
  FakeKernel& operator=(const FakeKernel&) = delete;

  // -- memory sections ------------------------------------------------------------------------
  struct SectionOptions {
    bool early = true;               // SECTION_IS_EARLY: every pfn valid
    uint64_t subsection_map = ~0ULL; // for a section that is not early
    bool page_ext = true;            // ms->page_ext set (else PAGE_EXT_INVALID)
  };
  // A present section with a zeroed mem_map and page_ext (no owner), pageblocks Unmovable.
  void add_section(uint64_t nr, SectionOptions o) {
    const KernelModel& m = model;
    uint64_t root = nr / m.sections_per_root;
    uint64_t root_addr = kRoots + root * 0x1000;
    if (!read_u64(kMemSection + 8 * root)) {
      for (uint64_t i = 0; i < m.sections_per_root; i++) // one range each: drop_section()
        mem.put_zeros(root_addr + i * m.mem_section_size, m.mem_section_size);
      mem.put_value<uint64_t>(kMemSection + 8 * root, root_addr);
    }
    uint64_t start_pfn = nr << kSectionShift;
    uint64_t usage = kUsage + nr * 0x100;
    mem.put_zeros(usage, 0x100);
    mem.put_value<uint64_t>(usage + m.usage_subsection_map_off, o.subsection_map);
    mem.put_zeros(page_addr(start_pfn), kPagesPerSection * m.page_struct_size);
    uint64_t ext_base = kPageExt + nr * 0x10000;
    mem.put_zeros(ext_base, kPagesPerSection * m.page_ext_size);
    // sparse_encode_mem_map(): mem_map - start_pfn, and the flags in the low bits
    uint64_t map = (page_addr(start_pfn) - start_pfn * m.page_struct_size) | m.section_has_mem_map |
                   (o.early ? m.section_is_early : 0);
    uint64_t ms = section_addr(nr);
    mem.put_value<uint64_t>(ms + m.ms_section_mem_map_off, map);
    mem.put_value<uint64_t>(ms + m.ms_usage_off, usage);
    // page_ext_init(): the section's page_ext minus its first pfn's offset
    mem.put_value<uint64_t>(ms + m.ms_page_ext_off, o.page_ext
                                                        ? ext_base - start_pfn * m.page_ext_size
                                                        : m.page_ext_invalid);
  }
  void add_section(uint64_t nr) { add_section(nr, SectionOptions{}); }
  uint64_t section_addr(uint64_t nr) const {
    return kRoots + (nr / model.sections_per_root) * 0x1000 +
           (nr % model.sections_per_root) * model.mem_section_size;
  }
  // The dump lacks the section's struct mem_section.
  void drop_section(uint64_t nr) { mem.drop(section_addr(nr)); }
  // The dump lacks the section's struct pages.
  void drop_mem_map(uint64_t nr) { mem.drop(page_addr(nr << kSectionShift)); }
  // The dump lacks the section's page_ext.
  void drop_page_ext(uint64_t nr) { mem.drop(kPageExt + nr * 0x10000); }

  // -- struct page ----------------------------------------------------------------------------
  uint64_t page_addr(uint64_t pfn) const { return kVmemmap + pfn * model.page_struct_size; }
  void set_page_flags(uint64_t pfn, uint64_t flags) {
    mem.put_value<uint64_t>(page_addr(pfn) + model.page_flags_off, flags);
  }
  // A free page heading a buddy of 2^order pages.
  void set_buddy(uint64_t pfn, uint64_t order) {
    mem.put_value<uint32_t>(page_addr(pfn) + model.page_type_off, kPgtyBuddy << 24);
    mem.put_value<uint64_t>(page_addr(pfn) + model.page_private_off, order);
  }
  // compound_head: the head's struct page, bit 0 set.
  void set_tail(uint64_t pfn, uint64_t head_pfn) {
    mem.put_value<uint64_t>(page_addr(pfn) + model.page_compound_off, page_addr(head_pfn) | 1);
  }
  void set_memcg_data(uint64_t pfn, uint64_t memcg_data) {
    mem.put_value<uint64_t>(page_addr(pfn) + *model.page_memcg_data_off, memcg_data);
  }
  // The pageblock's migratetype bits in its section's usage->pageblock_flags.
  void set_pageblock_migratetype(uint64_t pfn, uint64_t type) {
    uint64_t at = kUsage + (pfn >> kSectionShift) * 0x100 + model.usage_pageblock_flags_off;
    uint64_t bit =
        ((pfn & (kPagesPerSection - 1)) >> model.pageblock_order) * model.nr_pageblock_bits;
    uint64_t word = read_u64(at + 8 * (bit / 64));
    word = (word & ~(7ULL << (bit % 64))) | (type << (bit % 64));
    mem.put_value<uint64_t>(at + 8 * (bit / 64), word);
  }

  // -- page_ext and page_owner ----------------------------------------------------------------
  struct Owner {
    uint16_t order = 0;
    int16_t last_migrate_reason = -1;
    uint32_t gfp_mask = 0;
    uint32_t handle = 0, free_handle = 0;
    uint64_t ts_nsec = 0, free_ts_nsec = 0;
    std::string comm;
    int32_t pid = 0, tgid = 0, free_pid = 0, free_tgid = 0;
  };
  uint64_t ext_addr(uint64_t pfn) const {
    return kPageExt + (pfn >> kSectionShift) * 0x10000 +
           (pfn & (kPagesPerSection - 1)) * model.page_ext_size;
  }
  // One page_ext: PAGE_EXT_OWNER, PAGE_EXT_OWNER_ALLOCATED unless freed, and the page_owner.
  void set_owner(uint64_t pfn, const Owner& o, bool allocated = true) {
    const auto& po = model.po;
    uint64_t ext = ext_addr(pfn);
    uint64_t flags = 1ULL << model.page_ext_owner_bit;
    if (allocated) flags |= 1ULL << model.page_ext_owner_allocated_bit;
    mem.put_value<uint64_t>(ext, flags);
    uint64_t at = ext + model.page_owner_offset;
    mem.put_value(at + po.order, o.order);
    mem.put_value(at + po.last_migrate_reason, o.last_migrate_reason);
    mem.put_value(at + po.gfp_mask, o.gfp_mask);
    mem.put_value(at + po.handle, o.handle);
    mem.put_value(at + po.free_handle, o.free_handle);
    mem.put_value(at + *po.ts_nsec, o.ts_nsec);
    mem.put_value(at + *po.free_ts_nsec, o.free_ts_nsec);
    std::string comm = o.comm;
    comm.resize(po.comm_len);
    mem.put(at + *po.comm, comm.data(), comm.size());
    mem.put_value(at + *po.pid, o.pid);
    mem.put_value(at + *po.tgid, o.tgid);
    mem.put_value(at + *po.free_pid, o.free_pid);
    mem.put_value(at + *po.free_tgid, o.free_tgid);
  }
  // __set_page_owner(): every page of the allocation gets the same page_owner, its order
  // included; a compound allocation's tails point at its head.
  void allocate(uint64_t pfn, const Owner& o, bool compound = false) {
    for (uint64_t i = 0; i < (1ULL << o.order); i++) {
      set_owner(pfn + i, o);
      if (compound && i) set_tail(pfn + i, pfn);
    }
  }

  // -- stack depot and stack_list ---------------------------------------------------------------
  // A stack_record in pool 0 with refcount count; returns its handle.
  uint32_t add_stack(const std::vector<uint64_t>& frames, int32_t count) {
    const KernelModel& m = model;
    uint64_t offset = next_record_;
    uint64_t at = kPool0 + offset;
    next_record_ += (m.rec_entries_off + 8 * frames.size() + 15) & ~uint64_t{15};
    uint32_t handle =
        1 | static_cast<uint32_t>((offset >> m.depot_stack_align) << m.handle_index_bits);
    mem.put_value<uint32_t>(at + m.rec_size_off, static_cast<uint32_t>(frames.size()));
    mem.put_value<uint32_t>(at + m.rec_handle_off, handle);
    mem.put_value<int32_t>(at + *m.rec_count_off, count);
    if (!frames.empty()) mem.put(at + m.rec_entries_off, frames.data(), 8 * frames.size());
    return handle;
  }
  uint64_t record_addr(uint32_t handle) const {
    return kPool0 + ((uint64_t{handle} >> model.handle_index_bits) << model.depot_stack_align);
  }
  // add_stack_record_to_list(): a struct stack at the head of stack_list (newest first);
  // returns it.
  uint64_t push_stack_list(uint64_t record) {
    uint64_t stack = alloc(16);
    mem.put_value<uint64_t>(stack + model.stack_record_off, record);
    mem.put_value<uint64_t>(stack + model.stack_next_off, read_u64(kStackList));
    mem.put_value<uint64_t>(kStackList, stack);
    return stack;
  }
  StackDepot& depot() {
    if (!depot_) {
      symbols_ = std::make_unique<KernelSymbols>(mem, info_, types_);
      depot_ = std::make_unique<StackDepot>(mem, model, *symbols_);
    }
    return *depot_;
  }

  // -- memory cgroups ---------------------------------------------------------------------------
  // A mem_cgroup whose css.cgroup->kn names it; the root's kernfs node has no parent.
  uint64_t add_memcg(std::string_view name, bool online, bool root = false) {
    const auto& c = model.memcg;
    uint64_t memcg = alloc(0x200), cgroup = alloc(0x200), kn = alloc(0x80);
    uint64_t name_at = alloc(name.size() + 1);
    mem.put_string(name_at, name);
    mem.put_value<uint64_t>(kn + c.kn_name_off, name_at);
    mem.put_value<uint64_t>(kn + c.kn_parent_off, root ? 0 : root_kn());
    mem.put_value<uint64_t>(cgroup + c.cgroup_kn_off, kn);
    mem.put_value<uint64_t>(memcg + c.memcg_css_off + c.css_cgroup_off, cgroup);
    mem.put_value<uint32_t>(memcg + c.memcg_css_off + c.css_flags_off,
                            online ? static_cast<uint32_t>(c.css_online) | 1u : 1u);
    return memcg;
  }
  // An obj_cgroup of memcg (0: one whose memcg is gone).
  uint64_t add_objcg(uint64_t memcg) {
    uint64_t objcg = alloc(0x40);
    mem.put_value<uint64_t>(objcg + model.memcg.objcg_memcg_off, memcg);
    return objcg;
  }
  // The kernfs node of a memcg, and where its name is.
  uint64_t kn_of(uint64_t memcg) {
    const auto& c = model.memcg;
    return read_u64(read_u64(memcg + c.memcg_css_off + c.css_cgroup_off) + c.cgroup_kn_off);
  }
  uint64_t name_addr_of(uint64_t memcg) { return read_u64(kn_of(memcg) + model.memcg.kn_name_off); }

  // Zeroed memory, a range of its own (for drop()), 64-byte aligned and padded.
  uint64_t alloc(uint64_t len) {
    uint64_t at = heap_;
    heap_ += (len + 63) & ~uint64_t{63};
    mem.put_zeros(at, heap_ - at);
    return at;
  }
  uint64_t read_u64(uint64_t addr) {
    uint64_t v = 0;
    if (!mem.read(addr, &v, sizeof v)) throw std::logic_error("fake kernel reads its own hole");
    return v;
  }

  FakeMemory mem;
  KernelModel model;

private:
  uint64_t root_kn() {
    if (!root_kn_) {
      root_kn_ = alloc(0x80);
      uint64_t name_at = alloc(1);
      mem.put_value<uint64_t>(root_kn_ + model.memcg.kn_name_off, name_at);
    }
    return root_kn_;
  }

  NoTypes types_;
  VmcoreInfo info_;
  std::unique_ptr<KernelSymbols> symbols_;
  std::unique_ptr<StackDepot> depot_;
  uint64_t heap_ = kHeap;
  uint64_t next_record_ = 0x40; // offset 0 would make handle 1: valid, but easy to mistake
  uint64_t root_kn_ = 0;
};

} // namespace powner::testing
