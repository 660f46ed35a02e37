// SPDX-License-Identifier: GPL-2.0-or-later
// The page_ext/page_owner record decoder: read_page_owner()'s walk and print_page_owner()'s
// text (PageOwnerWalk, RecordPrinter, StackDepot, MemcgLines) over fuzzed memory sections,
// struct pages, page_ext, pageblock bits, stack depot and memcg structures, with the model of
// a real kernel.
//
// Input: u64 section-flag bits, u64 missing-page masks for the struct pages, the page_ext, the
// depot and the memcg area, u32 first pfn, u16 number of pfns, u8 filter (mode, node list),
// then u16-length-prefixed patterns for: mem_section usage, struct pages, page_ext, stack
// depot pools, memcg area.
#include "fuzz_support.h"
#include "powner/filter.h"
#include "powner/kallsyms.h"
#include "powner/memcg.h"
#include "powner/page_owner_walk.h"
#include "powner/record_printer.h"
#include "powner/stack_depot.h"
#include "powner/types.h"
#include "powner/vmcoreinfo.h"

namespace {

using namespace powner;

constexpr uint64_t kRoots = 0xffff888000010000;    // *mem_section: the root array
constexpr uint64_t kSections = 0xffff888000020000; // root 0: 128 struct mem_section
constexpr uint64_t kUsage = 0xffff888000030000;    // struct mem_section_usage, per section
constexpr uint64_t kVmemmap = 0xffffea0000000000;
constexpr uint64_t kPageExt = 0xffff888100000000;
constexpr uint64_t kPools = 0xffff888000040000;
constexpr uint64_t kPoolArea = 0xffff888002000000;
constexpr uint64_t kMemcgArea = 0xffff888003000000;
constexpr uint64_t kSectionsMapped = 4; // sections with memory: pfns 0 .. 4 << 15
constexpr uint64_t kPfns = kSectionsMapped << 15;

template <typename T> void put(std::string& s, size_t at, T v) {
  if (s.size() < at + sizeof v) s.resize(at + sizeof v);
  std::memcpy(&s[at], &v, sizeof v);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  const uint64_t section_bits = in.take<uint64_t>();
  const uint64_t miss_pages = in.take<uint64_t>(), miss_ext = in.take<uint64_t>(),
                 miss_pools = in.take<uint64_t>(), miss_memcg = in.take<uint64_t>();
  const uint32_t first = in.take<uint32_t>() % (kPfns + 4096);
  const uint32_t count = in.take<uint16_t>() % 4096;
  const uint8_t filter_bits = in.take<uint8_t>();
  std::string_view usage = in.chunk(), pages = in.chunk(), exts = in.chunk(), pools = in.chunk(),
                   memcg = in.chunk();

  KernelModel m = fuzz::fixed_model_7_3();
  m.mem_section = kRoots;
  m.depot_pools = kPools;
  if (section_bits >> 62 & 1) m.vmemmap = kVmemmap; // else decoded from section_mem_map
  m.min_low_pfn = first;
  m.max_pfn = first + count;

  // Roots: root 0 holds the sections; a flag makes root 1 point at garbage.
  std::string roots(8 * m.nr_section_roots, '\0');
  put<uint64_t>(roots, 0, kSections);
  if (section_bits >> 63 & 1) put<uint64_t>(roots, 8, kMemcgArea);
  // Sections 0..3: mem_map and page_ext encoded as the kernel encodes them, with 4 fuzzed
  // flag bits each (has mem_map, early, page_ext invalid, no usage).
  std::string sections(32 * 128, '\0');
  for (uint64_t nr = 0; nr < kSectionsMapped; nr++) {
    const uint64_t bits = section_bits >> (4 * nr);
    put<uint64_t>(sections, 32 * nr,
                  kVmemmap | (bits & 1 ? 0 : m.section_has_mem_map) |
                      (bits & 2 ? m.section_is_early : 0));
    put<uint64_t>(sections, 32 * nr + 8, bits & 8 ? 0 : kUsage + 0x100 * nr);
    put<uint64_t>(sections, 32 * nr + 16, kPageExt | (bits & 4 ? m.page_ext_invalid : 0));
  }
  std::string pool_ptrs(8 * 8, '\0');
  for (uint64_t i = 0; i < 8; i++)
    put<uint64_t>(pool_ptrs, 8 * i, kPoolArea + 16384 * i);

  fuzz::TiledMemory mem;
  mem.add(kRoots, roots.size(), roots);
  mem.add(kSections, sections.size(), sections);
  mem.add(kUsage, 0x100 * kSectionsMapped, usage);
  mem.add(kVmemmap, kPfns * m.page_struct_size, pages, miss_pages);
  mem.add(kPageExt, kPfns * m.page_ext_size, exts, miss_ext);
  mem.add(kPools, pool_ptrs.size(), pool_ptrs);
  mem.add(kPoolArea, 8 * 16384, pools, miss_pools);
  mem.add(kMemcgArea, 1 << 20, memcg, miss_memcg);

  Filter filter;
  std::string command = filter_bits & 1   ? "mode=handle"
                        : filter_bits & 2 ? "mode=stack_handle"
                                          : "";
  if (filter_bits & 4) command += " nid=0";
  if (filter_bits & 8) command += " nid=1";
  if (apply_filter_command(filter, command, m.memory_nodes)) __builtin_trap();

  NoTypes types;
  VmcoreInfo info;
  KernelSymbols symbols(mem, info, types);
  StackDepot depot(mem, m, symbols);
  MemcgLines memcg_lines(mem, m);
  RecordPrinter printer(m, depot, memcg_lines);
  PageOwnerWalk walk(mem, m);
  TextPieces out;
  uint64_t last_pfn = 0, records = 0;
  walk.run(filter, [&](const PageRecord& rec) {
    // In pfn order, inside the walk's range, head pages only.
    if ((records && rec.pfn <= last_pfn) || rec.pfn < m.min_low_pfn || rec.pfn >= m.max_pfn ||
        rec.order > m.max_order || rec.pfn & ((1ULL << rec.order) - 1))
      __builtin_trap();
    last_pfn = rec.pfn;
    records++;
    size_t before = out.size();
    if (printer.append(out, rec, filter.mode) == RecordPrinter::Result::Printed) {
      if (out.size() - before >= m.page_size || out.flat().back() != '\n') __builtin_trap();
    } else if (out.size() != before) {
      __builtin_trap();
    }
    if (out.size() > (1u << 20)) out.clear();
  });
  return 0;
}
