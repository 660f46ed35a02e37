// SPDX-License-Identifier: GPL-2.0-or-later
// The stack depot: handles decoded into pool, offset and record, records read and printed,
// and the page_owner_stacks list walked, over fuzzed pools and a fuzzed list.
//
// Input: u8 variant (bit 0: the 6.1 handle layout), u32 pools_num, u64 missing-page mask,
// 8 x u64 pool pointers (1..8: pool 0..7; other values, 0 included, as they are), 4 x u32 handles,
// u32 threshold, then the bytes the pools (and the list nodes) are tiled from.
#include "fuzz_support.h"
#include "powner/kallsyms.h"
#include "powner/stack_depot.h"
#include "powner/stack_views.h"
#include "powner/types.h"
#include "powner/vmcoreinfo.h"

#include <memory>

namespace {

using namespace powner;

constexpr uint64_t kPools = 0xffff888000100000;    // stack_pools[]
constexpr uint64_t kPoolArea = 0xffff888001000000; // the pools, 16 KiB each
constexpr uint64_t kPoolSize = 16384;
constexpr uint64_t kList = 0xffffffff82000000; // &stack_list

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  KernelModel m = fuzz::fixed_model_7_3();
  if (in.take<uint8_t>() & 1) { // 6.1: slabindex:16 offset:10 valid:1, no refcount
    m.depot_pool_index_plus_1 = false;
    m.handle_index_bits = 16;
    m.handle_offset_bits = 10;
    m.handle_valid_bit = 26;
    m.rec_size_off = 12;
    m.rec_handle_off = 16;
    m.rec_entries_off = 24;
    m.rec_count_off.reset();
  }
  m.depot_pools = kPools;
  m.depot_pools_num = in.take<uint32_t>();
  m.stack_list = kList;
  const uint64_t missing = in.take<uint64_t>();
  std::string pools(64, '\0');
  for (int i = 0; i < 8; i++) {
    uint64_t p = in.take<uint64_t>();
    if (p >= 1 && p <= 8) p = kPoolArea + (p - 1) * kPoolSize;
    std::memcpy(&pools[8 * static_cast<size_t>(i)], &p, 8);
  }
  uint32_t handles[4];
  for (uint32_t& h : handles)
    h = in.take<uint32_t>();
  const uint32_t threshold = in.take<uint32_t>();
  std::string_view tile = in.rest();

  fuzz::TiledMemory mem;
  mem.add(kPools, 64, pools);
  mem.add(kPoolArea, 8 * kPoolSize, tile, missing);
  // stack_list: the head points into the pools, so list nodes are fuzzed bytes too.
  uint64_t head = kPoolArea + (threshold % (8 * kPoolSize / 16)) * 16;
  mem.add(kList, 8, std::string_view(reinterpret_cast<const char*>(&head), 8));

  NoTypes types;
  VmcoreInfo info;
  KernelSymbols symbols(mem, info, types);
  StackDepot depot(mem, m, symbols);
  for (uint32_t h : handles) {
    bool bad = false, unavailable = false;
    const std::string& text = depot.text(h, &bad, &unavailable);
    if (!text.empty() && text.back() != '\n') __builtin_trap();
    depot.read_record(kPoolArea + (h % (8 * kPoolSize)));
  }
  for (StackView view : {StackView::Stacks, StackView::Handles, StackView::StacksHandles})
    render_stack_view(mem, m, depot, view, threshold % 4);
  return 0;
}
