// SPDX-License-Identifier: GPL-2.0-or-later
// write_gathered(): every piece, in order, past IOV_MAX pieces and through a pipe's short
// writes; a failed write is an Error with the system's reason.
#include "powner/host/gathered_write.h"
#include "powner/status.h"

#include <climits>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace powner {
namespace {

TEST(GatheredWrite, ManyPiecesThroughAPipeArriveWholeAndInOrder) {
  // More pieces than one writev() takes, and more bytes than a pipe holds at once.
  std::vector<std::string> stacks;
  for (int i = 0; i < 16; i++)
    stacks.push_back(std::string(150 + i, static_cast<char>('a' + i)) + "\n");
  TextPieces text(/*gather=*/true);
  std::string expected;
  for (int i = 0; i < 3 * IOV_MAX; i++) {
    const std::string head = "record " + std::to_string(i) + "\n";
    text.append(head);
    text.refer(stacks[i % stacks.size()]);
    expected += head + stacks[i % stacks.size()];
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string got;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
      got.append(buf, static_cast<size_t>(n));
  });
  write_gathered(fds[1], text);
  close(fds[1]);
  reader.join();
  close(fds[0]);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST(GatheredWrite, AFailedWriteIsAnError) {
  TextPieces text;
  text.append("x");
  try {
    write_gathered(-1, text);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::Unreadable);
    EXPECT_NE(std::string(e.what()).find("Bad file descriptor"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace powner
