// SPDX-License-Identifier: GPL-2.0-or-later
// Stack depot: handle -> stack_record -> " %pS\n" lines, as stack_depot_snprint() prints
// them. Each handle is decoded and symbolized once; records are cached by handle. text() may be
// called from several threads (given a Memory that may: see LockedMemory).
#pragma once

#include "powner/kernel_model.h"
#include "powner/memory.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace powner {

class KernelSymbols;

struct StackRecord {
  uint64_t address = 0;
  uint32_t handle = 0;          // as stored in the record
  std::optional<int32_t> count; // refcount (6.12+)
  std::vector<uint64_t> entries;
};

class StackDepot {
public:
  StackDepot(Memory& mem, const KernelModel& model, const KernelSymbols& symbols)
      : mem_(mem), model_(model), symbols_(symbols), pools_num_(model.depot_pools_num) {}

  // What stack_depot_snprint(handle) prints: one " %pS\n" line per frame, or nothing when
  // the kernel would print nothing (bad pool index, no pool, refcount 0). bad is set when
  // the handle or its record cannot be used (a garbage handle or memory missing from the dump).
  // unavailable is set when the text is not what the kernel printed because the dump lacks
  // what it needs: the record (missing, or an impossible size) or its frames' symbols.
  // The text stays valid as long as the StackDepot.
  const std::string& text(uint32_t handle, bool* bad = nullptr, bool* unavailable = nullptr);

  // stack_depot_fetch(): the frames of handle, none when the kernel would return none (handle 0,
  // a pool index out of range, no pool, refcount 0). bad as for text(). Not cached.
  std::vector<uint64_t> fetch(uint32_t handle, bool* bad = nullptr);

  // The record at addr (page_owner_stacks walks records, not handles).
  std::optional<StackRecord> read_record(uint64_t addr);

  // " %pS\n" lines for entries; false when a symbol depends on data the dump lacks.
  bool append_frames(std::string& out, const std::vector<uint64_t>& entries) const;

private:
  struct Cached {
    std::string text;
    bool bad = false;
    bool unavailable = false;
  };
  std::optional<uint64_t> record_address(uint32_t handle, bool* bad, bool* unavailable);
  // The frames the kernel would print for handle (none for refcount 0); under mu_.
  std::vector<uint64_t> frames(uint32_t handle, bool* bad, bool* unavailable);

  Memory& mem_;
  const KernelModel& model_;
  const KernelSymbols& symbols_;
  std::mutex mu_;                              // guards cache_ and pools_num_
  uint64_t pools_num_;                         // grows on a running kernel
  std::unordered_map<uint32_t, Cached> cache_; // never erased from: its texts stay put
};

} // namespace powner
