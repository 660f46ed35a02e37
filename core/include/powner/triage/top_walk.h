// SPDX-License-Identifier: GPL-2.0-or-later
// `powner top`'s engine: every page_owner record read once (ParallelWalk, on every core the
// engine may use), the selected ones grouped and totalled per chunk, the chunks merged in pfn
// order. Stacks, memcgs and gfp masks are named as the record printer names them, so that what
// is grouped is what the kernel's page_owner file shows.
#pragma once

#include "powner/engine.h"
#include "powner/triage/crash_clock.h"
#include "powner/triage/top_query.h"
#include "powner/triage/top_table.h"
#include "powner/types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace powner {

struct TopResult {
  TopKey by = TopKey::Stack;
  std::vector<TopGroup> groups; // every group, largest first
  // Every record of the walk, and those the selection kept.
  uint64_t total_pages = 0, total_records = 0;
  uint64_t selected_pages = 0, selected_records = 0;
  uint64_t page_size = 4096;
  CrashClock clock;
  bool exited_known = false; // the task list was read: exited marks mean something
  std::vector<std::string> notes;
};

// Throws Error(Usage) for a key or selection this kernel's records cannot answer (tgids, comms
// and timestamps came in 5.11 and 5.18).
void check_top_query(const KernelModel& model, const TopQuery& query);

// check_top_query()'s errors, and what the walk throws.
TopResult run_top(Engine& engine, Types& types, const TopQuery& query,
                  const Progress& progress = {});
// Several keys over the same selection in one walk: a result per key, in their order.
std::vector<TopResult> run_top(Engine& engine, Types& types, const TopSelection& select,
                               const std::vector<TopKey>& keys, const Progress& progress = {});

} // namespace powner
