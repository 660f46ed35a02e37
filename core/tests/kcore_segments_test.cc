// SPDX-License-Identifier: GPL-2.0-or-later
// KcoreSegments reads kernel virtual addresses through an ELF core's PT_LOAD segments, as
// /proc/kcore lays them out; what no segment holds is refused, never read as zeros.
#include "powner/readers/kcore_segments.h"
#include "powner/status.h"

#include <cstdio>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace powner {
namespace {

constexpr uint64_t kText = 0xffffffff81000000, kDirect = 0xffff888000000000;

// An ELF core with two loads: 0x100 bytes at kDirect (offset 0x1000), then 0x100 at kText
// (offset 0x1100); each segment's bytes count up from 0.
class KcoreFile : public testing::Test {
protected:
  void SetUp() override {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd_, 0);
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_type = ET_CORE;
    eh.e_phoff = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 3;
    Elf64_Phdr ph[3]{};
    ph[0].p_type = PT_NOTE;
    ph[1] = {PT_LOAD, PF_R, 0x1100, kText, 0, 0x100, 0x100, 0x1000};
    ph[2] = {PT_LOAD, PF_R, 0x1000, kDirect, 0, 0x100, 0x100, 0x1000};
    std::vector<unsigned char> bytes(0x1200);
    std::memcpy(bytes.data(), &eh, sizeof eh);
    std::memcpy(bytes.data() + sizeof eh, ph, sizeof ph);
    for (unsigned i = 0; i < 0x200; i++)
      bytes[0x1000 + i] = static_cast<unsigned char>(i);
    ASSERT_EQ(::pwrite(fd_, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  }
  void TearDown() override {
    ::close(fd_);
    std::remove(path_.c_str());
  }
  std::string path_ = testing::TempDir() + "kcore_segments_test.core";
  int fd_ = -1;
};

TEST_F(KcoreFile, ReadsThroughTheSegments) {
  KcoreSegments kcore(fd_, path_);
  unsigned char b[4];
  ASSERT_TRUE(kcore.read(fd_, kDirect + 0x10, b, 4));
  EXPECT_EQ(b[0], 0x10);
  EXPECT_EQ(b[3], 0x13);
  ASSERT_TRUE(kcore.read(fd_, kText + 0xfc, b, 4)); // the last bytes of a segment
  EXPECT_EQ(b[0], 0xfc);
  EXPECT_EQ(b[3], 0xff);
}

TEST_F(KcoreFile, RefusesWhatNoSegmentHolds) {
  KcoreSegments kcore(fd_, path_);
  unsigned char b[8];
  EXPECT_FALSE(kcore.read(fd_, kDirect - 1, b, 1));      // before every segment
  EXPECT_FALSE(kcore.read(fd_, kDirect + 0xfc, b, 8));   // runs past its segment's end
  EXPECT_FALSE(kcore.read(fd_, kDirect + 0x1000, b, 1)); // between the segments
  EXPECT_FALSE(kcore.read(fd_, kText + 0x100, b, 1));    // after the last one
}

TEST_F(KcoreFile, BadHeadersAreOneLineErrors) {
  Elf64_Half huge = PN_XNUM;
  ASSERT_EQ(::pwrite(fd_, &huge, sizeof huge, offsetof(Elf64_Ehdr, e_phnum)),
            static_cast<ssize_t>(sizeof huge));
  EXPECT_THROW(KcoreSegments(fd_, path_), Error);
  ASSERT_EQ(::pwrite(fd_, "XELF", 4, 0), 4);
  EXPECT_THROW(KcoreSegments(fd_, path_), Error);
}

// (/proc/kcore itself is live: tests/kcore checks powner on it inside a guest.)
TEST(KcoreSegments, NeitherOtherFilesNorOtherProcfsFilesAreLive) {
  int dev = ::open("/dev/null", O_RDONLY), proc = ::open("/proc/self/stat", O_RDONLY);
  ASSERT_GE(dev, 0);
  ASSERT_GE(proc, 0);
  EXPECT_FALSE(KcoreSegments::is_live(dev));
  EXPECT_FALSE(KcoreSegments::is_live(proc));
  ::close(dev);
  ::close(proc);
}

} // namespace
} // namespace powner
