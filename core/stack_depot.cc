// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/stack_depot.h"

#include "powner/kallsyms.h"
#include "powner/memory_reads.h"

#include <algorithm>

namespace powner {

std::optional<uint64_t> StackDepot::record_address(uint32_t handle, bool* bad, bool* unavailable) {
  const KernelModel& m = model_;
  uint64_t index_mask = (1ULL << m.handle_index_bits) - 1;
  uint64_t offset_mask = (1ULL << m.handle_offset_bits) - 1;
  uint64_t index = handle & index_mask;
  uint64_t offset = ((handle >> m.handle_index_bits) & offset_mask) << m.depot_stack_align;
  if (m.depot_pool_index_plus_1) {
    if (index == 0) return *bad = true, std::nullopt; // pool_index_plus_1 == 0: never valid
    index -= 1;
  }
  // 6.1: slabindex > depot_index. A running kernel may have opened pools since the count was
  // read (stacks saved while we walk, our own among them): read it again before refusing.
  if (index >= pools_num_ && m.depot_pools_num_addr) {
    if (auto now = read_value<int32_t>(mem_, m.depot_pools_num_addr); now && *now > 0)
      pools_num_ = std::max<uint64_t>(pools_num_, static_cast<uint64_t>(*now) +
                                                      (m.depot_pool_index_plus_1 ? 0 : 1));
  }
  if (index >= pools_num_) return *bad = true, std::nullopt;
  auto pool = read_value<uint64_t>(mem_, m.depot_pools + 8 * index);
  if (!pool) return *bad = *unavailable = true, std::nullopt; // not in the dump
  if (!*pool) return *bad = true, std::nullopt;               // the kernel WARNs, prints nothing
  return *pool + offset;
}

std::optional<StackRecord> StackDepot::read_record(uint64_t addr) {
  const KernelModel& m = model_;
  StackRecord rec;
  rec.address = addr;
  auto size = read_value<uint32_t>(mem_, addr + m.rec_size_off);
  auto handle = read_value<uint32_t>(mem_, addr + m.rec_handle_off);
  if (!size || !handle) return std::nullopt;
  rec.handle = *handle;
  if (m.rec_count_off) {
    auto count = read_value<int32_t>(mem_, addr + *m.rec_count_off);
    if (!count) return std::nullopt;
    rec.count = *count;
  }
  auto n = static_cast<uint32_t>(std::min<uint64_t>(*size, m.rec_max_entries));
  rec.entries.resize(n);
  if (n && !mem_.read(addr + m.rec_entries_off, rec.entries.data(), 8ULL * n)) return std::nullopt;
  if (*size > m.rec_max_entries) return std::nullopt; // a corrupt size: not a real record
  return rec;
}

bool StackDepot::append_frames(std::string& out, const std::vector<uint64_t>& entries) const {
  bool known = true;
  for (uint64_t addr : entries) {
    out += ' ';
    known = symbols_.append_ps(out, addr) && known;
    out += '\n';
  }
  return known;
}

std::vector<uint64_t> StackDepot::frames(uint32_t handle, bool* bad, bool* unavailable) {
  auto addr = record_address(handle, bad, unavailable);
  if (!addr) return {};
  auto rec = read_record(*addr);
  if (!rec) {
    *bad = *unavailable = true;
    return {};
  }
  if (rec->count && *rec->count == 0) return {}; // refcount 0: a use after stack_depot_put()
  return std::move(rec->entries);
}

std::vector<uint64_t> StackDepot::fetch(uint32_t handle, bool* bad) {
  bool is_bad = false, unavailable = false;
  std::vector<uint64_t> entries;
  if (handle) {
    std::lock_guard lock(mu_);
    entries = frames(handle, &is_bad, &unavailable);
  }
  if (bad) *bad = is_bad;
  return entries;
}

const std::string& StackDepot::text(uint32_t handle, bool* bad, bool* unavailable) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = cache_.try_emplace(handle);
  Cached& c = it->second;
  if (inserted) {
    std::vector<uint64_t> entries = frames(handle, &c.bad, &c.unavailable);
    if (!append_frames(c.text, entries)) c.unavailable = true;
  }
  if (bad) *bad = c.bad;
  if (unavailable) *unavailable = c.unavailable;
  return c.text;
}

} // namespace powner
