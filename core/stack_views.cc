// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/stack_views.h"

#include "powner/memory_reads.h"
#include "powner/status.h"

#include <fmt/format.h>
#include <unordered_set>

namespace powner {

namespace {
constexpr unsigned kStack = 1, kPages = 2, kHandle = 4; // STACK_PRINT_FLAG_*
constexpr uint64_t kMaxStacks = 1ULL << 24;
} // namespace

StackView stack_view_from_name(std::string_view name) {
  if (name == "stacks") return StackView::Stacks;
  if (name == "handles") return StackView::Handles;
  if (name == "stacks_handles") return StackView::StacksHandles;
  throw Error(Status::Usage,
              fmt::format("unknown view '{}' (stacks, handles or stacks_handles)", name));
}

StackViewResult render_stack_view(Memory& mem, const KernelModel& m, StackDepot& depot,
                                  StackView view, uint64_t threshold) {
  StackViewResult result;
  unsigned flags = view == StackView::Stacks    ? kStack | kPages
                   : view == StackView::Handles ? kHandle | kPages
                                                : kStack | kHandle;
  auto head = read_value<uint64_t>(mem, m.stack_list);
  if (!head) {
    result.cut_short = true;
    return result;
  }
  std::unordered_set<uint64_t> seen;
  auto out = std::back_inserter(result.text);
  for (uint64_t stack = *head; stack;) {
    if (!seen.insert(stack).second || seen.size() > kMaxStacks) {
      result.truncated = true;
      break;
    }
    auto record = read_value<uint64_t>(mem, stack + m.stack_record_off);
    auto next = read_value<uint64_t>(mem, stack + m.stack_next_off);
    if (!record || !next) { // the rest of the list is behind this entry
      result.cut_short = true;
      break;
    }
    stack = *next;
    if (!*record) continue;
    auto rec = depot.read_record(*record);
    if (!rec) {
      result.unreadable++;
      continue;
    }
    // nr_base_pages = refcount - 1, an int compared with an unsigned long threshold (the
    // kernel's int arithmetic wraps)
    auto nr_base_pages = static_cast<int32_t>(static_cast<uint32_t>(rec->count.value_or(0)) - 1u);
    if ((flags & kPages) && (nr_base_pages < 1 || static_cast<uint64_t>(static_cast<int64_t>(
                                                      nr_base_pages)) < threshold))
      continue;
    if (flags & kStack) {
      std::string frames;
      if (!depot.append_frames(frames, rec->entries)) { // symbols not in the dump
        result.unreadable++;
        continue;
      }
      result.text += frames;
    }
    if (flags & kHandle) fmt::format_to(out, "handle: {}\n", static_cast<int32_t>(rec->handle));
    if (flags & kPages) fmt::format_to(out, "nr_base_pages: {}\n", nr_base_pages);
    result.text += '\n';
  }
  return result;
}

} // namespace powner
