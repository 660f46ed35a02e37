// SPDX-License-Identifier: GPL-2.0-or-later
// PageOwnerWalk on a fake kernel: read_page_owner()'s walk of mm/page_owner.c (7.3): allocated
// pages in pfn order; buddy pages, pages whose page_ext has no owner or a freed one, tails of
// high-order allocations and handle 0 skipped, as the kernel skips them; the nid filter; and what
// the dump lacks (a mem_section, struct pages, page_ext) skipped and counted.
#include "fake_target.h"
#include "powner/filter.h"
#include "powner/page_owner_walk.h"

#include <gtest/gtest.h>
#include <vector>

namespace powner {
namespace {

using testing::FakeKernel;
using Owner = FakeKernel::Owner;

Owner owner(uint32_t handle, uint16_t order = 0) {
  Owner o;
  o.handle = handle;
  o.order = order;
  o.gfp_mask = 0xcc0;
  o.comm = "po_test";
  o.pid = o.tgid = 42;
  o.ts_nsec = 1000;
  return o;
}

std::vector<PageRecord> walk(FakeKernel& k, const Filter& filter = {},
                             SkipCounts* skipped = nullptr) {
  std::vector<PageRecord> out;
  PageOwnerWalk w(k.mem, k.model);
  w.run(filter, [&](const PageRecord& r) { out.push_back(r); });
  if (skipped) *skipped = w.skipped();
  return out;
}

std::vector<uint64_t> pfns(const std::vector<PageRecord>& records) {
  std::vector<uint64_t> out;
  out.reserve(records.size());
  for (const PageRecord& r : records)
    out.push_back(r.pfn);
  return out;
}

uint64_t count(const SkipCounts& s, SkipReason r) {
  return s.counts[static_cast<size_t>(r)];
}

TEST(PageOwnerWalk, AllocatedPagesInPfnOrder) {
  FakeKernel k;
  k.add_section(0);
  k.add_section(1);
  for (uint64_t pfn = 0; pfn < 128; pfn++)
    k.set_page_flags(pfn, FakeKernel::kFlagsNode0);
  // Written out of order: the walk goes by pfn.
  Owner late = owner(0x20005);
  late.gfp_mask = 0x140dca;
  late.last_migrate_reason = 4;
  late.ts_nsec = 1896231845;
  late.free_ts_nsec = 1700000000;
  late.free_handle = 0x40009;
  late.comm = "po_anon_n0";
  late.pid = 68;
  late.tgid = 67;
  late.free_pid = 12;
  late.free_tgid = 11;
  k.allocate(70, late);
  k.set_page_flags(70, FakeKernel::kFlagsNode0 | 0x20828);
  k.set_memcg_data(70, 0xffff888004000000);
  k.set_pageblock_migratetype(70, 1);
  k.allocate(3, owner(0x20001));
  k.allocate(10, owner(0x20002));
  k.allocate(40, owner(0x20003));
  k.set_owner(41, owner(0x20004), /*allocated=*/false); // freed: PAGE_EXT_OWNER_ALLOCATED clear
  // 42: never set (no PAGE_EXT_OWNER), though its page_owner has data
  k.set_owner(42, owner(0x20004));
  k.mem.put_value<uint64_t>(k.ext_addr(42), 0);
  k.allocate(43, owner(0)); // handle 0: the kernel skips it
  // A buddy of order 1 at 8: 8 and 9 skipped whatever their page_ext says (stale records).
  k.set_buddy(8, 1);
  k.set_owner(8, owner(0x20006));
  k.set_owner(9, owner(0x20006));

  SkipCounts skipped;
  std::vector<PageRecord> got = walk(k, {}, &skipped);
  EXPECT_EQ(pfns(got), (std::vector<uint64_t>{3, 10, 40, 70}));
  EXPECT_EQ(skipped.counts, SkipCounts{}.counts);
  ASSERT_EQ(got.size(), 4u);
  const PageRecord& r = got[3];
  EXPECT_EQ(r.order, 0);
  EXPECT_EQ(r.last_migrate_reason, 4);
  EXPECT_EQ(r.gfp_mask, 0x140dcau);
  EXPECT_EQ(r.handle, 0x20005u);
  EXPECT_EQ(r.free_handle, 0x40009u);
  EXPECT_EQ(r.ts_nsec, 1896231845u);
  EXPECT_EQ(r.free_ts_nsec, 1700000000u);
  EXPECT_EQ(r.comm, "po_anon_n0");
  EXPECT_EQ(r.pid, 68);
  EXPECT_EQ(r.tgid, 67);
  EXPECT_EQ(r.free_pid, 12);
  EXPECT_EQ(r.free_tgid, 11);
  EXPECT_EQ(r.page_flags, FakeKernel::kFlagsNode0 | 0x20828);
  EXPECT_EQ(r.memcg_data, 0xffff888004000000u);
  EXPECT_FALSE(r.page_is_tail);
  EXPECT_EQ(r.pageblock_migratetype, 1);
  EXPECT_EQ(got[0].pageblock_migratetype, 0);
  EXPECT_EQ(got[0].comm, "po_test");
}

// Tails of a high-order allocation carry its order and are not aligned to it: skipped. A page
// whose own record says order 0 is printed, tail or not (its memcg line depends on that).
TEST(PageOwnerWalk, CompoundTailsAsTheKernelSkipsThem) {
  FakeKernel k;
  k.add_section(0);
  k.allocate(16, owner(0x20001, 2), /*compound=*/true);  // 16..19
  k.allocate(24, owner(0x20002, 3), /*compound=*/false); // 24..31, not compound
  // A tail whose record was split to order 0 (split_page_owner()) while it stays a tail.
  k.allocate(32, owner(0x20003, 1), /*compound=*/true);
  k.set_owner(33, owner(0x20004, 0));
  // A stale order-1 record on an odd pfn: not aligned, skipped.
  k.set_owner(37, owner(0x20005, 1));

  std::vector<PageRecord> got = walk(k);
  EXPECT_EQ(pfns(got), (std::vector<uint64_t>{16, 24, 32, 33}));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].order, 2);
  EXPECT_FALSE(got[0].page_is_tail);
  EXPECT_EQ(got[1].order, 3);
  EXPECT_FALSE(got[2].page_is_tail);
  EXPECT_TRUE(got[3].page_is_tail);
  EXPECT_EQ(got[3].handle, 0x20004u);
}

