// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/page_allocator.h"

#include <array>

namespace powner {

namespace {

constexpr std::array<std::string_view, 6> kNames = {"slab", "page table", "vmalloc",
                                                    "anon", "file",       "other"};

// A page type of the encoding before 6.12: the type's bit cleared under PAGE_TYPE_BASE.
bool has_old_page_type(const KernelModel& m, uint32_t page_type, uint32_t bit) {
  return (page_type & (m.page_type_base | bit)) == m.page_type_base;
}

constexpr uint64_t kMappingAnon = 0x1;    // PAGE_MAPPING_ANON, FOLIO_MAPPING_ANON (7.x)
constexpr uint64_t kMappingMovable = 0x2; // PAGE_MAPPING_MOVABLE; with bit 0: KSM

} // namespace

std::string_view page_allocator_name(PageAllocator a) {
  return kNames[static_cast<size_t>(a)];
}

bool is_vmalloc_stack(std::string_view stack) {
  // strstr(buf, "__vmalloc_node_range") in get_allocator(): the _noprof name (6.10+) matches.
  // Where __vmalloc_node_range is inlined into its caller (5.10: vzalloc+ then
  // __vmalloc_area_node+), the frame of __vmalloc_area_node, which allocates the area's pages,
  // says it instead.
  return stack.find("__vmalloc_node_range") != std::string_view::npos ||
         stack.find(" __vmalloc_area_node+") != std::string_view::npos;
}

PageAllocator page_allocator(const KernelModel& m, const PageRecord& rec, bool vmalloc_stack) {
  const uint32_t type = rec.page_type >> 24;
  if ((m.pgty_slab && type == *m.pgty_slab) ||
      (m.pg_slab_bit && (rec.page_flags >> *m.pg_slab_bit & 1)) ||
      (m.pg_slab_type && has_old_page_type(m, rec.page_type, *m.pg_slab_type)))
    return PageAllocator::Slab;
  if ((m.pgty_table && type == *m.pgty_table) ||
      (m.pg_table && has_old_page_type(m, rec.page_type, *m.pg_table)))
    return PageAllocator::PageTable;
  if (vmalloc_stack) return PageAllocator::Vmalloc;
  if (rec.mapping & kMappingAnon) return PageAllocator::Anon;
  if (rec.mapping && !(rec.mapping & kMappingMovable)) return PageAllocator::File;
  return PageAllocator::Other;
}

} // namespace powner
