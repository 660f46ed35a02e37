#include "engine.h"

#include "error.h"
#include "record_printer.h"

#include <fmt/format.h>

namespace powner {

Engine::Engine(Memory& mem, Types& types, const VmcoreInfo& info)
    : mem_(mem), model_(KernelModel::resolve(mem, types, info)) {
  if (!model_.page_owner_inited)
    throw Error(Status::NoPageOwner,
                "page_owner was not enabled in this kernel (boot with page_owner=on)");
  symbols_ = std::make_unique<KernelSymbols>(mem, info, types);
  depot_ = std::make_unique<StackDepot>(mem, model_, *symbols_);
  memcg_ = std::make_unique<MemcgLines>(mem, model_);
}

void Engine::page_owner(const Filter& filter, const Sink& sink, const Progress& progress) {
  constexpr size_t kFlushAt = 1 << 20;
  PageOwnerWalk walk(mem_, model_);
  RecordPrinter printer(model_, *depot_, *memcg_);
  std::string buf;
  buf.reserve(kFlushAt + 8192);
  walk.run(
      filter,
      [&](const PageRecord& rec) {
        switch (printer.append(buf, rec, filter.mode)) {
        case RecordPrinter::Result::Printed:
          break;
        case RecordPrinter::Result::TooLong:
          too_long_++;
          break;
        case RecordPrinter::Result::Incomplete:
          incomplete_++;
          break;
        case RecordPrinter::Result::NoStack:
          no_stack_++;
          break;
        }
        if (buf.size() >= kFlushAt) {
          sink(buf);
          buf.clear();
        }
      },
      progress);
  if (!buf.empty()) sink(buf);
  for (size_t i = 0; i < walk.skipped().counts.size(); i++)
    skipped_.counts[i] += walk.skipped().counts[i];
  bad_handles_ += printer.bad_handles();
}

std::string Engine::stacks(StackView view, std::optional<uint64_t> threshold) {
  if (!model_.has_stack_views)
    throw Error(Status::Usage, fmt::format("Linux {} has no page_owner_stacks", model_.release));
  auto result =
      render_stack_view(mem_, model_, *depot_, view, threshold.value_or(model_.pages_threshold));
  stack_problems_ += result.unreadable + (result.truncated ? 1 : 0);
  stack_list_cut_ = stack_list_cut_ || result.cut_short;
  return std::move(result.text);
}

uint64_t Engine::skipped_total() const {
  return skipped_.total() + too_long_ + incomplete_ + no_stack_ + bad_handles_ + stack_problems_ +
         (stack_list_cut_ ? 1 : 0);
}

std::string Engine::skipped_summary() const {
  std::string out;
  auto add = [&](uint64_t n, std::string_view what) {
    if (!n) return;
    fmt::format_to(std::back_inserter(out), "{}{} {}", out.empty() ? "" : ", ", n, what);
  };
  for (size_t i = 0; i < skipped_.counts.size(); i++)
    add(skipped_.counts[i], skip_reason_text(static_cast<SkipReason>(i)));
  add(too_long_, "records longer than the kernel's page-sized buffer");
  add(incomplete_, "records whose memcg is not in the dump");
  add(no_stack_, "records whose stack is not in the dump");
  add(bad_handles_, "records with an unusable stack handle (printed without a stack)");
  add(stack_problems_, "stack list entries unreadable");
  if (stack_list_cut_)
    out += std::string(out.empty() ? "" : ", ") +
           "the stack list is cut short (an entry is not in the dump: later stacks not shown)";
  if (out.empty()) return out;
  return "skipped: " + out;
}

} // namespace powner