TEST(PageOwnerWalk, NodeFilterKeepsItsNodesPages) {
  FakeKernel k;
  k.add_section(0);
  k.add_section(1);
  const uint64_t node1 = FakeKernel::kFlagsNode0 | (1ULL << FakeKernel::kNodeShift);
  for (uint64_t pfn : {1, 5, 64, 70}) {
    k.allocate(pfn, owner(0x20001));
    k.set_page_flags(pfn, pfn < 64 ? FakeKernel::kFlagsNode0 : node1);
  }
  k.set_page_flags(5, node1); // nodes need not follow sections

  Filter all, n0, n1, both;
  ASSERT_FALSE(apply_filter_command(n0, "nid=0", k.model.memory_nodes));
  ASSERT_FALSE(apply_filter_command(n1, "nid=1", k.model.memory_nodes));
  ASSERT_FALSE(apply_filter_command(both, "nid=0-1", k.model.memory_nodes));
  EXPECT_EQ(pfns(walk(k, all)), (std::vector<uint64_t>{1, 5, 64, 70}));
  EXPECT_EQ(pfns(walk(k, n0)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(pfns(walk(k, n1)), (std::vector<uint64_t>{5, 64, 70}));
  EXPECT_EQ(pfns(walk(k, both)), (std::vector<uint64_t>{1, 5, 64, 70}));
}

TEST(PageOwnerWalk, SectionsTheDumpLacksAreSkippedAndCounted) {
  FakeKernel k;
  for (uint64_t nr : {0, 1, 2, 4, 5})
    k.add_section(nr);
  for (uint64_t pfn : {2, 66, 130, 260, 330})
    k.allocate(pfn, owner(0x20001));
  k.drop_section(1);   // its struct mem_section
  k.drop_mem_map(2);   // its struct pages
  k.drop_page_ext(4);  // its page_ext
  k.set_buddy(256, 2); // a buddy's struct page needs no page_ext: 256..259 not counted
  // Section 3 was never added: a hole, its root entry zero, no mem_map, not counted.
  SkipCounts skipped;
  EXPECT_EQ(pfns(walk(k, {}, &skipped)), (std::vector<uint64_t>{2, 330}));
  EXPECT_EQ(count(skipped, SkipReason::SectionMissing), 64u);
  EXPECT_EQ(count(skipped, SkipReason::PageMissing), 64u);
  EXPECT_EQ(count(skipped, SkipReason::PageExtMissing), 60u);
  EXPECT_EQ(count(skipped, SkipReason::PoisonedFlags), 0u);
}

TEST(PageOwnerWalk, ARootOutsideTheDumpCountsItsSections) {
  FakeKernel k;
  for (uint64_t nr : {0, 2, 3})
    k.add_section(nr);
  k.allocate(1, owner(0x20001));
  k.allocate(200, owner(0x20002));
  // Root 1 (sections 2 and 3) points at memory the dump does not have.
  k.mem.put_value<uint64_t>(FakeKernel::kMemSection + 8, 0xffff888007000000);
  SkipCounts skipped;
  EXPECT_EQ(pfns(walk(k, {}, &skipped)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(count(skipped, SkipReason::SectionMissing), 128u);
}

// pfn_valid() is asked at each MAX_ORDER block: a block whose first subsection is not in the
// section's subsection_map is skipped whole; a valid block is walked whole.
TEST(PageOwnerWalk, SubsectionsOfAHotpluggedSection) {
  FakeKernel k;
  k.add_section(0);
  FakeKernel::SectionOptions hotplugged;
  hotplugged.early = false;
  hotplugged.subsection_map = 1u << 2; // pfns 72..75 of 64..127
  k.add_section(1, hotplugged);
  for (uint64_t pfn : {3, 66, 72, 77, 80})
    k.allocate(pfn, owner(0x20001));
  EXPECT_EQ(pfns(walk(k)), (std::vector<uint64_t>{3, 72, 77}));
}

TEST(PageOwnerWalk, NoPageExtNoRecordsNothingCounted) {
  FakeKernel k;
  FakeKernel::SectionOptions no_ext;
  no_ext.page_ext = false; // PAGE_EXT_INVALID: page_ext_get() returns NULL
  k.add_section(0, no_ext);
  k.add_section(1);
  k.allocate(5, owner(0x20001));
  k.allocate(65, owner(0x20002));
  SkipCounts skipped;
  EXPECT_EQ(pfns(walk(k, {}, &skipped)), (std::vector<uint64_t>{65}));
  EXPECT_EQ(skipped.counts, SkipCounts{}.counts);
}

TEST(PageOwnerWalk, MinLowPfnAndMaxPfnBoundTheWalk) {
  FakeKernel k;
  k.add_section(0);
  k.add_section(1);
  for (uint64_t pfn : {2, 9, 100, 120})
    k.allocate(pfn, owner(0x20001));
  k.model.min_low_pfn = 9;
  k.model.max_pfn = 120;
  EXPECT_EQ(pfns(walk(k)), (std::vector<uint64_t>{9, 100}));
}

} // namespace
} // namespace powner
