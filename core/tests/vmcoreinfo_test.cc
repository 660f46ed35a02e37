// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/vmcoreinfo.h"

#include <gtest/gtest.h>

namespace powner {
namespace {

TEST(VmcoreInfo, ParsesEveryKind) {
  VmcoreInfo info(
      "OSRELEASE=7.3.0-rc7\nBUILD-ID=abc123\nPAGESIZE=4096\nSYMBOL(mem_section)=ffff888003a1b000\n"
      "LENGTH(node_data)=64\nOFFSET(page.flags)=0\nSIZE(page)=64\nNUMBER(phys_base)=-2147483648\n"
      "KERNELOFFSET=1a000000\n");
  EXPECT_EQ(info.osrelease(), "7.3.0-rc7");
  EXPECT_EQ(info.build_id(), "abc123");
  EXPECT_EQ(info.symbol("mem_section"), 0xffff888003a1b000ULL);
  EXPECT_EQ(info.length("node_data"), 64U);
  EXPECT_EQ(info.offset("page.flags"), 0U);
  EXPECT_EQ(info.size("page"), 64U);
  EXPECT_EQ(info.number("phys_base"), -2147483648LL);
  EXPECT_EQ(info.kaslr_offset(), 0x1a000000U);
}

TEST(VmcoreInfo, RejectsMalformedNumbers) {
  VmcoreInfo info("SYMBOL(x)=zz\nSIZE(y)=12abc\n=novalue\nnoequals\n");
  EXPECT_FALSE(info.symbol("x"));
  EXPECT_FALSE(info.size("y"));
  EXPECT_FALSE(info.get(""));
  EXPECT_FALSE(info.symbol("missing"));
  EXPECT_EQ(info.osrelease(), "");
}

} // namespace
} // namespace powner
