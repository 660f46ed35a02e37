// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/output_file.h"
#include "powner/status.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>

namespace powner {
namespace {

namespace fs = std::filesystem;

class OutputFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "powner-output-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_file(const std::string& name, const std::string& text) const {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  static std::string read(const std::string& path) {
    std::ostringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  }
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }

  fs::path dir_;
};

TEST_F(OutputFileTest, RefusesAnInputAndNamesTheOption) {
  const std::string dump = write_file("vmcore", "dump");
  const std::string link = (dir_ / "link").string();
  fs::create_symlink(dump, link);
  try {
    OutputFile out(link, {{"the dump", dump}}, "--html");
    FAIL() << "an input was accepted as the output";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::Usage);
    EXPECT_EQ(std::string(e.what()), "--html " + link + " is the dump (" + dump +
                                         "): refusing to overwrite a file "
                                         "being read");
  }
  EXPECT_EQ(read(dump), "dump");
}

TEST_F(OutputFileTest, CommitReplacesTheFileWhole) {
  const std::string path = write_file("out.txt", "old");
  {
    OutputFile out(path, {});
    std::fputs("new", out.stream());
    EXPECT_EQ(read(path), "old"); // written beside it until the commit
    out.commit();
  }
  EXPECT_EQ(read(path), "new");
  EXPECT_EQ(entries(), 1U);
}

TEST_F(OutputFileTest, WithoutCommitTheOldFileStays) {
  const std::string path = write_file("out.txt", "old");
  {
    OutputFile out(path, {});
    std::fputs("half", out.stream());
  }
  EXPECT_EQ(read(path), "old");
  EXPECT_EQ(entries(), 1U); // no temporary file left behind
}

} // namespace
} // namespace powner
