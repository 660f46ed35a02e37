// SPDX-License-Identifier: GPL-2.0-or-later
// powner top's grouping, ordering, top tasks, age buckets, durations and outputs, on synthetic
// records.
#include "powner/triage/page_allocator.h"
#include "powner/triage/stack_frames.h"
#include "powner/triage/top_query.h"
#include "powner/triage/top_report.h"
#include "powner/triage/top_table.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace powner {
namespace {

TEST(TopTable, GroupsTotalPagesRecordsAndTasks) {
  TopTable t;
  auto& a = t.group("a", {{"memcg", std::string("a")}});
  TopTable::add(a, 10, "x", 1);
  TopTable::add(a, 10, "x", 4);
  TopTable::add(a, 11, "y", 2);
  auto& b = t.group("b", {});
  TopTable::add(b, 12, "z", 8);
  EXPECT_EQ(&t.group("a", {}), &a); // found, not made again
  auto groups = t.groups({});
  ASSERT_EQ(groups.size(), 2U);
  EXPECT_EQ(groups[0].key, "b"); // largest first
  EXPECT_EQ(groups[1].pages, 7U);
  EXPECT_EQ(groups[1].records, 3U);
  ASSERT_EQ(groups[1].top_tasks.size(), 2U);
  EXPECT_EQ(groups[1].top_tasks[0].tgid, 10);
  EXPECT_EQ(groups[1].top_tasks[0].pages, 5U);
  EXPECT_EQ(std::get<std::string>(groups[1].fields[0].value), "a");
}

TEST(TopTable, TiesOrderByRecordsThenKey) {
  TopTable t;
  TopTable::add(t.group("c", {}), 1, "p", 2);
  TopTable::add(t.group("b", {}), 1, "p", 1);
  TopTable::add(t.group("b", {}), 1, "p", 1);
  TopTable::add(t.group("a", {}), 1, "p", 2);
  auto groups = t.groups({});
  ASSERT_EQ(groups.size(), 3U);
  EXPECT_EQ(groups[0].key, "b"); // 2 pages in 2 records
  EXPECT_EQ(groups[1].key, "a");
  EXPECT_EQ(groups[2].key, "c");
}

TEST(TopTable, KeepsThreeLargestTasksAndCountsExited) {
  TopTable t;
  auto& g = t.group("g", {});
  for (int32_t tgid = 1; tgid <= 5; tgid++)
    TopTable::add(g, tgid, "t", static_cast<uint64_t>(tgid));
  auto groups = t.groups([](int32_t tgid) { return tgid % 2 == 0; });
  ASSERT_EQ(groups[0].top_tasks.size(), 3U);
  EXPECT_EQ(groups[0].top_tasks[0].tgid, 5);
  EXPECT_EQ(groups[0].top_tasks[1].tgid, 4);
  EXPECT_TRUE(groups[0].top_tasks[1].exited);
  EXPECT_EQ(groups[0].top_tasks[2].tgid, 3);
  EXPECT_EQ(groups[0].exited_pages, 6U); // tgids 2 and 4
}

TEST(TopTable, MergesChunksAsOneTable) {
  TopTable whole, first, second;
  TopTable::add(first.group("s", {}), 1, "a", 1);
  TopTable::add(second.group("s", {}), 1, "a", 2);
  TopTable::add(second.group("t", {}), 2, "b", 4);
  whole.merge(std::move(first));
  whole.merge(std::move(second));
  auto groups = whole.groups({});
  ASSERT_EQ(groups.size(), 2U);
  EXPECT_EQ(groups[1].key, "s");
  EXPECT_EQ(groups[1].pages, 3U);
  EXPECT_EQ(groups[1].records, 2U);
  ASSERT_EQ(groups[1].top_tasks.size(), 1U);
  EXPECT_EQ(groups[1].top_tasks[0].pages, 3U);
}

TEST(TopQuery, AgeBuckets) {
  constexpr uint64_t s = 1000000000;
  EXPECT_EQ(kAgeBuckets[age_bucket(0)].label, "<1s");
  EXPECT_EQ(kAgeBuckets[age_bucket(s - 1)].label, "<1s");
  EXPECT_EQ(kAgeBuckets[age_bucket(s)].label, "<10s");
  EXPECT_EQ(kAgeBuckets[age_bucket(59 * s)].label, "<1m");
  EXPECT_EQ(kAgeBuckets[age_bucket(599 * s)].label, "<10m");
  EXPECT_EQ(kAgeBuckets[age_bucket(3599 * s)].label, "<1h");
  EXPECT_EQ(kAgeBuckets[age_bucket(3600 * s)].label, "older");
  EXPECT_EQ(kAgeBuckets[age_bucket(~0ULL)].label, "older");
}

TEST(TopQuery, AllocatorIsAKey) {
  EXPECT_EQ(top_key_from_name("allocator"), TopKey::Allocator);
  EXPECT_EQ(top_key_name(TopKey::Allocator), "allocator");
  EXPECT_NE(top_key_names().find("|allocator"), std::string::npos);
}

// 6.12's encoding: page types in page_type's top byte.
KernelModel pgty_model() {
  KernelModel m;
  m.pgty_slab = 0xf5;
  m.pgty_table = 0xf2;
  return m;
}

PageRecord page(uint32_t page_type, uint64_t mapping, uint64_t flags = 0) {
  PageRecord rec;
  rec.page_type = page_type;
  rec.mapping = mapping;
  rec.page_flags = flags;
  return rec;
}

TEST(PageAllocator, TestsSlabTableVmallocAnonFileOtherInOrder) {
  const KernelModel m = pgty_model();
  const uint64_t anon = 0xffff888000001001, file = 0xffff888000002000;
  EXPECT_EQ(page_allocator(m, page(0xf5000000, anon), true), PageAllocator::Slab);
  EXPECT_EQ(page_allocator(m, page(0xf2000000, anon), true), PageAllocator::PageTable);
  EXPECT_EQ(page_allocator(m, page(0xffffffff, anon), true), PageAllocator::Vmalloc);
  EXPECT_EQ(page_allocator(m, page(0xffffffff, anon), false), PageAllocator::Anon);
  EXPECT_EQ(page_allocator(m, page(0, anon | 2), false), PageAllocator::Anon); // KSM
  EXPECT_EQ(page_allocator(m, page(0, file), false), PageAllocator::File);
  EXPECT_EQ(page_allocator(m, page(0, file | 2), false), PageAllocator::Other); // movable_ops
  EXPECT_EQ(page_allocator(m, page(0xffffffff, 0), false), PageAllocator::Other);
  EXPECT_EQ(page_allocator(m, page(0xf0000000, 0), false), PageAllocator::Other); // buddy type
}

TEST(PageAllocator, OldEncodingsFlagAndInvertedType) {
  KernelModel m; // 6.1: PG_slab a page flag, PG_table cleared under PAGE_TYPE_BASE
  m.pg_slab_bit = 7;
  m.pg_table = 0x200;
  EXPECT_EQ(page_allocator(m, page(0xffffffff, 0, 1U << 7), false), PageAllocator::Slab);
  EXPECT_EQ(page_allocator(m, page(0xfffffdff, 0), false), PageAllocator::PageTable);
  EXPECT_EQ(page_allocator(m, page(0xffffffff, 0), false), PageAllocator::Other); // unmapped
  EXPECT_EQ(page_allocator(m, page(0, 0x1001), false), PageAllocator::Anon);      // mapcount 1
  EXPECT_EQ(page_allocator(m, page(0x200, 0x1000), false), PageAllocator::File);  // not a type
  m.pg_slab_bit.reset(); // 6.10, 6.11: PG_slab a page type too
  m.pg_slab_type = 0x1000;
  EXPECT_EQ(page_allocator(m, page(0xffffefff, 0, 1U << 7), false), PageAllocator::Slab);
  EXPECT_EQ(page_allocator(m, page(0xffffffff, 0, 1U << 7), false), PageAllocator::Other);
}

TEST(PageAllocator, VmallocStacksAsPageOwnerSortSeesThem) {
  EXPECT_TRUE(is_vmalloc_stack(" __alloc_pages+0x1/0x2\n __vmalloc_node_range+0x3/0x4\n"));
  EXPECT_TRUE(is_vmalloc_stack(" __vmalloc_node_range_noprof+0x3/0x4\n"));
  EXPECT_TRUE(is_vmalloc_stack(" __vmalloc_area_node+0xe7/0x220\n vzalloc+0x8e/0xc0\n")); // 5.10
  EXPECT_FALSE(is_vmalloc_stack(" vmalloc+0x3/0x4\n"));
  EXPECT_EQ(page_allocator_name(PageAllocator::PageTable), "page table");
}

TEST(TopQuery, Durations) {
  EXPECT_EQ(parse_duration("30s"), 30000000000ULL);
  EXPECT_EQ(parse_duration("10m"), 600000000000ULL);
  EXPECT_EQ(parse_duration("2h"), 7200000000000ULL);
  EXPECT_EQ(parse_duration("1d"), 86400000000000ULL);
  EXPECT_EQ(parse_duration("500ms"), 500000000ULL);
  EXPECT_EQ(parse_duration("7"), 7000000000ULL);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("m"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1w"));
  EXPECT_FALSE(parse_duration("99999999999999999d"));
  EXPECT_EQ(top_key_from_name("memcg"), TopKey::Memcg);
  EXPECT_FALSE(top_key_from_name("pid"));
}

TEST(StackFrames, ModulesAndFoldedNames) {
  const std::string text = " get_page_from_freelist+0x13ad/0x1450\n"
                           " po_mod_alloc_on+0x1c/0x50 [po_mod]\n"
                           " 0xffffffffc0401005\n";
  auto frames = stack_frames(text);
  ASSERT_EQ(frames.size(), 3U);
  EXPECT_EQ(frame_module(frames[0]), "");
  EXPECT_EQ(frame_module(frames[1]), "po_mod");
  EXPECT_EQ(folded_frame(frames[0]), "get_page_from_freelist");
  EXPECT_EQ(folded_frame(frames[1]), "po_mod_alloc_on [po_mod]");
  EXPECT_EQ(folded_frame(frames[2]), "0xffffffffc0401005");
}

TopResult sample(TopKey by) {
  TopResult r;
  r.by = by;
  r.total_pages = r.selected_pages = 10;
  r.total_records = r.selected_records = 4;
  r.clock.ns = 5000000000;
  r.exited_known = true;
  TopGroup g;
  g.key = " b+0x1/0x2\n a+0x3/0x4 [m]\n";
  g.fields = {{"stack", g.key}};
  g.pages = 8;
  g.records = 3;
  g.exited_pages = 8;
  g.top_tasks = {{7, "gone\"name", 8, true}};
  TopGroup h = g;
  h.key = " b+0x9/0x2\n c+0x3/0x4\n";
  h.fields = {{"stack", h.key}};
  h.pages = 2;
  h.records = 1;
  r.groups = {g, h};
  return r;
}

TEST(TopReport, JsonLinesHeaderThenGroups) {
  std::istringstream lines(top_json_lines(sample(TopKey::Stack), 0));
  std::string line;
  std::vector<nlohmann::json> objects;
  while (std::getline(lines, line))
    objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 3U);
  EXPECT_EQ(objects[0]["schema"], "powner-top");
  EXPECT_EQ(objects[0]["version"], 1);
  EXPECT_EQ(objects[0]["by"], "stack");
  EXPECT_EQ(objects[0]["total_pages"], 10);
  EXPECT_EQ(objects[0]["crash_time_ns"], 5000000000ULL);
  EXPECT_EQ(objects[1]["stack"], " b+0x1/0x2\n a+0x3/0x4 [m]\n");
  EXPECT_EQ(objects[1]["pages"], 8);
  EXPECT_EQ(objects[1]["share"], 80.0);
  EXPECT_EQ(objects[1]["mib"], 0.031); // 8 pages of 4 KiB, to the thousandth
  EXPECT_EQ(objects[1]["top_tasks"][0]["comm"], "gone\"name");
  EXPECT_EQ(objects[1]["top_tasks"][0]["exited"], true);
  EXPECT_EQ(top_json_lines(sample(TopKey::Stack), 1).find("c+0x3"), std::string::npos);
}

TEST(TopReport, FoldedRootFirstMergedByFunction) {
  EXPECT_EQ(top_folded(sample(TopKey::Stack)), "a [m];b 8\nc;b 2\n");
  TopResult same = sample(TopKey::Stack);
  same.groups[1].key = " b+0x9/0x2\n a+0x7/0x4 [m]\n"; // same functions, other offsets
  EXPECT_EQ(top_folded(same), "a [m];b 10\n");
}

TEST(TopReport, TableIsAlignedAndLimited) {
  std::string table = top_table(sample(TopKey::Stack), 1);
  EXPECT_NE(table.find("10 pages (0.0 MiB) in 4 records; crash at 5.000000000 s"),
            std::string::npos);
  EXPECT_NE(table.find("80.00%"), std::string::npos);
  EXPECT_NE(table.find("7 gone\"name 8 exited"), std::string::npos);
  EXPECT_NE(table.find("(1 more groups: -n 0 shows all)"), std::string::npos);
}

} // namespace
} // namespace powner
