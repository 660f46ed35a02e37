// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/mem_section.h"

#include "powner/memory_reads.h"

namespace powner {

uint64_t section_address(const KernelModel& m, uint64_t nr, uint64_t root) {
  if (!m.sparsemem_extreme) return m.mem_section + nr * m.mem_section_size;
  return root + (nr % m.sections_per_root) * m.mem_section_size;
}

std::optional<MemSection> read_mem_section(Memory& mem, const KernelModel& m, uint64_t ms,
                                           uint64_t nr) {
  auto map = read_value<uint64_t>(mem, ms + m.ms_section_mem_map_off);
  if (!map) return std::nullopt;
  MemSection s;
  if (!(*map & m.section_has_mem_map)) return s;
  s.present = true;
  s.early = *map & m.section_is_early;
  // section_mem_map holds mem_map - section_start_pfn (sparse_encode_mem_map()); with
  // SPARSEMEM_VMEMMAP the kernel never reads it back (a damaged one must not mislead us).
  const uint64_t start_pfn = nr << m.pfn_section_shift;
  s.mem_map = m.vmemmap.value_or(*map & m.section_map_mask) + start_pfn * m.page_struct_size;
  // section->page_ext holds the array minus the section's start, as mem_map does.
  if (auto pe = read_value<uint64_t>(mem, ms + m.ms_page_ext_off))
    s.page_ext = *pe && !(*pe & m.page_ext_invalid) ? *pe + m.page_ext_size * start_pfn : 0;
  s.usage = read_value<uint64_t>(mem, ms + m.ms_usage_off).value_or(0);
  return s;
}

uint64_t pageblock_bit_index(const KernelModel& m, uint64_t pfn) {
  return ((pfn & ((1ULL << m.pfn_section_shift) - 1)) >> m.pageblock_order) * m.nr_pageblock_bits;
}

int pageblock_migratetype(const KernelModel& m, uint64_t bits) {
  if (m.pb_isolate_bit && (bits >> *m.pb_isolate_bit & 1))
    return static_cast<int>(m.migrate_isolate);
  return static_cast<int>(bits & 7); // PAGEBLOCK_MIGRATETYPE_MASK / MIGRATETYPE_MASK
}

} // namespace powner
