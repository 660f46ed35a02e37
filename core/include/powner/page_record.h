// SPDX-License-Identifier: GPL-2.0-or-later
// One allocated page as print_page_owner() sees it, and the one decoder of its bytes: the
// walk and the single-page lookup both read a record through decode_owner() and decode_page().
#pragma once

#include "powner/kernel_model.h"

#include <cstdint>
#include <string>

namespace powner {

struct PageRecord {
  uint64_t pfn = 0;
  // struct page_owner (a copy, as the kernel takes one); a field the kernel does not have
  // (5.10 has no pid, tgid, comm or timestamps) stays zero.
  uint16_t order = 0;
  int16_t last_migrate_reason = -1;
  uint32_t gfp_mask = 0;
  uint32_t handle = 0, free_handle = 0;
  uint64_t ts_nsec = 0, free_ts_nsec = 0;
  std::string comm;
  int32_t pid = 0, tgid = 0, free_pid = 0, free_tgid = 0;
  // struct page, read at print time
  uint64_t page_flags = 0;
  uint64_t memcg_data = 0;
  uint64_t mapping = 0;   // page->mapping, 0 when the model has none
  uint32_t page_type = 0; // page_type (6.12+) or _mapcount
  bool page_is_tail = false;
  int pageblock_migratetype = 0;
  int nid = 0; // the page's node, as the walk decoded it (memdesc_nid())
};

// The fields of struct page_owner at owner (model.po.size bytes), all but the pfn.
void decode_owner(const KernelModel& model, const unsigned char* owner, PageRecord& rec);

// The fields of struct page at page (model.page_struct_size bytes) that the record prints.
void decode_page(const KernelModel& model, const unsigned char* page, PageRecord& rec);

} // namespace powner
