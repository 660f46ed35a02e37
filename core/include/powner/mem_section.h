// SPDX-License-Identifier: GPL-2.0-or-later
// SPARSEMEM as the kernel reads it, written once for the page_owner walk and the single-page
// lookup: where mem_section nr is (__nr_to_section()), what it says about its pages
// (sparse_decode_mem_map() or vmemmap, lookup_page_ext()), and the pageblock bits of its usage
// map (get_pfnblock_flags_mask()).
#pragma once

#include "powner/kernel_model.h"
#include "powner/memory.h"

#include <cstdint>
#include <optional>

namespace powner {

// struct mem_section nr, given its root's value with SPARSEMEM_EXTREME (ignored otherwise).
uint64_t section_address(const KernelModel& m, uint64_t nr, uint64_t root);

struct MemSection {
  bool present = false;             // valid_section(): SECTION_HAS_MEM_MAP
  bool early = false;               // SECTION_IS_EARLY: every subsection valid
  uint64_t mem_map = 0;             // struct page of the section's first PFN
  std::optional<uint64_t> page_ext; // page_ext of the section's first PFN; 0 without one;
                                    // none when the dump lacks the pointer
  uint64_t usage = 0;               // struct mem_section_usage; 0 without one or unreadable
};

// The section at ms (its number nr); none when the dump lacks its section_mem_map.
std::optional<MemSection> read_mem_section(Memory& mem, const KernelModel& m, uint64_t ms,
                                           uint64_t nr);

// The bit index of pfn's pageblock in its section's pageblock_flags.
uint64_t pageblock_bit_index(const KernelModel& m, uint64_t pfn);
// The migrate type in the pageblock bits, bits >> (index % 64) of the word holding them
// (MIGRATE_ISOLATE where its own bit is set, 6.14+).
int pageblock_migratetype(const KernelModel& m, uint64_t bits);

} // namespace powner
