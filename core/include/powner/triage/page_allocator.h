// SPDX-License-Identifier: GPL-2.0-or-later
// What allocated a record's page (powner top --by allocator), from the page's state in the
// dump and, for vmalloc, the record's stack.
#pragma once

#include "powner/kernel_model.h"
#include "powner/page_record.h"

#include <string_view>

namespace powner {

// In the order they are tested.
enum class PageAllocator { Slab, PageTable, Vmalloc, Anon, File, Other };

std::string_view page_allocator_name(PageAllocator a);

// A stack through __vmalloc_node_range (or __vmalloc_node_range_noprof), as the kernel's
// tools/mm/page_owner_sort.c get_allocator() recognises vmalloc, or through
// __vmalloc_area_node where the former is inlined.
bool is_vmalloc_stack(std::string_view stack);

// rec's page (its head: a record is at its allocation's first pfn): slab, page table, vmalloc
// (vmalloc_stack, tested before the mapping: vmalloc pages have none), anonymous (mapping bit 0,
// KSM pages too), file (a mapping with neither bit 0 nor bit 1: the page cache, shmem and tmpfs
// included), other (movable_ops pages, bit 1 alone, and all the rest).
PageAllocator page_allocator(const KernelModel& m, const PageRecord& rec, bool vmalloc_stack);

} // namespace powner
