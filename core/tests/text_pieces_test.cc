// SPDX-License-Identifier: GPL-2.0-or-later
// TextPieces: the same text whether referred texts are gathered or copied; marks take back
// exactly what came after them.
#include "powner/text_pieces.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace powner {
namespace {

std::vector<std::string> pieces(const TextPieces& t) {
  std::vector<std::string> out;
  t.for_each([&](std::string_view p) { out.emplace_back(p); });
  return out;
}

std::string joined(const TextPieces& t) {
  std::string out;
  t.for_each([&](std::string_view p) { out += p; });
  return out;
}

const std::string kStack(200, 's'); // long enough to be referred to

TEST(TextPieces, GatheredRefersToLongTextsAndJoinsItsOwn) {
  TextPieces t(/*gather=*/true);
  t.append("head ");
  char* at = t.begin_write(64);
  at[0] = '1';
  at[1] = '\n';
  t.end_write(at + 2);
  t.refer(kStack);
  t.refer("short line\n"); // copied: shorter than a piece is worth
  t.push_back('\n');
  EXPECT_EQ(pieces(t), (std::vector<std::string>{"head 1\n", kStack, "short line\n\n"}));
  EXPECT_EQ(t.size(), 7 + kStack.size() + 12);
  EXPECT_EQ(t.own_bytes(), 7u + 12);
  // The referred text is where it was: not a copy.
  const char* where = nullptr;
  t.for_each([&](std::string_view p) {
    if (p.size() == kStack.size()) where = p.data();
  });
  EXPECT_EQ(where, kStack.data());
  EXPECT_THROW(t.flat(), std::logic_error);
}

TEST(TextPieces, CopiedIsOneFlatPiece) {
  TextPieces t;
  t.append("head\n");
  t.refer(kStack);
  t.push_back('\n');
  EXPECT_EQ(pieces(t).size(), 1u);
  EXPECT_EQ(t.flat(), "head\n" + kStack + "\n");
  EXPECT_EQ(t.size(), t.flat().size());
}

TEST(TextPieces, TruncateTakesBackWhatCameAfterTheMark) {
  for (bool gather : {false, true}) {
    TextPieces t(gather);
    t.append("one\n");
    const TextPieces::Mark m = t.mark();
    t.append("two ");
    t.refer(kStack);
    t.append("three\n");
    t.truncate(m);
    EXPECT_EQ(joined(t), "one\n") << gather;
    EXPECT_EQ(t.size(), 4u);
    t.append("four\n"); // the first piece grows again
    EXPECT_EQ(pieces(t), (std::vector<std::string>{"one\nfour\n"})) << gather;
    t.clear();
    EXPECT_TRUE(t.empty());
    EXPECT_TRUE(pieces(t).empty());
  }
}

TEST(TextPieces, UnusedReservedSpaceIsNotText) {
  TextPieces t(/*gather=*/true);
  char* at = t.begin_write(100);
  t.end_write(at); // nothing written
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(pieces(t).empty());
  t.append("x");
  EXPECT_EQ(joined(t), "x");
}

} // namespace
} // namespace powner
