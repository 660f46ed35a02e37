// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/flags_format.h"

#include <gtest/gtest.h>

namespace powner {
namespace {

// 7.3's table order: composites first, then single bits in bit order.
const std::vector<FlagName> kGfp73 = {{0x1c24ca, "GFP_TRANSHUGE"},
                                      {0x1c20ca, "GFP_TRANSHUGE_LIGHT"},
                                      {0x100cca, "GFP_HIGHUSER_MOVABLE"},
                                      {0x100cc2, "GFP_HIGHUSER"},
                                      {0x100cc0, "GFP_USER"},
                                      {0x400cc0, "GFP_KERNEL_ACCOUNT"},
                                      {0xcc0, "GFP_KERNEL"},
                                      {0x2800, "GFP_NOWAIT"},
                                      {0x100, "__GFP_ZERO"},
                                      {0x2000, "__GFP_NOWARN"},
                                      {0x10000, "__GFP_NORETRY"},
                                      {0x40000, "__GFP_COMP"},
                                      {0x80000, "__GFP_NOMEMALLOC"}};

TEST(KernelPrintf, HexOfZeroHasItsPrefix) {
  std::string s;
  append_hex(s, 0);
  EXPECT_EQ(s, "0x0"); // glibc's %#x prints "0"; the kernel's number() prints "0x0"
}

TEST(FormatFlags, FirstMatchWinsAndResidueIsHex) {
  std::string s;
  append_flag_names(s, 0x140dca, kGfp73);
  EXPECT_EQ(s, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP");
  s.clear();
  append_flag_names(s, 0, kGfp73);
  EXPECT_EQ(s, ""); // mask 0x0()
  s.clear();
  append_flag_names(s, 0xcc0 | 0x4000000, kGfp73);
  EXPECT_EQ(s, "GFP_KERNEL|0x4000000");
  s.clear();
  append_flag_names(s, 0xd2800, kGfp73);
  EXPECT_EQ(s, "GFP_NOWAIT|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC");
}

TEST(FormatPageFlags, FieldsAfterTheNames) {
  KernelModel m;
  m.pageflag_names = {
      {1u << 2, "referenced"}, {1u << 9, "workingset"}, {1u << 6, "head"}}; // table order
  auto& l = m.flags_layout;
  l.nr_pageflags = 25;
  l.nodes_width = 6, l.nodes_shift = 58;
  l.zones_width = 2, l.zones_shift = 56;
  l.last_cpupid_width = 11, l.last_cpupid_shift = 45, l.last_cpupid_mask_bits = 11;
  m.prints_flag_fields = true; // 5.13+
  std::string s;
  append_page_flags(s, 0x4ffe00000000000ULL, m);
  EXPECT_EQ(s, "0x4ffe00000000000(node=1|zone=0|lastcpupid=0x7ff)");
  s.clear();
  append_page_flags(s, 0xffe00000000240ULL, m);
  EXPECT_EQ(s, "0xffe00000000240(workingset|head|node=0|zone=0|lastcpupid=0x7ff)");
}

TEST(FormatPageFlags, NamesAloneBefore513) {
  KernelModel m; // 5.10: print_page_owner() prints "%#lx(%pGp)", %pGp the names only
  m.pageflag_names = {{1u << 2, "referenced"}, {1u << 9, "workingset"}, {1u << 6, "head"}};
  m.flags_layout.nr_pageflags = 25;
  m.flags_layout.nodes_width = 6, m.flags_layout.nodes_shift = 58;
  std::string s;
  append_page_flags(s, 0xffe00000000240ULL, m);
  EXPECT_EQ(s, "0xffe00000000240(workingset|head)");
  s.clear();
  append_page_flags(s, 0x400000000000000ULL, m);
  EXPECT_EQ(s, "0x400000000000000()");
}

} // namespace
} // namespace powner
