#include "page_owner_lookup.h"

#include "memory_reads.h"

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
    : mem_(mem), range_(model), filter_(std::move(filter)) {
  pfn_ = model.min_low_pfn;
  end_ = std::min(model.max_pfn, model.nr_mem_sections << model.pfn_section_shift);
  section_ = std::max(uint64_t{1} << model.pfn_section_shift, model.max_order_nr_pages);
  batch_ = section_;
}

bool PageOwnerCursor::next(std::vector<PageRecord>& out) {
  out.clear();
  if (pfn_ >= end_) return false;
  uint64_t stop = std::min(end_, (pfn_ / batch_ + 1) * batch_);
  range_.min_low_pfn = pfn_;
  range_.max_pfn = stop;
  PageOwnerWalk walk(mem_, range_);
  walk.run(filter_, [&](const PageRecord& rec) { out.push_back(rec); });
  skipped_.add(walk.skipped());
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
  uint64_t ms = 0;
  if (m.sparsemem_extreme) {
    uint64_t root_nr = nr / m.sections_per_root;
    if (root_nr >= m.nr_section_roots) return done(State::NoPage);
    auto root = read_value<uint64_t>(mem, m.mem_section + 8 * root_nr);
    if (!root) return done(State::Unreadable);
    if (!*root) return done(State::NoPage);
    ms = *root + (nr % m.sections_per_root) * m.mem_section_size;
  } else {
    ms = m.mem_section + nr * m.mem_section_size;
  }
  auto map = read_value<uint64_t>(mem, ms + m.ms_section_mem_map_off);
  if (!map) return done(State::Unreadable);
  if (!(*map & m.section_has_mem_map)) return done(State::NoPage);

  // lookup_page_ext(): section->page_ext, unless page_ext_invalid().
  auto page_ext = read_value<uint64_t>(mem, ms + m.ms_page_ext_off);
  if (!page_ext) return done(State::Unreadable);
  if (!*page_ext || (*page_ext & m.page_ext_invalid)) return done(State::NoPageExt);
  uint64_t ext = *page_ext + m.page_ext_size * pfn;
  std::vector<unsigned char> owner(m.po.size);
  auto ext_flags = read_value<uint64_t>(mem, ext);
  if (!ext_flags || !mem.read(ext + m.page_owner_offset, owner.data(), owner.size()))
    return done(State::Unreadable);
  if (!(*ext_flags >> m.page_ext_owner_bit & 1)) return done(State::NeverSet);

  // section_mem_map holds mem_map - section_start_pfn (sparse_encode_mem_map()).
  uint64_t page = (*map & m.section_map_mask) + pfn * m.page_struct_size;
  std::vector<unsigned char> page_bytes(m.page_struct_size);
  if (!mem.read(page, page_bytes.data(), page_bytes.size())) return done(State::Unreadable);

  result.state =
      (*ext_flags >> m.page_ext_owner_allocated_bit & 1) ? State::Allocated : State::Freed;
  PageRecord& rec = result.record;
  rec.pfn = pfn;
  decode_owner(m, owner.data(), rec);
  decode_page(m, page_bytes.data(), rec);

  // get_pageblock_migratetype(), as the walk decodes it; -1 when the usage map is missing.
  rec.pageblock_migratetype = -1;
  auto usage = read_value<uint64_t>(mem, ms + m.ms_usage_off);
  if (usage && *usage) {
    uint64_t bitidx =
        ((pfn & ((1ULL << m.pfn_section_shift) - 1)) >> m.pageblock_order) * m.nr_pageblock_bits;
    if (auto word =
            read_value<uint64_t>(mem, *usage + m.usage_pageblock_flags_off + 8 * (bitidx / 64))) {
      uint64_t v = *word >> (bitidx % 64);
      if (m.pb_isolate_bit && (v >> *m.pb_isolate_bit & 1))
        rec.pageblock_migratetype = static_cast<int>(m.migrate_isolate);
      else
        rec.pageblock_migratetype = static_cast<int>(v & 7);
    }
  }
  return result;
}

} // namespace powner
