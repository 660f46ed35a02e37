// SPDX-License-Identifier: GPL-2.0-or-later
#include "fake_target.h"
#include "powner/kallsyms.h"
#include "powner/stack_depot.h"

#include <gtest/gtest.h>

namespace powner {
namespace {

using testing::FakeMemory;

constexpr uint64_t kPools = 0xffff800000100000, kPool0 = 0xffff800000200000,
                   kPool1 = 0xffff800000300000;

// A record as 6.12+ lays it out: hash_list, hash, size, handle, count, entries[].
void put_record_612(FakeMemory& mem, uint64_t at, uint32_t handle, int32_t count,
                    std::vector<uint64_t> entries) {
  std::vector<unsigned char> rec(32 + 8 * entries.size());
  uint32_t size = static_cast<uint32_t>(entries.size());
  std::memcpy(&rec[20], &size, 4);
  std::memcpy(&rec[24], &handle, 4);
  std::memcpy(&rec[28], &count, 4);
  std::memcpy(&rec[32], entries.data(), 8 * entries.size());
  mem.put(at, rec.data(), rec.size());
}

KernelModel model_612() {
  KernelModel m;
  m.depot_pool_index_plus_1 = true;
  m.handle_index_bits = 17;
  m.handle_offset_bits = 10;
  m.depot_pools = kPools;
  m.depot_pools_num = 2;
  m.rec_size_off = 20;
  m.rec_handle_off = 24;
  m.rec_count_off = 28;
  m.rec_entries_off = 32;
  m.rec_max_entries = 64;
  return m;
}

struct Depot {
  FakeMemory mem;
  NoTypes types;
  VmcoreInfo info;
  KernelModel model;
  std::unique_ptr<KernelSymbols> symbols;
  std::unique_ptr<StackDepot> depot;
  void start() {
    symbols = std::make_unique<KernelSymbols>(mem, info, types);
    depot = std::make_unique<StackDepot>(mem, model, *symbols);
  }
};

TEST(StackDepot, DecodesPoolIndexPlusOneHandles) {
  Depot d;
  d.model = model_612();
  d.mem.put_value<uint64_t>(kPools, kPool0);
  d.mem.put_value<uint64_t>(kPools + 8, kPool1);
  // pool_index_plus_1 = 2 (pool 1), offset 0x10 << 4 = 0x100
  uint32_t handle = 2 | (0x10u << 17);
  put_record_612(d.mem, kPool1 + 0x100, handle, 5, {0xffffffffc0001000, 0xffffffffc0002000});
  d.start();
  bool bad = true;
  EXPECT_EQ(d.depot->text(handle, &bad), " 0xffffffffc0001000\n 0xffffffffc0002000\n");
  EXPECT_FALSE(bad);
}

TEST(StackDepot, PrintsNothingForARecordWithRefcountZero) {
  Depot d;
  d.model = model_612();
  d.mem.put_value<uint64_t>(kPools, kPool0);
  uint32_t handle = 1 | (0x2u << 17);
  put_record_612(d.mem, kPool0 + 0x20, handle, 0, {0xffffffff81000000});
  d.start();
  bool bad = true;
  EXPECT_EQ(d.depot->text(handle, &bad), "");
  EXPECT_FALSE(bad); // the kernel prints no stack here either
}

TEST(StackDepot, GarbageHandlesAreBadNotFatal) {
  Depot d;
  d.model = model_612();
  d.mem.put_value<uint64_t>(kPools, kPool0);
  d.mem.put_value<uint64_t>(kPools + 8, 0); // pool 1 never allocated
  d.start();
  bool bad = false;
  EXPECT_EQ(d.depot->text(0, &bad), ""); // pool_index_plus_1 == 0
  EXPECT_TRUE(bad);
  EXPECT_EQ(d.depot->text(7 | (1u << 17), &bad), ""); // pool 6 >= pools_num
  EXPECT_TRUE(bad);
  EXPECT_EQ(d.depot->text(2, &bad), ""); // a NULL pool
  EXPECT_TRUE(bad);
  EXPECT_EQ(d.depot->text(1 | (0x3ffu << 17), &bad), ""); // record not in memory
  EXPECT_TRUE(bad);
}

// A running kernel (/proc/kcore) opens pools while powner walks: a handle beyond the count read
// at the start is looked up again before it is called garbage.
TEST(StackDepot, ReadsThePoolCountAgainForAHandleBeyondIt) {
  constexpr uint64_t kPoolsNum = 0xffff800000100800;
  Depot d;
  d.model = model_612();
  d.model.depot_pools_num = 1; // read when pool 1 did not exist yet
  d.model.depot_pools_num_addr = kPoolsNum;
  d.mem.put_value<int32_t>(kPoolsNum, 2); // ...opened since
  d.mem.put_value<uint64_t>(kPools, kPool0);
  d.mem.put_value<uint64_t>(kPools + 8, kPool1);
  uint32_t handle = 2 | (0x1u << 17);
  put_record_612(d.mem, kPool1 + 0x10, handle, 1, {0xffffffff81000000});
  d.start();
  bool bad = true;
  EXPECT_EQ(d.depot->text(handle, &bad), " 0xffffffff81000000\n");
  EXPECT_FALSE(bad);
  EXPECT_EQ(d.depot->fetch(handle, &bad), std::vector<uint64_t>{0xffffffff81000000});
  EXPECT_FALSE(bad);
  d.depot->text(3 | (0x1u << 17), &bad); // pool 2: still beyond the count
  EXPECT_TRUE(bad);
}

TEST(StackDepot, WhatTheDumpLacksIsUnavailableWhatTheKernelRejectsIsNot) {
  Depot d;
  d.model = model_612();
  d.model.depot_pools_num = 4;
  d.mem.put_value<uint64_t>(kPools, kPool0);
  d.mem.put_value<uint64_t>(kPools + 8, 0); // pool 1 never allocated; pools 2, 3 not in the dump
  put_record_612(d.mem, kPool0, 1, 3, {0xffffffff81000000});
  d.start();
  struct Case {
    uint32_t handle;
    bool bad, unavailable;
  } cases[] = {
      {1, false, false},                // a record
      {7, true, false},                 // pool 6 >= pools_num: the kernel prints no stack either
      {2, true, false},                 // a NULL pool: the same
      {3, true, true},                  // the pool pointer is not in the dump
      {1 | (0x100u << 17), true, true}, // the record is not in the dump
  };
  for (const Case& c : cases) {
    bool bad = !c.bad, unavailable = !c.unavailable;
    d.depot->text(c.handle, &bad, &unavailable);
    EXPECT_EQ(bad, c.bad) << c.handle;
    EXPECT_EQ(unavailable, c.unavailable) << c.handle;
  }
}

TEST(StackDepot, RejectsAnImpossibleFrameCount) {
  Depot d;
  d.model = model_612();
  d.mem.put_value<uint64_t>(kPools, kPool0);
  std::vector<uint64_t> entries(65, 0xffffffff81000000);
  put_record_612(d.mem, kPool0, 1, 3, entries);
  d.start();
  bool bad = false, unavailable = false;
  EXPECT_EQ(d.depot->text(1, &bad, &unavailable), "");
  EXPECT_TRUE(bad);
  EXPECT_TRUE(unavailable); // not what the kernel printed: the record is damaged
}

TEST(StackDepot, DecodesSlabIndexHandlesOf61) {
  Depot d;
  KernelModel& m = d.model;
  m.depot_pool_index_plus_1 = false; // slabindex:16 offset:10 valid:1 extra:5
  m.handle_index_bits = 16;
  m.handle_offset_bits = 10;
  m.handle_valid_bit = 26;
  m.depot_pools = kPools;
  m.depot_pools_num = 1; // depot_index + 1
  m.rec_size_off = 12;
  m.rec_handle_off = 16;
  m.rec_entries_off = 24;
  m.rec_max_entries = 64;
  d.mem.put_value<uint64_t>(kPools, kPool0);
  uint32_t handle = 0 | (0x5u << 16) | (1u << 26);
  std::vector<unsigned char> rec(24 + 8);
  uint32_t size = 1;
  uint64_t entry = 0xffffffff81234567;
  std::memcpy(&rec[12], &size, 4);
  std::memcpy(&rec[16], &handle, 4);
  std::memcpy(&rec[24], &entry, 8);
  d.mem.put(kPool0 + 0x50, rec.data(), rec.size());
  d.start();
  bool bad = true;
  EXPECT_EQ(d.depot->text(handle, &bad), " 0xffffffff81234567\n");
  EXPECT_FALSE(bad);
  EXPECT_EQ(d.depot->text(1 | (1u << 26), &bad), ""); // slab 1 > depot_index
  EXPECT_TRUE(bad);
}

} // namespace
} // namespace powner
