// SPDX-License-Identifier: GPL-2.0-or-later
// The walk of read_page_owner(): every pfn from min_low_pfn to max_pfn, skipping what the
// kernel skips (invalid sections, buddy pages, pages without page_ext or owner, tail pages
// of high-order allocations, handle 0, pages outside the node filter), reading struct page
// and page_ext a memory section at a time. Pages the dump cannot provide, and pages whose
// data is impossible, are skipped and counted.
#pragma once

#include "powner/filter.h"
#include "powner/kernel_model.h"
#include "powner/memory.h"
#include "powner/page_record.h"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace powner {

// Why pages were skipped, beyond what the kernel itself skips.
enum class SkipReason {
  PageMissing,     // struct page not in the dump
  PageExtMissing,  // page_ext not in the dump
  PoisonedFlags,   // page->flags == PAGE_POISON_PATTERN: never initialized, or damaged
  ImpossibleOrder, // page_owner order beyond MAX_PAGE_ORDER
  ImpossibleNode,  // page->flags names a node this kernel cannot have
  SectionMissing,  // mem_section or its usage not readable
  Count
};
std::string_view skip_reason_text(SkipReason reason);

struct SkipCounts {
  std::array<uint64_t, static_cast<size_t>(SkipReason::Count)> counts{};
  void add(SkipReason r, uint64_t n = 1) { counts[static_cast<size_t>(r)] += n; }
  void add(const SkipCounts& other);
  // What was counted since earlier, a past value of these counts.
  SkipCounts since(const SkipCounts& earlier) const;
};

// Page frame numbers [begin, end).
struct PfnRange {
  uint64_t begin = 0, end = 0;
};

// The pfns read_page_owner() walks: min_low_pfn to max_pfn, bounded by the sections the
// kernel can have (a garbage max_pfn must not send a walk past them).
PfnRange page_owner_pfns(const KernelModel& model);

class PageOwnerWalk {
public:
  using Emit = std::function<void(const PageRecord&)>;
  using Progress = std::function<void(uint64_t pfn, uint64_t end)>;

  // A walk keeps its buffers and counts from one run to the next.
  PageOwnerWalk(Memory& mem, const KernelModel& model);

  // Calls emit for every record of range (within page_owner_pfns()) the kernel would print
  // under filter, in pfn order. progress (optional) is called now and then with (pfn, end).
  void run(PfnRange range, const Filter& filter, const Emit& emit, const Progress& progress = {});
  // The same over all of page_owner_pfns().
  void run(const Filter& filter, const Emit& emit, const Progress& progress = {}) {
    run(page_owner_pfns(m_), filter, emit, progress);
  }

  // The node of a page from its flags, as memdesc_nid() decodes it; -1 if impossible.
  int node_of(uint64_t page_flags, uint64_t pfn);

  const SkipCounts& skipped() const { return skipped_; }
  uint64_t pfns_scanned() const { return scanned_; }

private:
  struct Section {
    uint64_t nr = ~0ULL;
    bool present = false; // valid_section(): has a mem_map
    bool early = false;
    uint64_t mem_map = 0;  // struct page of the section's first pfn
    uint64_t page_ext = 0; // page_ext of the section's first pfn; 0 if none
    uint64_t subsection_map = 0;
    std::vector<uint64_t> pageblock_bits;
    std::vector<unsigned char> pages, exts;
    std::vector<bool> page_chunk_ok, ext_chunk_ok; // per 4 KiB of the buffers
  };

  const Section& section(uint64_t nr);
  void load_block(uint64_t addr, std::vector<unsigned char>& buf, std::vector<bool>& ok,
                  uint64_t len);
  bool pfn_valid(uint64_t pfn);
  bool chunk_ok(const std::vector<bool>& ok, uint64_t off, uint64_t len) const;
  int pageblock_migratetype(const Section& s, uint64_t pfn) const;

  Memory& mem_;
  const KernelModel& m_;
  std::vector<uint64_t> roots_; // mem_section roots from roots_first_ on
  uint64_t roots_first_ = 0;
  Section cur_;
  SkipCounts skipped_;
  uint64_t scanned_ = 0;
};

} // namespace powner
