// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/page_owner_lookup.h"

#include "powner/mem_section.h"
#include "powner/memory_reads.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace powner {

namespace {

// Batches grow over stretches without records (holes in the memory map) up to this many
// sections, and shrink back to one section where records are: few walks, small batches.
constexpr uint64_t kMaxBatchSections = 1024;

template <typename T> T field(const std::vector<unsigned char>& buf, uint64_t off) {
  T v;
  std::memcpy(&v, buf.data() + off, sizeof v);
  return v;
}

} // namespace

PageOwnerCursor::PageOwnerCursor(Memory& mem, const KernelModel& model, Filter filter)
    : model_(model), walk_(mem, model_), filter_(std::move(filter)) {
  const PfnRange all = page_owner_pfns(model);
  pfn_ = all.begin;
  end_ = all.end;
  section_ = std::max(uint64_t{1} << model.pfn_section_shift, model.max_order_nr_pages);
  batch_ = section_;
}

bool PageOwnerCursor::next(std::vector<PageRecord>& out) {
  out.clear();
  if (pfn_ >= end_) return false;
  uint64_t stop = std::min(end_, (pfn_ / batch_ + 1) * batch_);
  walk_.run({pfn_, stop}, filter_, [&](const PageRecord& rec) { out.push_back(rec); });
  pfn_ = stop;
  // Batches end on multiples of their size, so they stay aligned as they grow.
  if (!out.empty())
    batch_ = section_;
  else if (batch_ < section_ * kMaxBatchSections)
    batch_ *= 2;
  return true;
}

PageOwnerLookup lookup_page_owner(Memory& mem, const KernelModel& m, uint64_t pfn) {
  using State = PageOwnerLookup::State;
  PageOwnerLookup result;
  auto done = [&](State state) {
    result.state = state;
    return result;
  };
  // __pfn_to_section()
  uint64_t nr = pfn >> m.pfn_section_shift;
  if (nr >= m.nr_mem_sections) return done(State::NoPage);
  uint64_t root = 0;
  if (m.sparsemem_extreme) {
    uint64_t root_nr = nr / m.sections_per_root;
    if (root_nr >= m.nr_section_roots) return done(State::NoPage);
    auto read = read_value<uint64_t>(mem, m.mem_section + 8 * root_nr);
    if (!read) return done(State::Unreadable);
    if (!*read) return done(State::NoPage);
    root = *read;
  }
  // The section as the walk reads it (mem_section.h).
  auto section = read_mem_section(mem, m, section_address(m, nr, root), nr);
  if (!section) return done(State::Unreadable);
  if (!section->present) return done(State::NoPage);
  if (!section->page_ext) return done(State::Unreadable);
  if (!*section->page_ext) return done(State::NoPageExt);
  const uint64_t index = pfn & ((1ULL << m.pfn_section_shift) - 1);
  uint64_t ext = *section->page_ext + m.page_ext_size * index;
  std::vector<unsigned char> owner(m.po.size);
  auto ext_flags = read_value<uint64_t>(mem, ext);
  if (!ext_flags || !mem.read(ext + m.page_owner_offset, owner.data(), owner.size()))
    return done(State::Unreadable);
  if (!(*ext_flags >> m.page_ext_owner_bit & 1)) return done(State::NeverSet);

  uint64_t page = section->mem_map + index * m.page_struct_size;
  std::vector<unsigned char> page_bytes(m.page_struct_size);
  if (!mem.read(page, page_bytes.data(), page_bytes.size())) return done(State::Unreadable);

  result.state =
      (*ext_flags >> m.page_ext_owner_allocated_bit & 1) ? State::Allocated : State::Freed;
  PageRecord& rec = result.record;
  rec.pfn = pfn;
  decode_owner(m, owner.data(), rec);
  decode_page(m, page_bytes.data(), rec);

  // get_pageblock_migratetype(); -1 when the usage map is missing.
  rec.pageblock_migratetype = -1;
  if (section->usage) {
    uint64_t bitidx = pageblock_bit_index(m, pfn);
    if (auto word = read_value<uint64_t>(mem, section->usage + m.usage_pageblock_flags_off +
                                                  8 * (bitidx / 64)))
      rec.pageblock_migratetype = pageblock_migratetype(m, *word >> (bitidx % 64));
  }
  return result;
}

} // namespace powner
