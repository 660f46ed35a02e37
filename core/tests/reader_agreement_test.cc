// SPDX-License-Identifier: GPL-2.0-or-later
// readers_agree(): a host's reader and the dump file agree only on the same bytes (or both
// missing) at every SYMBOL the check knows, and only if at least one could be read.
#include "fake_target.h"
#include "powner/reader_agreement.h"

#include <gtest/gtest.h>
#include <vector>

namespace powner {
namespace {

using testing::FakeMemory;

constexpr uint64_t kMemSection = 0xffffffff82000000, kNames = 0xffffffff81800000;
const VmcoreInfo kInfo("SYMBOL(mem_section)=ffffffff82000000\n"
                       "SYMBOL(kallsyms_names)=ffffffff81800000\n");

FakeMemory kernel(unsigned char root_byte) {
  FakeMemory m;
  std::vector<unsigned char> root(64, root_byte), names(64, 0x41);
  m.put(kMemSection, root.data(), root.size());
  m.put(kNames, names.data(), names.size());
  return m;
}

TEST(ReadersAgree, OnTheSameBytes) {
  FakeMemory a = kernel(1), b = kernel(1);
  EXPECT_TRUE(readers_agree(a, b, kInfo));
}

TEST(ReadersAgree, NotOnOneDifferentByte) {
  FakeMemory a = kernel(1), b = kernel(2);
  EXPECT_FALSE(readers_agree(a, b, kInfo));
}

TEST(ReadersAgree, NotWhenOnlyOneCanRead) {
  FakeMemory a = kernel(1), b;
  std::vector<unsigned char> root(64, 1);
  b.put(kMemSection, root.data(), root.size()); // kallsyms_names missing from b only
  EXPECT_FALSE(readers_agree(a, b, kInfo));
}

TEST(ReadersAgree, NotWhenNothingCouldBeCompared) {
  FakeMemory a, b;
  EXPECT_FALSE(readers_agree(a, b, kInfo)); // both unreadable everywhere
  FakeMemory c = kernel(1), d = kernel(1);
  EXPECT_FALSE(readers_agree(c, d, VmcoreInfo("OSRELEASE=7.3.0\n"))); // no symbols to look at
}

} // namespace
} // namespace powner
