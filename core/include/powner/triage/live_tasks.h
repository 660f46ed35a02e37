// SPDX-License-Identifier: GPL-2.0-or-later
// The thread groups alive in the dump: init_task.tasks, the list of every group's leader. A
// record whose tgid is not there was made by a process that has exited since, and its pages
// are still held: the classic sign of a leak.
#pragma once

#include "powner/kallsyms.h"
#include "powner/memory.h"
#include "powner/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

namespace powner {

struct LiveTasks {
  std::unordered_set<int32_t> tgids;
};

// The tgids of init_task.tasks (init_task's own, 0, included); nothing, with why set, when the
// list cannot be read whole (a task missing from the dump, a broken or endless list).
std::optional<LiveTasks> read_live_tasks(Memory& mem, Types& types, const KernelSymbols& symbols,
                                         std::string& why);

} // namespace powner
