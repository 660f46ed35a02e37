// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/filter.h"
#include "powner/status.h"

#include <cerrno>
#include <gtest/gtest.h>

namespace powner {
namespace {

std::vector<bool> nodes(std::initializer_list<unsigned> set, unsigned nbits = 64) {
  std::vector<bool> v(nbits);
  for (unsigned n : set)
    v[n] = true;
  return v;
}

int parse(std::string_view s, std::vector<bool>& out, unsigned nbits = 64) {
  return parse_nodelist(s, nbits, out);
}

TEST(Nodelist, ParsesLikeBitmapParselist) {
  std::vector<bool> out;
  EXPECT_EQ(parse("0", out), 0);
  EXPECT_EQ(out, nodes({0}));
  EXPECT_EQ(parse("0,2-3", out), 0);
  EXPECT_EQ(out, nodes({0, 2, 3}));
  EXPECT_EQ(parse("0-7:2/4", out), 0); // groups: 2 of every 4
  EXPECT_EQ(out, nodes({0, 1, 4, 5}));
  EXPECT_EQ(parse(",1,,2,", out), 0); // empty regions are skipped
  EXPECT_EQ(out, nodes({1, 2}));
  EXPECT_EQ(parse("N", out, 8), 0); // the last node
  EXPECT_EQ(out, nodes({7}, 8));
  EXPECT_EQ(parse("all", out, 4), 0);
  EXPECT_EQ(out, nodes({0, 1, 2, 3}, 4));
  EXPECT_EQ(parse("", out), 0);
  EXPECT_EQ(out, nodes({}));
}

TEST(Nodelist, RejectsWhatTheKernelRejects) {
  std::vector<bool> out;
  EXPECT_EQ(parse("1-0", out), -EINVAL); // reversed range
  EXPECT_EQ(parse("a", out), -EINVAL);   // not a number
  EXPECT_EQ(parse("0x1", out), -EINVAL); // decimal only
  EXPECT_EQ(parse("-1", out), -EINVAL);
  EXPECT_EQ(parse("0-", out), -EINVAL);
  EXPECT_EQ(parse("0-3:4/2", out), -EINVAL); // used part longer than the group
  EXPECT_EQ(parse("0-3:1/0", out), -EINVAL); // empty group
  EXPECT_EQ(parse("64", out), -ERANGE);      // beyond MAX_NUMNODES
  EXPECT_EQ(parse("99999", out), -ERANGE);
  EXPECT_EQ(parse("99999999999", out), -EOVERFLOW);
}

TEST(FilterCommand, AppliesAllOrNothing) {
  auto memory = nodes({0, 1});
  Filter f;
  EXPECT_FALSE(apply_filter_command(f, "mode=handle nid=1", memory));
  EXPECT_EQ(f.mode, PrintMode::Handle);
  EXPECT_TRUE(f.nid_enabled);
  EXPECT_EQ(f.nodes, nodes({1}));
  // A bad token leaves the previous state untouched.
  auto err = apply_filter_command(f, "mode=stack nid=0 extra", memory);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->errnum, EINVAL);
  EXPECT_EQ(f.mode, PrintMode::Handle);
  EXPECT_EQ(f.nodes, nodes({1}));
  EXPECT_FALSE(apply_filter_command(f, "\tmode=stack_handle\n", memory));
  EXPECT_EQ(f.mode, PrintMode::StackHandle);
}

TEST(FilterCommand, RejectsNodesWithoutMemoryAndBadModes) {
  auto memory = nodes({0, 1});
  Filter f;
  EXPECT_EQ(apply_filter_command(f, "nid=2", memory)->errnum, EINVAL);     // no memory / absent
  EXPECT_EQ(apply_filter_command(f, "nid=", memory)->errnum, EINVAL);      // empty list
  EXPECT_EQ(apply_filter_command(f, "nid=99999", memory)->errnum, ERANGE); // beyond MAX_NUMNODES
  EXPECT_EQ(apply_filter_command(f, "mode=bogus", memory)->errnum, EINVAL);
  EXPECT_EQ(apply_filter_command(f, "mode=", memory)->errnum, EINVAL);
  EXPECT_EQ(apply_filter_command(f, "colour=blue", memory)->errnum, EINVAL);
  EXPECT_EQ(apply_filter_command(f, std::string(32 + 6 * 64 + 1, ' '), memory)->errnum, EINVAL);
  EXPECT_FALSE(f.nid_enabled);
  EXPECT_FALSE(apply_filter_command(f, "", memory)); // an empty write changes nothing
}

// The message of the Error that filter_from_options() throws, "" if it throws none.
std::string refusal(FilterOptions options, const std::vector<bool>& memory) {
  try {
    filter_from_options(options, memory);
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::Usage);
    return e.what();
  }
  return "";
}

TEST(FilterOptions, TakeEachOptionAsItsOwnValue) {
  auto memory = nodes({0, 1});
  // A mode is a mode name, never more tokens pasted after it.
  EXPECT_EQ(refusal({.mode = "handle nid=1"}, memory),
            "unknown print mode 'handle nid=1' (stack, handle or stack_handle) (the kernel "
            "rejects this filter with EINVAL)");
  // A node list is one value, spaces and all.
  Filter f = filter_from_options({.nodes = "0, 1"}, memory);
  EXPECT_TRUE(f.nid_enabled);
  EXPECT_EQ(f.nodes, nodes({0, 1}));
  // Given but empty is what "mode=" and "nid=" are: refused.
  EXPECT_NE(refusal({.mode = ""}, memory), "");
  EXPECT_NE(refusal({.nodes = ""}, memory), "");
  EXPECT_EQ(refusal({}, memory), "");
}

TEST(FilterOptions, TheCommandIsALaterWrite) {
  auto memory = nodes({0, 1});
  Filter f = filter_from_options({.mode = "handle", .nodes = "0", .command = "mode=stack"}, memory);
  EXPECT_EQ(f.mode, PrintMode::Stack); // the command wins
  EXPECT_EQ(f.nodes, nodes({0}));      // what it does not set stays
}

TEST(FilterOptions, ANodeWithoutMemoryNamesThoseWithMemory) {
  EXPECT_EQ(refusal({.nodes = "5"}, nodes({0, 1, 3})),
            "nid=5: node 5 has no memory (nodes with memory: 0-1,3) (the kernel rejects this "
            "filter with EINVAL)");
}

} // namespace
} // namespace powner
