// SPDX-License-Identifier: GPL-2.0-or-later
// The crash's moment on page_owner's clock. page_owner stamps records with local_clock()
// (sched_clock_cpu()); each CPU's runqueue keeps rq->clock from the same sched_clock, updated
// at every tick and schedule. The largest rq->clock over the possible CPUs is the latest moment
// the dump's kernel knew of: the crash, within a tick.
#pragma once

#include "powner/kallsyms.h"
#include "powner/memory.h"
#include "powner/types.h"

#include <cstdint>
#include <optional>
#include <string>

namespace powner {

struct CrashClock {
  enum class Source { RunQueues, NewestRecord };
  uint64_t ns = 0;
  Source source = Source::RunQueues;
  std::string why; // for NewestRecord: why the runqueues could not be read
};

std::string_view crash_clock_source_name(CrashClock::Source source);

// max(per_cpu(runqueues, cpu).clock) over cpu_possible_mask; nothing, with why set, when the
// dump lacks what that takes (types, symbols, or the runqueues' memory).
std::optional<uint64_t> runqueues_clock(Memory& mem, Types& types, const KernelSymbols& symbols,
                                        std::string& why);

} // namespace powner
