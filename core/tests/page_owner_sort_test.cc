// SPDX-License-Identifier: GPL-2.0-or-later
// page_owner_sort's reading on made-up text: each field as the tool's regular expressions find it,
// its option values, and whole runs whose expected outputs are what the kernel's tool printed for
// the same input (tests/sort/page_owner_sort.c; tests/sort compares the two on every fixture).
#include "powner/status.h"
#include "powner/triage/page_owner_sort.h"

#include <climits>
#include <gtest/gtest.h>
#include <random>
#include <string>

namespace powner {
namespace {

std::string sorted(const std::string& text, const PageOwnerSortOptions& options = {}) {
  std::string out;
  page_owner_sort(text, text.size(), options, [&](std::string_view s) { out.append(s); });
  return out;
}

const std::string kPad = " g+0x1/0x2 " + std::string(66, 'x') + "\n";

const std::string kThree =
    "Page allocated via order 1, mask 0x0(), pid 5, tgid 5 (a), ts 30 ns\n"
    "PFN 0x1 type CMA Block 0 type CMA Flags 0x0()\n f+0x1/0x2\n" +
    kPad +
    "\n"
    "Page allocated via order 0, mask 0x0(), pid 6, tgid 5 (b), ts 10 ns\n"
    "PFN 0x2 type Movable Block 0 type Movable Flags 0x0(slab)\n h+0x1/0x2\n" +
    kPad +
    "\n"
    "Page allocated via order 1, mask 0x0(), pid 5, tgid 5 (a), ts 20 ns\n"
    "PFN 0x3 type Movable Block 0 type Movable Flags 0x0()\n f+0x1/0x2\n" +
    kPad + "\n";

TEST(PageOwnerSortFields, ARecordsFirstLine) {
  const std::string block = "Page allocated via order 3, mask 0x0(), pid 12, tgid 7 (kworker/u8:1),"
                            " ts 1234 ns\n stack+0x1/0x2\n\n";
  const SortBlockFields f = sort_block_fields(block);
  EXPECT_EQ(f.pid, 12);
  EXPECT_EQ(f.tgid, 7);
  EXPECT_EQ(f.ts_nsec, 1234U);
  EXPECT_EQ(f.pages, 8);
  ASSERT_TRUE(f.comm);
  EXPECT_EQ(*f.comm, "kworker/u8:1");
  EXPECT_EQ(block.substr(f.ts_digits_at, f.ts_digits_size), "1234");
}

// \s is [[:space:]]: newlines too, even under REG_NEWLINE.
TEST(PageOwnerSortFields, SpacesIncludeNewlines) {
  const SortBlockFields f = sort_block_fields(
      "Page allocated via order\n2, mask 0x0(), pid\n7, tgid\n8 (ab), ts\n12\nns\n\n");
  EXPECT_EQ(f.pid, 7);
  EXPECT_EQ(f.tgid, 8);
  EXPECT_EQ(f.pages, 4);
  EXPECT_EQ(f.ts_nsec, 12U);
  ASSERT_TRUE(f.comm);
  EXPECT_EQ(*f.comm, "ab");
}

TEST(PageOwnerSortFields, NameIsTheLongestMatchOnItsLine) {
  const SortBlockFields f = sort_block_fields("pid 1, tgid 1 (x), ts), ts 5 ns\n\n");
  ASSERT_TRUE(f.comm);
  EXPECT_EQ(*f.comm, "x), ts");
  EXPECT_TRUE(sort_block_fields("pid 1, tgid 1 (" + std::string(15, 'a') + "), ts 1 ns\n\n").comm);
  EXPECT_FALSE(sort_block_fields("pid 1, tgid 1 (" + std::string(16, 'a') + "), ts 1 ns\n\n").comm);
  EXPECT_FALSE(sort_block_fields("pid 1, tgid 1 (a)\n, ts 1 ns\n\n").comm) << "'.' stops at \\n";
  EXPECT_FALSE(sort_block_fields("Page allocated via order 0, pid 1\n\n").comm);
}

TEST(PageOwnerSortFields, NumbersAsStrtolAndTheShiftGiveThem) {
  auto pages = [](const std::string& order) {
    return sort_block_fields("order " + order + ", pid 1, tgid 1 (a), ts 1 ns\n\n").pages;
  };
  EXPECT_EQ(pages("0"), 1);
  EXPECT_EQ(pages("30"), 1 << 30);
  EXPECT_EQ(pages("31"), INT_MIN);
  EXPECT_EQ(pages("32"), 1) << "x86 shifts by the count modulo 32";
  EXPECT_EQ(pages("65"), 0);
  EXPECT_EQ(pages("4294967297"), 2) << "narrowed to int before the check";
  EXPECT_EQ(pages(""), 0);
  auto pid = [](const std::string& value) {
    return sort_block_fields("pid " + value + ", tgid 1 (a), ts 1 ns\n\n").pid;
  };
  EXPECT_EQ(pid("4294967297"), 1);
  EXPECT_EQ(pid("9223372036854775808"), -1) << "ERANGE";
  EXPECT_EQ(pid(std::string(24, '0') + "1"), -1) << "25 characters: too long";
  EXPECT_EQ(pid("12a"), -1);
  // tgid followed by spaces but no number followed by a space: a match with no digits.
  EXPECT_EQ(sort_block_fields("tgid  x tgid 5 (a), ts 1 ns\n\n").tgid, -1);
  EXPECT_EQ(sort_block_fields("tgid5x tgid 5 (a), ts 1 ns\n\n").tgid, 5);
  EXPECT_EQ(sort_block_fields("ts 18446744073709551616 ns\n\n").ts_nsec, UINT64_MAX);
}

TEST(PageOwnerSortFields, Allocator) {
  const std::string plain = "a\n b\n\n";
  EXPECT_EQ(sort_block_allocator(plain, "PFN 0x1 type CMA Flags 0x0(slab)\n"),
            kAllocatorCma | kAllocatorSlab);
  EXPECT_EQ(sort_block_allocator(plain, ""), kAllocatorOthers);
  EXPECT_EQ(sort_block_allocator("a\n alloc_pages+0x1\n __vmalloc_node_range+0x1\n\n", ""),
            kAllocatorVmalloc);
  EXPECT_EQ(sort_block_allocator("a\n __vmalloc_node_range+0x1\n alloc_pages+0x1\n\n", ""),
            kAllocatorOthers);
  EXPECT_EQ(sort_block_allocator("a\n alloc_pages\n x\n __vmalloc_node_range\n\n", ""),
            kAllocatorOthers)
      << "only the line before counts";
}

TEST(PageOwnerSortOptions, ValuesAsTheToolReadsThem) {
  unsigned cull = 0;
  EXPECT_TRUE(parse_cull_keys("pid,st", cull));
  EXPECT_EQ(cull, kCullPid | kCullStacktrace);
  EXPECT_TRUE(parse_cull_keys("tg,n,ator", cull));
  EXPECT_EQ(cull, kCullPid | kCullStacktrace | kCullTgid | kCullName | kCullAllocator);
  EXPECT_FALSE(parse_cull_keys("txt", cull));
  EXPECT_FALSE(parse_cull_keys("pid,", cull));
  EXPECT_TRUE(check_sort_keys("-pid,+at,T,ator"));
  EXPECT_FALSE(check_sort_keys("-"));
  EXPECT_FALSE(check_sort_keys("pid,,at"));
  EXPECT_EQ(parse_id_list(" 5,+6,-1,4294967297"), (std::vector<int32_t>{5, 6, -1, 1}));
  EXPECT_FALSE(parse_id_list("5 "));
  EXPECT_FALSE(parse_id_list("1,"));
  EXPECT_FALSE(parse_id_list("0x10"));
  EXPECT_FALSE(parse_id_list("99999999999999999999"));
  EXPECT_EQ(split_names("a,,b"), (std::vector<std::string>{"a", "", "b"}));
}

TEST(PageOwnerSort, DefaultCountsTextsWithoutTheirTimestamps) {
  EXPECT_EQ(sorted(kThree),
            "2 times, 4 pages, allocated by CMA :\n"
            "Page allocated via order 1, mask 0x0(), pid 5, tgid 5 (a), ts  ns\n"
            " f+0x1/0x2\n" +
                kPad +
                "\n"
                "1 times, 1 pages, allocated by SLAB :\n"
                "Page allocated via order 0, mask 0x0(), pid 6, tgid 5 (b), ts  ns\n"
                " h+0x1/0x2\n" +
                kPad + "\n");
}

TEST(PageOwnerSort, CullAndSortByTime) {
  PageOwnerSortOptions o;
  o.order = PageOwnerSortOptions::Order::AllocTs;
  ASSERT_TRUE(parse_cull_keys("pid,name,ator", o.cull));
  EXPECT_EQ(sorted(kThree, o), "1 times, 1 pages, PID 6, task_comm_name: b, allocated by SLAB \n"
                               "1 times, 2 pages, PID 5, task_comm_name: a, allocated by OTHERS \n"
                               "1 times, 2 pages, PID 5, task_comm_name: a, allocated by CMA \n");
  PageOwnerSortOptions st;
  ASSERT_TRUE(parse_cull_keys("st", st.cull));
  EXPECT_EQ(sorted(kThree, st), "2 times, 4 pages:\n f+0x1/0x2\n" + kPad +
                                    "\n1 times, 1 pages:\n h+0x1/0x2\n" + kPad + "\n");
}

TEST(PageOwnerSort, SelectionPrintsItsKeysWhenCulled) {
  PageOwnerSortOptions o;
  o.pids = std::vector<int32_t>{6};
  ASSERT_TRUE(parse_cull_keys("tg", o.cull));
  EXPECT_EQ(sorted(kThree, o), "1 times, 1 pages, PID 6, TGID 5\n");
}

TEST(PageOwnerSort, OddEndsOfTheInput) {
  // No empty line after the last block: the tool drops it.
  EXPECT_EQ(sorted(kThree.substr(0, kThree.size() - 1)).substr(0, 8), "1 times,");
  EXPECT_EQ(sorted(""), "");
  // A block of more than 128 KiB ends the reading; what came before is sorted.
  const std::string big = "pid 1, tgid 1 (big), ts 1 ns\n" + std::string(140000, 'y') + "\n\n";
  EXPECT_EQ(sorted(kThree + big + kThree), sorted(kThree));
}

TEST(PageOwnerSort, StopsWhereTheToolStops) {
  // A block with no task name: the tool prints "Out of memory" and writes nothing.
  EXPECT_THROW(sorted(kThree + "Page allocated via order 0, pid 1\n" + kPad + "\n"), Error);
  // ...unless the selection skips it first.
  PageOwnerSortOptions o;
  o.pids = std::vector<int32_t>{5};
  EXPECT_NO_THROW(sorted(kThree + "pid 1, no name\n" + kPad + "\n", o));
  // One block per 100 bytes of input at most.
  EXPECT_THROW(sorted("pid 1, tgid 1 (a), ts 1 ns\n\n"), Error);
}

TEST(PageOwnerSort, NeverCrashesOnGarbage) {
  std::mt19937 rng(7);
  constexpr char kBytes[] = "pidtgsnorder PFN(),\n\n\n 0123456789CMAslab_vmalloc\0";
  const std::string alphabet(kBytes, sizeof kBytes); // the NULs too
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const size_t len = rng() % 4000;
    for (size_t i = 0; i < len; ++i)
      text += alphabet[rng() % alphabet.size()];
    for (auto order : {PageOwnerSortOptions::Order::Times, PageOwnerSortOptions::Order::Stacktrace,
                       PageOwnerSortOptions::Order::Name}) {
      PageOwnerSortOptions o;
      o.order = order;
      o.cull = round % 2 ? 0 : kCullStacktrace | kCullPid | kCullName;
      try {
        std::string out;
        page_owner_sort(text, text.size() * 100, o, [&](std::string_view s) { out.append(s); });
      } catch (const Error&) {
      }
    }
  }
}

} // namespace
} // namespace powner
