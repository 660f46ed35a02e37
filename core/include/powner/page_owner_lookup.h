// SPDX-License-Identifier: GPL-2.0-or-later
// page_owner as data, for hosts that hand records to their users (the drgn plugin) rather than
// print them: read_page_owner()'s records pulled a batch at a time, and one page's page_owner as
// __dump_page_owner() reads it (its stack: StackDepot::fetch()).
#pragma once

#include "powner/filter.h"
#include "powner/kernel_model.h"
#include "powner/memory.h"
#include "powner/page_owner_walk.h"
#include "powner/stack_depot.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace powner {

// The records PageOwnerWalk::run() emits, in the same order, a batch of pfns per call to next().
// A batch is a range of whole memory sections. The walk carries nothing from one MAX_ORDER block
// to the next (a buddy page's skip stays inside its block: 7.3 clamps it, earlier kernels' buddies
// are aligned to their order), so the batches' walks together are the one walk.
class PageOwnerCursor {
public:
  PageOwnerCursor(Memory& mem, const KernelModel& model, Filter filter);

  // Replaces out with the next batch's records (possibly none); false once the walk is over.
  bool next(std::vector<PageRecord>& out);

  const SkipCounts& skipped() const { return walk_.skipped(); }

private:
  KernelModel model_;
  PageOwnerWalk walk_; // on model_
  Filter filter_;
  uint64_t pfn_, end_;
  uint64_t section_; // pfns of a memory section (or of a MAX_ORDER block if larger)
  uint64_t batch_;   // pfns of the next batch: a multiple of section_
};

// One page's page_owner, whatever its state, as __dump_page_owner() reads it.
struct PageOwnerLookup {
  enum class State {
    NoPage,     // no struct page for the pfn (no memory section or no mem_map)
    NoPageExt,  // "There is not page extension available."
    NeverSet,   // "page_owner info is not present (never set?)"
    Allocated,  // "page_owner tracks the page as allocated"
    Freed,      // "page_owner tracks the page as freed"
    Unreadable, // the dump lacks the section, the struct page or the page_ext
  };
  State state = State::NoPage;
  PageRecord record; // for Allocated and Freed: page_owner, struct page and pageblock fields
};

PageOwnerLookup lookup_page_owner(Memory& mem, const KernelModel& model, uint64_t pfn);

} // namespace powner
