// SPDX-License-Identifier: GPL-2.0-or-later
// render_stack_view() on a fake kernel: stack_print() of mm/page_owner.c over stack_list, newest
// first. show_stacks prints " %pS\n" frames and "nr_base_pages: %d\n", show_handles
// "handle: %d\n" and the pages, show_stacks_handles frames and handle without pages; the two with
// pages leave out stacks with fewer than 1 page or fewer than count_threshold. A list the dump
// cuts or loops is reported, not followed forever.
#include "fake_target.h"
#include "powner/stack_views.h"

#include <gtest/gtest.h>
#include <string>

namespace powner {
namespace {

using testing::FakeKernel;

// Four stacks saved in this order (stack_list: D, C, B, A), refcount = pages + 1, and the
// dummy stack of page_owner's init without a record.
struct StackViews : ::testing::Test {
  void SetUp() override {
    dummy = k.push_stack_list(0); // no stack_record: stack_print() prints nothing for it
    const std::vector<uint64_t> frames[] = {
        {0xffffffff81000a00, 0xffffffff81000a10},
        {0xffffffff81000b00, 0xffffffff81000b10},
        {0xffffffff81000c00, 0xffffffff81000c10},
        {0xffffffff81000d00, 0xffffffff81000d10},
    };
    const int32_t refcounts[] = {2049, 5, 2, 1};
    const uint32_t want_handles[] = {524289, 917505, 1310721, 1703937};
    for (int i = 0; i < 4; i++) {
      uint32_t handle = k.add_stack(frames[i], refcounts[i]);
      ASSERT_EQ(handle, want_handles[i]); // pool 0, offsets 0x40, 0x70, 0xa0, 0xd0 >> 4
      stacks[i] = k.push_stack_list(k.record_addr(handle));
    }
  }
  StackViewResult render(StackView view, uint64_t threshold) {
    StackViewResult r = render_stack_view(k.mem, k.model, k.depot(), view, threshold);
    EXPECT_FALSE(r.truncated);
    return r;
  }
  FakeKernel k;
  uint64_t dummy = 0, stacks[4] = {}; // the struct stacks of the list
  const std::string a = " 0xffffffff81000a00\n 0xffffffff81000a10\n";
  const std::string b = " 0xffffffff81000b00\n 0xffffffff81000b10\n";
  const std::string c = " 0xffffffff81000c00\n 0xffffffff81000c10\n";
  const std::string d = " 0xffffffff81000d00\n 0xffffffff81000d10\n";
};

TEST_F(StackViews, ShowStacks) {
  StackViewResult r = render(StackView::Stacks, 0);
  EXPECT_EQ(r.text, c + "nr_base_pages: 1\n\n" + b + "nr_base_pages: 4\n\n" + a +
                        "nr_base_pages: 2048\n\n");
  EXPECT_EQ(r.unreadable, 0u);
  EXPECT_FALSE(r.cut_short);
}

TEST_F(StackViews, ShowHandles) {
  EXPECT_EQ(render(StackView::Handles, 0).text, "handle: 1310721\nnr_base_pages: 1\n\n"
                                                "handle: 917505\nnr_base_pages: 4\n\n"
                                                "handle: 524289\nnr_base_pages: 2048\n\n");
}

// No STACK_PRINT_FLAG_PAGES: every stack, its page count neither printed nor compared.
TEST_F(StackViews, ShowStacksHandles) {
  EXPECT_EQ(render(StackView::StacksHandles, 0).text,
            d + "handle: 1703937\n\n" + c + "handle: 1310721\n\n" + b + "handle: 917505\n\n" + a +
                "handle: 524289\n\n");
  EXPECT_EQ(render(StackView::StacksHandles, 5000).text, render(StackView::StacksHandles, 0).text);
}

// count_threshold: stacks with fewer pages are left out; as many are kept.
TEST_F(StackViews, CountThreshold) {
  EXPECT_EQ(render(StackView::Stacks, 4).text,
            b + "nr_base_pages: 4\n\n" + a + "nr_base_pages: 2048\n\n");
  EXPECT_EQ(render(StackView::Handles, 5).text, "handle: 524289\nnr_base_pages: 2048\n\n");
  EXPECT_EQ(render(StackView::Handles, 2048).text, "handle: 524289\nnr_base_pages: 2048\n\n");
  EXPECT_EQ(render(StackView::Handles, 2049).text, "");
  EXPECT_EQ(render(StackView::Stacks, 1).text, render(StackView::Stacks, 0).text);
}

// "handle: %d" of stack_record->handle.handle, a u32.
TEST_F(StackViews, HandlesPrintSigned) {
  uint64_t rec_c = k.record_addr(1310721);
  k.mem.put_value<uint32_t>(rec_c + k.model.rec_handle_off, 0x80000000u | 1310721);
  EXPECT_EQ(render(StackView::Handles, 0).text, "handle: -2146172927\nnr_base_pages: 1\n\n"
                                                "handle: 917505\nnr_base_pages: 4\n\n"
                                                "handle: 524289\nnr_base_pages: 2048\n\n");
}

// A refcount of 0 (a stack put after the walk started) makes -1 pages: left out, not wrapped.
TEST_F(StackViews, NoPagesIsNeverAboveTheThreshold) {
  k.mem.put_value<int32_t>(k.record_addr(1310721) + *k.model.rec_count_off, 0);
  EXPECT_EQ(render(StackView::Handles, 0).text, "handle: 917505\nnr_base_pages: 4\n\n"
                                                "handle: 524289\nnr_base_pages: 2048\n\n");
}

// A stack_record the dump lacks is counted, the rest of the list printed; a struct stack it
// lacks ends the list there.
TEST_F(StackViews, WhatTheDumpLacks) {
  k.mem.put_value<uint64_t>(stacks[1] + k.model.stack_record_off, 0xffff888009000000); // B's
  StackViewResult r = render(StackView::StacksHandles, 0);
  EXPECT_EQ(r.text,
            d + "handle: 1703937\n\n" + c + "handle: 1310721\n\n" + a + "handle: 524289\n\n");
  EXPECT_EQ(r.unreadable, 1u);
  EXPECT_FALSE(r.cut_short);

  k.mem.drop(stacks[2]); // C's struct stack
  r = render(StackView::StacksHandles, 0);
  EXPECT_EQ(r.text, d + "handle: 1703937\n\n");
  EXPECT_TRUE(r.cut_short);
}

TEST_F(StackViews, ALoopingListEnds) {
  k.mem.put_value<uint64_t>(dummy + k.model.stack_next_off, stacks[3]);
  StackViewResult r = render_stack_view(k.mem, k.model, k.depot(), StackView::StacksHandles, 0);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.text, d + "handle: 1703937\n\n" + c + "handle: 1310721\n\n" + b +
                        "handle: 917505\n\n" + a + "handle: 524289\n\n");
}

TEST(StackViewNames, AsTheHostsName) {
  EXPECT_EQ(stack_view_from_name("stacks"), StackView::Stacks);
  EXPECT_EQ(stack_view_from_name("handles"), StackView::Handles);
  EXPECT_EQ(stack_view_from_name("stacks_handles"), StackView::StacksHandles);
  EXPECT_ANY_THROW(stack_view_from_name("show_stacks"));
}

} // namespace
} // namespace powner
