// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/live_tasks.h"

#include "powner/memory_reads.h"

namespace powner {

namespace {

// More leaders than PID_MAX_LIMIT (4M) means a list that loops without coming back.
constexpr uint64_t kMaxTasks = 1ULL << 22;

} // namespace

std::optional<LiveTasks> read_live_tasks(Memory& mem, Types& types, const KernelSymbols& symbols,
                                         std::string& why) {
  auto tasks = types.member("struct task_struct", "tasks");
  auto tgid = types.member("struct task_struct", "tgid");
  std::optional<uint64_t> init = symbols.address_of("init_task");
  if (!init)
    if (auto var = types.variable("init_task")) init = var->address;
  if (!tasks || !tgid || !init) {
    why = "the dump's types or symbols have no task list";
    return std::nullopt;
  }
  LiveTasks live;
  const uint64_t head = *init + tasks->offset;
  uint64_t task = *init;
  for (uint64_t n = 0; n < kMaxTasks; n++) {
    auto id = read_value<int32_t>(mem, task + tgid->offset);
    auto next = read_value<uint64_t>(mem, task + tasks->offset);
    if (!id || !next) {
      why = "a task of the task list is not in the dump";
      return std::nullopt;
    }
    live.tgids.insert(*id);
    if (*next == head) return live;
    task = *next - tasks->offset;
  }
  why = "the task list does not end";
  return std::nullopt;
}

} // namespace powner
