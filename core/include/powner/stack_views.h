// SPDX-License-Identifier: GPL-2.0-or-later
// /sys/kernel/debug/page_owner_stacks/{show_stacks,show_handles,show_stacks_handles}:
// stack_print() over the dump's stack_list, newest first.
#pragma once

#include "powner/kernel_model.h"
#include "powner/memory.h"
#include "powner/stack_depot.h"

#include <cstdint>
#include <string>

namespace powner {

enum class StackView { Stacks, Handles, StacksHandles };

struct StackViewResult {
  std::string text;
  uint64_t unreadable = 0; // stack records the dump cannot provide
  bool truncated = false;  // the list did not end (a cycle or garbage pointers)
  bool cut_short = false;  // an entry of the list is not in the dump: later stacks are lost
};

// "stacks", "handles" or "stacks_handles", the hosts' --stacks names for the three files;
// anything else throws Error(Status::Usage).
StackView stack_view_from_name(std::string_view name);

StackViewResult render_stack_view(Memory& mem, const KernelModel& model, StackDepot& depot,
                                  StackView view, uint64_t threshold);

} // namespace powner
