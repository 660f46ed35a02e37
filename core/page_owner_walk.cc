// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/page_owner_walk.h"

#include "powner/mem_section.h"
#include "powner/memory_reads.h"

#include <algorithm>
#include <cstring>

namespace powner {

namespace {

constexpr uint64_t kChunk = 4096;
constexpr uint64_t kPagePoisonPattern = ~0ULL;
constexpr uint64_t kRootUnreadable = ~0ULL; // a mem_section root the dump does not hold

template <typename T> T field(const unsigned char* base, uint64_t off) {
  T v;
  std::memcpy(&v, base + off, sizeof v);
  return v;
}

} // namespace

std::string_view skip_reason_text(SkipReason reason) {
  switch (reason) {
  case SkipReason::PageMissing:
    return "struct page not in the dump";
  case SkipReason::PageExtMissing:
    return "page_ext not in the dump";
  case SkipReason::PoisonedFlags:
    return "page flags poisoned";
  case SkipReason::ImpossibleOrder:
    return "impossible allocation order";
  case SkipReason::ImpossibleNode:
    return "page flags name no possible node";
  case SkipReason::SectionMissing:
    return "memory section not in the dump";
  case SkipReason::Count:
    break;
  }
  return "?";
}

void SkipCounts::add(const SkipCounts& other) {
  for (size_t r = 0; r < counts.size(); r++)
    counts[r] += other.counts[r];
}

SkipCounts SkipCounts::since(const SkipCounts& earlier) const {
  SkipCounts d;
  for (size_t r = 0; r < counts.size(); r++)
    d.counts[r] = counts[r] - earlier.counts[r];
  return d;
}

PageOwnerWalk::PageOwnerWalk(Memory& mem, const KernelModel& model) : mem_(mem), m_(model) {
  if (m_.sparsemem_extreme && m_.sections_per_root) {
    // Only the roots of the walk's pfns: a walk of a few sections need not read them all.
    uint64_t n = std::min<uint64_t>(m_.nr_section_roots, 1 << 20);
    uint64_t last_pfn = std::max(m_.max_pfn, uint64_t{1}) - 1;
    roots_first_ = std::min(n, (m_.min_low_pfn >> m_.pfn_section_shift) / m_.sections_per_root);
    n = std::min(n, (last_pfn >> m_.pfn_section_shift) / m_.sections_per_root + 1);
    if (n > roots_first_) {
      roots_.assign(n - roots_first_, 0);
      const uint64_t at = m_.mem_section + 8 * roots_first_;
      if (!mem_.read(at, roots_.data(), roots_.size() * 8)) {
        for (uint64_t i = 0; i < roots_.size(); i++)
          roots_[i] = read_value<uint64_t>(mem_, at + 8 * i).value_or(kRootUnreadable);
      }
    }
  }
}

bool PageOwnerWalk::chunk_ok(const std::vector<bool>& ok, uint64_t off, uint64_t len) const {
  for (uint64_t c = off / kChunk; c <= (off + len - 1) / kChunk; c++)
    if (c >= ok.size() || !ok[c]) return false;
  return true;
}

void PageOwnerWalk::load_block(uint64_t addr, std::vector<unsigned char>& buf,
                               std::vector<bool>& ok, uint64_t len) {
  buf.resize(len);
  uint64_t chunks = (len + kChunk - 1) / kChunk;
  if (mem_.read(addr, buf.data(), len)) {
    ok.assign(chunks, true);
    return;
  }
  // Part of the block is missing (a filtered or truncated dump): find out which part.
  ok.assign(chunks, false);
  for (uint64_t c = 0; c < chunks; c++) {
    uint64_t n = std::min(kChunk, len - c * kChunk);
    ok[c] = mem_.read(addr + c * kChunk, buf.data() + c * kChunk, n);
  }
}

const PageOwnerWalk::Section& PageOwnerWalk::section(uint64_t nr) {
  if (cur_.nr == nr) return cur_;
  // The same buffers section after section: fresh ones of megabytes each would cost page
  // faults for every section.
  Section& s = cur_;
  s.nr = nr;
  s.present = s.early = false;
  s.mem_map = s.page_ext = s.subsection_map = 0;
  s.pageblock_bits.clear();
  s.page_chunk_ok.clear();
  s.ext_chunk_ok.clear();
  uint64_t ms = 0;
  uint64_t pages_per_section = 1ULL << m_.pfn_section_shift;
  if (m_.sparsemem_extreme) {
    // Index into roots_, which starts at roots_first_; roots_.size() for a root never read.
    const uint64_t nr_root = nr / m_.sections_per_root;
    const uint64_t root = nr_root >= roots_first_ ? nr_root - roots_first_ : roots_.size();
    if (root < roots_.size() && roots_[root] == kRootUnreadable)
      skipped_.add(SkipReason::SectionMissing, pages_per_section);
    else if (root < roots_.size() && roots_[root])
      ms = section_address(m_, nr, roots_[root]);
  } else {
    ms = section_address(m_, nr, 0);
  }
  auto read = ms ? read_mem_section(mem_, m_, ms, nr) : std::nullopt;
  if (ms && !read) skipped_.add(SkipReason::SectionMissing, pages_per_section);
  if (read && read->present) {
    s.present = true;
    s.early = read->early;
    s.mem_map = read->mem_map;
    if (read->usage) {
      s.subsection_map =
          read_value<uint64_t>(mem_, read->usage + m_.usage_subsection_map_off).value_or(0);
      uint64_t blocks = pages_per_section >> m_.pageblock_order;
      s.pageblock_bits.assign((blocks * m_.nr_pageblock_bits + 63) / 64, 0);
      if (!mem_.read(read->usage + m_.usage_pageblock_flags_off, s.pageblock_bits.data(),
                     s.pageblock_bits.size() * 8))
        s.pageblock_bits.clear();
    }
    load_block(s.mem_map, s.pages, s.page_chunk_ok, pages_per_section * m_.page_struct_size);
    if (read->page_ext.value_or(0)) {
      s.page_ext = *read->page_ext;
      load_block(s.page_ext, s.exts, s.ext_chunk_ok, pages_per_section * m_.page_ext_size);
    }
  }
  return cur_;
}

bool PageOwnerWalk::pfn_valid(uint64_t pfn) {
  uint64_t nr = pfn >> m_.pfn_section_shift;
  if (nr >= m_.nr_mem_sections) return false;
  const Section& s = section(nr);
  if (!s.present) return false;
  if (s.early) return true;
  uint64_t index = (pfn & ((1ULL << m_.pfn_section_shift) - 1)) >> m_.pages_per_subsection_shift;
  return index < 64 && (s.subsection_map >> index & 1);
}

int PageOwnerWalk::pageblock_migratetype(const Section& s, uint64_t pfn) const {
  uint64_t bitidx = pageblock_bit_index(m_, pfn);
  if (bitidx / 64 >= s.pageblock_bits.size()) return -1;
  return powner::pageblock_migratetype(m_, s.pageblock_bits[bitidx / 64] >> (bitidx % 64));
}

int PageOwnerWalk::node_of(uint64_t flags, uint64_t pfn) {
  const PageFlagsLayout& l = m_.flags_layout;
  if (l.node_not_in_page_flags) {
    // section_to_node_table[page_to_section(page)]
    uint64_t nr = l.sections_width ? (flags >> l.sections_shift) & ((1ULL << l.sections_width) - 1)
                                   : pfn >> m_.pfn_section_shift;
    if (!m_.section_to_node_table || nr >= m_.nr_mem_sections) return -1;
    auto nid = read_uint(mem_, *m_.section_to_node_table + nr * m_.section_to_node_entry_size,
                         m_.section_to_node_entry_size);
    if (!nid || *nid >= m_.max_numnodes) return -1;
    return static_cast<int>(*nid);
  }
  if (!l.nodes_width) return 0;
  uint64_t nid = (flags >> l.nodes_shift) & ((1ULL << l.nodes_width) - 1);
  return nid < m_.max_numnodes ? static_cast<int>(nid) : -1;
}

PfnRange page_owner_pfns(const KernelModel& m) {
  return {m.min_low_pfn, std::min(m.max_pfn, m.nr_mem_sections << m.pfn_section_shift)};
}

void PageOwnerWalk::run(PfnRange range, const Filter& filter, const Emit& emit,
                        const Progress& progress) {
  const uint64_t block = m_.max_order_nr_pages;
  const uint64_t section_mask = (1ULL << m_.pfn_section_shift) - 1;
  const auto& po = m_.po;
  const PfnRange all = page_owner_pfns(m_);
  const uint64_t max_pfn = std::min(range.end, all.end);
  uint64_t pfn = std::max(range.begin, all.begin);
  while (pfn < max_pfn && !pfn_valid(pfn) && (pfn & (block - 1)) != 0)
    pfn++;
  PageRecord rec;
  for (; pfn < max_pfn; pfn++) {
    if ((pfn & (block - 1)) == 0) {
      if (progress && (pfn & ((1ULL << 20) - 1)) == 0) progress(pfn, max_pfn);
      if (!pfn_valid(pfn)) {
        // The kernel steps a MAX_ORDER block at a time; a section without a mem_map has no
        // valid pfn at all, so step over all of it (same records, far fewer steps).
        if (!section(pfn >> m_.pfn_section_shift).present)
          pfn |= section_mask;
        else
          pfn += block - 1;
        continue;
      }
    }
    scanned_++;
    const Section& s = section(pfn >> m_.pfn_section_shift);
    uint64_t idx = pfn & section_mask;
    uint64_t page_off = idx * m_.page_struct_size;
    if (!chunk_ok(s.page_chunk_ok, page_off, m_.page_struct_size)) {
      skipped_.add(SkipReason::PageMissing);
      continue;
    }
    const unsigned char* page = s.pages.data() + page_off;
    uint32_t page_type = field<uint32_t>(page, m_.page_type_off);
    bool buddy = m_.pgty_buddy
                     ? (page_type >> 24) == *m_.pgty_buddy
                     : (page_type & (m_.page_type_base | m_.pg_buddy)) == m_.page_type_base;
    if (buddy) {
      uint64_t order = field<uint64_t>(page, m_.page_private_off);
      if (order <= m_.max_order) {
        uint64_t next = pfn + (1ULL << order);
        if (m_.clamps_buddy_skip) next = std::min(next, (pfn + 1 + block - 1) & ~(block - 1));
        pfn = next - 1;
      }
      continue;
    }
    if (!s.page_ext) continue;
    uint64_t ext_off = idx * m_.page_ext_size;
    if (!chunk_ok(s.ext_chunk_ok, ext_off, m_.page_ext_size)) {
      skipped_.add(SkipReason::PageExtMissing);
      continue;
    }
    const unsigned char* ext = s.exts.data() + ext_off;
    uint64_t ext_flags = field<uint64_t>(ext, 0);
    if (!(ext_flags >> m_.page_ext_owner_bit & 1)) continue;
    if (!(ext_flags >> m_.page_ext_owner_allocated_bit & 1)) continue;
    const unsigned char* owner = ext + m_.page_owner_offset;
    uint16_t order = field<uint16_t>(owner, po.order);
    if (order > m_.max_order) {
      // The kernel would shift by a garbage order; such a record cannot be real.
      skipped_.add(SkipReason::ImpossibleOrder);
      continue;
    }
    if (pfn & ((1ULL << order) - 1)) continue;
    uint32_t handle = field<uint32_t>(owner, po.handle);
    if (!handle) continue;
    // A struct page the kernel never initialized, or damage: its fields mean nothing.
    uint64_t flags = field<uint64_t>(page, m_.page_flags_off);
    if (flags == kPagePoisonPattern) {
      skipped_.add(SkipReason::PoisonedFlags);
      continue;
    }
    int nid = node_of(flags, pfn);
    if (nid < 0 || (static_cast<size_t>(nid) < m_.possible_nodes.size() &&
                    !m_.possible_nodes[static_cast<size_t>(nid)])) {
      skipped_.add(SkipReason::ImpossibleNode);
      continue;
    }
    if (filter.nid_enabled && (static_cast<size_t>(nid) >= filter.nodes.size() ||
                               !filter.nodes[static_cast<size_t>(nid)]))
      continue;
    rec.pfn = pfn;
    decode_owner(m_, owner, rec);
    decode_page(m_, page, rec);
    rec.pageblock_migratetype = pageblock_migratetype(s, pfn);
    rec.nid = nid;
    emit(rec);
  }
  if (progress) progress(max_pfn, max_pfn);
}

} // namespace powner
