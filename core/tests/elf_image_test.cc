// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/readers/elf_image.h"
#include "powner/status.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace powner {
namespace {

namespace fs = std::filesystem;

// A stripped executable: ELF with a symbol-less, DWARF-less image.
constexpr const char* kBinary = "/bin/true";

TEST(ElfImage, OpensAnExecutableWithoutDebugInfo) {
  if (!fs::exists(kBinary)) GTEST_SKIP() << "no " << kBinary;
  ElfImage image(kBinary);
  EXPECT_EQ(image.path(), kBinary);
  EXPECT_FALSE(image.has_debug_info());
  EXPECT_EQ(image.address_size(), sizeof(void*));
  // Debian links with --build-id: 20 bytes of SHA-1.
  EXPECT_EQ(image.build_id().size(), 40U) << image.build_id();
  EXPECT_FALSE(image.global("linux_banner"));
  EXPECT_EQ(image.release(), "");
}

TEST(ElfImage, MissingFileThrowsUnreadable) {
  try {
    ElfImage image("/nonexistent/vmlinux");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::Unreadable);
    EXPECT_EQ(std::string(e.what()), "/nonexistent/vmlinux: No such file or directory");
  }
}

TEST(ElfImage, NonElfThrowsUnreadable) {
  fs::path p = fs::temp_directory_path() / ("powner_elf_image_test_" + std::to_string(getpid()));
  std::ofstream(p) << "not an ELF file\n";
  try {
    ElfImage image(p.string());
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::Unreadable);
    EXPECT_EQ(std::string(e.what()), p.string() + ": not an ELF file");
  }
  fs::remove(p);
}

TEST(ElfImage, FixtureVmlinuxHasDebugInfo) {
  const char* dir = std::getenv("POWNER_FIXTURES");
  fs::path p = dir != nullptr ? fs::path(dir) / "7.3" / "vmlinux" : fs::path();
  if (p.empty() || !fs::exists(p)) GTEST_SKIP() << "no 7.3 vmlinux (set POWNER_FIXTURES)";
  ElfImage image(p.string());
  EXPECT_TRUE(image.has_debug_info());
  EXPECT_TRUE(image.little_endian());
  EXPECT_EQ(image.address_size(), 8U);
  EXPECT_FALSE(image.build_id().empty());
  EXPECT_TRUE(image.has_symtab());
  EXPECT_TRUE(image.global("init_task"));
}

} // namespace
} // namespace powner
