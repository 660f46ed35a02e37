// SPDX-License-Identifier: GPL-2.0-or-later
// RecordPrinter on a fake kernel: print_page_owner()'s text in each print mode of 7.3 (stack,
// handle, stack_handle) and in the formats of earlier kernels (5.10 without pid, tgid, comm or
// timestamps; decimal PFN and free_ts in 6.1), with the migrate and memcg lines. The expected
// texts are records of the fixture captures (tests/vmcores/*/numa2/captures.tar.xz), written out
// by hand; only the frames differ, as the fake kernel has no symbols: %pS then prints "0x%lx".
#include "fake_target.h"
#include "powner/record_printer.h"

#include <gtest/gtest.h>
#include <memory>
#include <string>

namespace powner {
namespace {

using testing::FakeKernel;
using Result = RecordPrinter::Result;

const std::vector<uint64_t> kFrames = {0xffffffff81313a5d, 0xffffffff81314e8e, 0xffffffff8133a065,
                                       0xffffffff8133a298};
const char kFramesText[] = " 0xffffffff81313a5d\n"
                           " 0xffffffff81314e8e\n"
                           " 0xffffffff8133a065\n"
                           " 0xffffffff8133a298\n";

// A printer of the kernel's text or nothing (no placeholders).
std::unique_ptr<RecordPrinter> exact_printer(const KernelModel& model, StackDepot& depot,
                                             MemcgLines& memcg) {
  return std::make_unique<RecordPrinter>(model, depot, memcg, /*exact=*/true);
}

// The record's text, or "" unless printed (then *result says why).
std::string print(FakeKernel& k, const PageRecord& rec, PrintMode mode, Result* result = nullptr) {
  MemcgLines memcg(k.mem, k.model);
  auto printer = exact_printer(k.model, k.depot(), memcg);
  // A record is appended, nothing else touched; the same text whether gathered or copied.
  std::string texts[2];
  for (bool gather : {false, true}) {
    TextPieces out(gather);
    out.append("before|");
    Result r = printer->append(out, rec, mode);
    if (result) *result = r;
    out.for_each([&](std::string_view piece) { texts[gather] += piece; });
  }
  EXPECT_EQ(texts[0], texts[1]);
  EXPECT_EQ(texts[0].substr(0, 7), "before|");
  return texts[0].substr(7);
}

// 7.3/numa2 page_owner.mode-*.txt, PFN 0x1939: migrated, charged to the root memcg.
struct Migrated : ::testing::Test {
  void SetUp() override {
    k.model.pageblock_order = 9;
    handle = k.add_stack(kFrames, 3);
    ASSERT_EQ(handle, 1u | (4u << 17)); // pool 0 (index + 1), offset 0x40 >> 4
    uint64_t root = k.add_memcg("", /*online=*/true, /*root=*/true);
    rec.pfn = 0x1939;
    rec.order = 0;
    rec.gfp_mask = 0x140dca;
    rec.pid = 79;
    rec.tgid = 79;
    rec.comm = "po_mbmove_n1";
    rec.ts_nsec = 1690065477;
    rec.free_ts_nsec = 1600000000; // 7.3 does not print it
    rec.handle = handle;
    rec.last_migrate_reason = 4; // MR_MEMPOLICY_MBIND
    rec.page_flags = 0xffe00000020838;
    rec.pageblock_migratetype = 1;
    rec.memcg_data = k.add_objcg(root);
  }
  FakeKernel k;
  uint32_t handle = 0;
  PageRecord rec;
  const std::string head =
      "Page allocated via order 0, mask 0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP), "
      "pid 79, tgid 79 (po_mbmove_n1), ts 1690065477 ns\n"
      "PFN 0x1939 type Movable Block 12 type Movable Flags "
      "0xffe00000020838(uptodate|dirty|lru|owner_2|swapbacked|node=0|zone=0|lastcpupid=0x7ff)\n";
  const std::string tail = "Page has been migrated, last migrate reason: mempolicy_mbind\n"
                           "Charged to memcg /\n"
                           "\n";
};

TEST_F(Migrated, StackMode) {
  Result r{};
  EXPECT_EQ(print(k, rec, PrintMode::Stack, &r), head + kFramesText + tail);
  EXPECT_EQ(r, Result::Printed);
}

TEST_F(Migrated, HandleMode) {
  EXPECT_EQ(print(k, rec, PrintMode::Handle), head + "handle: 524289\n" + tail);
}

TEST_F(Migrated, StackHandleMode) {
  EXPECT_EQ(print(k, rec, PrintMode::StackHandle), head + kFramesText + "handle: 524289\n" + tail);
}

// MR_COMPACTION is 0: only -1 means never migrated.
TEST_F(Migrated, MigratedByCompaction) {
  rec.last_migrate_reason = 0;
  EXPECT_EQ(print(k, rec, PrintMode::Handle),
            head + "handle: 524289\nPage has been migrated, last migrate reason: compaction\n" +
                "Charged to memcg /\n\n");
}

// "handle: %u": a handle with bit 31 set prints unsigned.
TEST_F(Migrated, HandleIsUnsigned) {
  rec.handle = 0x80000000u | handle; // the extra bits the depot ignores
  EXPECT_EQ(print(k, rec, PrintMode::Handle), head + "handle: 2148007937\n" + tail);
}

// 7.3/numa2 PFN 0xc00: order 1, Reclaimable, no migration, no memcg, a head page.
TEST(RecordPrinter, ReclaimableHeadPageWithoutMemcg) {
  FakeKernel k;
  k.model.pageblock_order = 9;
  PageRecord rec;
  rec.pfn = 0xc00;
  rec.order = 1;
  rec.gfp_mask = 0xd2010;
  rec.comm = "swapper/0";
  rec.ts_nsec = 117507902;
  rec.handle = k.add_stack(kFrames, 2);
  rec.page_flags = 0xffe00000000040;
  rec.pageblock_migratetype = 2;
  EXPECT_EQ(print(k, rec, PrintMode::Stack),
            std::string("Page allocated via order 1, mask "
                        "0xd2010(__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|"
                        "__GFP_NOMEMALLOC), pid 0, tgid 0 (swapper/0), ts 117507902 ns\n"
                        "PFN 0xc00 type Reclaimable Block 6 type Reclaimable Flags "
                        "0xffe00000000040(head|node=0|zone=0|lastcpupid=0x7ff)\n") +
                kFramesText + "\n");
}

// 6.1/numa2 PFN 720: "PFN %lu", ", free_ts %llu ns", pageblock order 10, and 6.1's memcg_data
// (an obj_cgroup only for kernel pages, marked MEMCG_DATA_KMEM).
TEST(RecordPrinter, Format61) {
  FakeKernel k;
  KernelModel& m = k.model;
  m.version_major = 6;
  m.version_minor = 1;
  m.prints_decimal_pfn = true;
  m.prints_free_ts = true;
  m.pageblock_order = 10;
  m.memcg.objcg_for_all = false;
  m.memcg.skips_tail = false;
  uint64_t po_c = k.add_memcg("po_c", true);
  PageRecord rec;
  rec.pfn = 720;
  rec.gfp_mask = 0x500cc2;
  rec.pid = rec.tgid = 68;
  rec.comm = "po_pipe_n0";
  rec.ts_nsec = 2477234834;
  rec.free_ts_nsec = 1375049498;
  rec.handle = k.add_stack(kFrames, 2);
  rec.page_flags = 0xffe00000000000;
  rec.memcg_data = k.add_objcg(po_c) | 2; // MEMCG_DATA_KMEM
  const std::string head =
      "Page allocated via order 0, mask 0x500cc2(GFP_HIGHUSER|__GFP_ACCOUNT), pid 68, tgid 68 "
      "(po_pipe_n0), ts 2477234834 ns, free_ts 1375049498 ns\n"
      "PFN 720 type Unmovable Block 0 type Unmovable Flags "
      "0xffe00000000000(node=0|zone=0|lastcpupid=0x7ff)\n";
  EXPECT_EQ(print(k, rec, PrintMode::Stack),
            head + kFramesText + "Charged (via objcg) to memcg po_c\n\n");
  // An LRU page of 6.1 holds the mem_cgroup itself.
  rec.memcg_data = po_c;
  EXPECT_EQ(print(k, rec, PrintMode::Stack), head + kFramesText + "Charged to memcg po_c\n\n");
}

// 5.10/numa2 PFN 256: struct page_owner had no pid, tgid, comm or timestamps; "PFN %lu" and
// "Flags %#lx(%pGp)", the flag names alone.
TEST(RecordPrinter, Format510) {
  FakeKernel k;
  KernelModel& m = k.model;
  m.version_major = 5;
  m.version_minor = 10;
  m.prints_decimal_pfn = true;
  m.prints_flag_fields = false;
  m.pageblock_order = 9;
  m.po.pid = m.po.tgid = m.po.comm = m.po.ts_nsec = m.po.free_ts_nsec = std::nullopt;
  m.po.free_pid = m.po.free_tgid = std::nullopt;
  m.memcg.present = false;
  PageRecord rec;
  rec.pfn = 256;
  rec.handle = k.add_stack(kFrames, 2);
  rec.page_flags = 0xffe00000000000;
  rec.memcg_data = 0xffff888005000000; // no memcg lines in a kernel without them
  EXPECT_EQ(print(k, rec, PrintMode::Stack),
            std::string("Page allocated via order 0, mask 0x0()\n"
                        "PFN 256 type Unmovable Block 0 type Unmovable Flags "
                        "0xffe00000000000()\n") +
                kFramesText + "\n");
}

// What the text needs but the dump lacks: no text, and why.
TEST_F(Migrated, MemcgNameNotInTheDumpIsIncomplete) {
  uint64_t po_c = k.add_memcg("po_c", true);
  k.mem.drop(k.name_addr_of(po_c));
  rec.memcg_data = k.add_objcg(po_c);
  Result r{};
  EXPECT_EQ(print(k, rec, PrintMode::Stack, &r), "");
  EXPECT_EQ(r, Result::Incomplete);
}

TEST_F(Migrated, StackRecordNotInTheDumpIsNoStackUnlessUnprinted) {
  k.mem.drop(FakeKernel::kPool0);
  Result r{};
  EXPECT_EQ(print(k, rec, PrintMode::Stack, &r), "");
  EXPECT_EQ(r, Result::NoStack);
  EXPECT_EQ(print(k, rec, PrintMode::Handle, &r), head + "handle: 524289\n" + tail);
  EXPECT_EQ(r, Result::Printed);
}

// A handle the kernel's stack depot rejects (a pool past pools_num): no frames, as the kernel
// prints none, and counted.
TEST_F(Migrated, GarbageHandlePrintsNoFrames) {
  rec.handle = 7 | (4u << 17);
  MemcgLines memcg(k.mem, k.model);
  auto printer = exact_printer(k.model, k.depot(), memcg);
  TextPieces out;
  EXPECT_EQ(printer->append(out, rec, PrintMode::StackHandle), Result::Printed);
  EXPECT_EQ(std::string(out.flat()), head + "handle: 524295\n" + tail);
  EXPECT_EQ(printer->bad_handles(), 1u);
}

// read_page_owner() fails (ENOMEM) for a record of PAGE_SIZE bytes or more: snprintf()'s
// return, counted in full, must stay below count = min(count, PAGE_SIZE).
TEST_F(Migrated, ARecordMustBeShorterThanAPage) {
  const std::string full = head + kFramesText + tail;
  k.model.page_size = full.size() + 1;
  Result r{};
  EXPECT_EQ(print(k, rec, PrintMode::Stack, &r), full);
  EXPECT_EQ(r, Result::Printed);
  k.model.page_size = full.size();
  EXPECT_EQ(print(k, rec, PrintMode::Stack, &r), "");
  EXPECT_EQ(r, Result::TooLong);
  // Cut inside the stack, before the memcg line could matter.
  k.model.page_size = head.size() + 10;
  EXPECT_EQ(print(k, rec, PrintMode::Stack, &r), "");
  EXPECT_EQ(r, Result::TooLong);
}

// The default printer (not --exact): the same records, printed whole, with placeholders where
// the dump lacks a detail, and counted by kind.
TEST_F(Migrated, PlaceholdersPrintTheRecord) {
  uint64_t po_c = k.add_memcg("po_c", true);
  k.mem.drop(k.name_addr_of(po_c));
  rec.memcg_data = k.add_objcg(po_c);
  MemcgLines memcg(k.mem, k.model);
  RecordPrinter printer(k.model, k.depot(), memcg);
  TextPieces out;
  EXPECT_EQ(printer.append(out, rec, PrintMode::Stack), Result::Printed);
  const std::string migrated = "Page has been migrated, last migrate reason: mempolicy_mbind\n";
  EXPECT_EQ(
      std::string(out.flat()),
      head + kFramesText + migrated +
          fmt::format("Charged to memcg ? (name not in the dump, mem_cgroup {:#x})\n\n", po_c));
  EXPECT_EQ(printer.memcg_placeholders(), 1u);
  EXPECT_EQ(printer.stack_placeholders(), 0u);
}

TEST_F(Migrated, StackPlaceholderKeepsTheHandle) {
  k.mem.drop(FakeKernel::kPool0);
  MemcgLines memcg(k.mem, k.model);
  RecordPrinter printer(k.model, k.depot(), memcg);
  TextPieces out;
  EXPECT_EQ(printer.append(out, rec, PrintMode::StackHandle), Result::Printed);
  EXPECT_EQ(std::string(out.flat()),
            head + " ? (stack not in the dump, handle 524289)\nhandle: 524289\n" + tail);
  EXPECT_EQ(printer.memcg_placeholders(), 0u);
  EXPECT_EQ(printer.stack_placeholders(), 1u);
}

} // namespace
} // namespace powner
