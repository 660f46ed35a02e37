// SPDX-License-Identifier: GPL-2.0-or-later
// core/page_owner_lookup (what the drgn plugin's records(), page_owner_of() and stacks use)
// against the engine's own walk and stack text, on every fixture dump of $POWNER_FIXTURES read
// with the powner command's readers:
// - PageOwnerCursor's batches hold exactly the records of one PageOwnerWalk::run(), in order,
//   with and without a node filter;
// - lookup_page_owner() finds every walked record, field for field, as allocated;
// - StackDepot::fetch() gives the frames of StackDepot::text() for every handle the records use.
#include "fixture_dumps.h"
#include "powner/page_owner_lookup.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace powner {
namespace {

auto fields(const PageRecord& r) {
  return std::tie(r.pfn, r.order, r.last_migrate_reason, r.gfp_mask, r.handle, r.free_handle,
                  r.ts_nsec, r.free_ts_nsec, r.comm, r.pid, r.tgid, r.free_pid, r.free_tgid,
                  r.page_flags, r.memcg_data, r.page_is_tail, r.pageblock_migratetype);
}

using Dump = testing::FixtureDump;

std::vector<PageRecord> walk(Dump& d, const Filter& filter) {
  std::vector<PageRecord> out;
  PageOwnerWalk w(*d.file, d.engine->model());
  w.run(filter, [&](const PageRecord& r) { out.push_back(r); });
  return out;
}

std::vector<PageRecord> pull(Dump& d, const Filter& filter, size_t* batches) {
  std::vector<PageRecord> out, batch;
  PageOwnerCursor cursor(*d.file, d.engine->model(), filter);
  *batches = 0;
  while (cursor.next(batch)) {
    ++*batches;
    out.insert(out.end(), batch.begin(), batch.end());
  }
  EXPECT_FALSE(cursor.next(batch));
  EXPECT_TRUE(batch.empty());
  return out;
}

class PageOwnerLookupTest : public ::testing::Test {
protected:
  void SetUp() override {
    dumps_ = testing::open_fixture_dumps();
    if (dumps_.empty()) GTEST_SKIP() << "no fixture dumps (set POWNER_FIXTURES)";
  }
  std::vector<Dump> dumps_;
};

TEST_F(PageOwnerLookupTest, CursorBatchesAreTheWalk) {
  for (Dump& d : dumps_) {
    Filter all, node1;
    ASSERT_FALSE(apply_filter_command(node1, "nid=1", d.engine->model().memory_nodes));
    for (const Filter* f : {&all, &node1}) {
      std::vector<PageRecord> whole = walk(d, *f);
      size_t batches = 0;
      std::vector<PageRecord> pulled = pull(d, *f, &batches);
      ASSERT_EQ(pulled.size(), whole.size()) << d.name;
      // batches of whole sections: more than one where records are in more than one
      std::set<uint64_t> sections;
      for (const PageRecord& r : whole)
        sections.insert(r.pfn >> d.engine->model().pfn_section_shift);
      if (sections.size() > 1) {
        EXPECT_GT(batches, 1u) << d.name;
      }
      for (size_t i = 0; i < whole.size(); i++)
        ASSERT_EQ(fields(pulled[i]), fields(whole[i])) << d.name << " record " << i;
      EXPECT_GT(whole.size(), 1000u) << d.name;
    }
  }
}

TEST_F(PageOwnerLookupTest, LookupFindsEveryRecord) {
  for (Dump& d : dumps_) {
    const KernelModel& m = d.engine->model();
    std::map<PageOwnerLookup::State, int> states;
    for (const PageRecord& r : walk(d, Filter{})) {
      PageOwnerLookup one = lookup_page_owner(*d.file, m, r.pfn);
      ASSERT_EQ(one.state, PageOwnerLookup::State::Allocated) << d.name << " pfn " << r.pfn;
      ASSERT_EQ(fields(one.record), fields(r)) << d.name << " pfn " << r.pfn;
    }
    for (uint64_t pfn = 0; pfn < m.max_pfn; pfn += 61)
      states[lookup_page_owner(*d.file, m, pfn).state]++;
    EXPECT_GT(states[PageOwnerLookup::State::Freed], 0) << d.name;
    EXPECT_GT(states[PageOwnerLookup::State::NeverSet], 0) << d.name;
    EXPECT_EQ(lookup_page_owner(*d.file, m, m.nr_mem_sections << m.pfn_section_shift).state,
              PageOwnerLookup::State::NoPage);
  }
}

TEST_F(PageOwnerLookupTest, FetchStackIsTheDepotText) {
  for (Dump& d : dumps_) {
    const KernelModel& m = d.engine->model();
    StackDepot depot(*d.file, m, d.engine->symbols());
    std::map<uint32_t, bool> handles;
    for (const PageRecord& r : walk(d, Filter{})) {
      handles[r.handle] = true;
      handles[r.free_handle] = true;
    }
    handles.erase(0); // "no stack": the kernel never fetches it (6.1's text() would decode it)
    for (auto [handle, _] : handles) {
      bool bad = false, text_bad = false;
      std::vector<uint64_t> entries = depot.fetch(handle, &bad);
      const std::string& text = depot.text(handle, &text_bad);
      std::string frames;
      depot.append_frames(frames, entries);
      EXPECT_EQ(frames, text) << d.name << " handle " << handle;
      EXPECT_EQ(bad, text_bad) << d.name << " handle " << handle;
    }
    EXPECT_TRUE(depot.fetch(0).empty());
  }
}

} // namespace
} // namespace powner
