// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/record_printer.h"

#include "powner/flags_format.h"

#include <fmt/compile.h>
#include <fmt/format.h>

namespace powner {

const std::string& name_or_unknown(const std::vector<std::string>& names, int64_t index) {
  static const std::string unknown = "(unknown)";
  if (index < 0 || static_cast<uint64_t>(index) >= names.size()) return unknown;
  return names[static_cast<size_t>(index)];
}

int64_t gfp_migratetype(const KernelModel& m, uint32_t gfp_mask) {
  if (m.mobility_disabled) return 0;
  return static_cast<int64_t>((gfp_mask & (m.gfp_movable | m.gfp_reclaimable)) /
                              (m.gfp_movable ? m.gfp_movable : 8));
}

const std::string& RecordPrinter::gfp_text(uint32_t gfp_mask) {
  auto [it, inserted] = gfp_texts_.try_emplace(gfp_mask);
  if (inserted) append_flag_names(it->second, gfp_mask, model_.gfp_names);
  return it->second;
}

const std::string& RecordPrinter::page_flags_text(uint64_t flags) {
  auto [it, inserted] = page_flags_texts_.try_emplace(flags);
  if (inserted) append_page_flags(it->second, flags, model_);
  return it->second;
}

RecordPrinter::Result RecordPrinter::append(fmt::memory_buffer& out, const PageRecord& rec,
                                            PrintMode mode) {
  const KernelModel& m = model_;
  // Straight into out (no copy of a text that is most of the output), taken back unless the
  // record is printed; its size counts from its start.
  struct Record {
    fmt::memory_buffer& out;
    const size_t start;
    size_t size() const { return out.size() - start; }
  } s{out, out.size()};
  auto it = fmt::appender(out);
  auto add = [&](std::string_view text) { out.append(text.data(), text.data() + text.size()); };
  auto fail = [&](Result r) {
    out.resize(s.start);
    return r;
  };
  fmt::format_to(it, FMT_COMPILE("Page allocated via order {}, mask {:#x}("), rec.order,
                 rec.gfp_mask);
  add(gfp_text(rec.gfp_mask));
  out.push_back(')');
  // What the kernel's struct page_owner has, it prints (5.10 has none of these).
  if (m.po.pid) fmt::format_to(it, FMT_COMPILE(", pid {}"), rec.pid);
  if (m.po.tgid && m.po.comm) fmt::format_to(it, FMT_COMPILE(", tgid {} ({})"), rec.tgid, rec.comm);
  if (m.po.ts_nsec) fmt::format_to(it, FMT_COMPILE(", ts {} ns"), rec.ts_nsec);
  if (m.prints_free_ts) fmt::format_to(it, FMT_COMPILE(", free_ts {} ns"), rec.free_ts_nsec);
  out.push_back('\n');

  if (m.prints_decimal_pfn)
    fmt::format_to(it, FMT_COMPILE("PFN {} type "), rec.pfn);
  else
    fmt::format_to(it, FMT_COMPILE("PFN {:#x} type "), rec.pfn);
  fmt::format_to(it, FMT_COMPILE("{} Block {} type {} Flags "),
                 name_or_unknown(m.migratetype_names, gfp_migratetype(m, rec.gfp_mask)),
                 rec.pfn >> m.pageblock_order,
                 name_or_unknown(m.migratetype_names, rec.pageblock_migratetype));
  add(page_flags_text(rec.page_flags));
  out.push_back('\n');

  const uint64_t limit = m.page_size; // count = min(count, PAGE_SIZE)
  if (mode != PrintMode::Handle) {
    auto [it_stack, inserted] = stacks_.try_emplace(rec.handle);
    StackText& stack = it_stack->second;
    if (inserted) stack.text = &depot_.text(rec.handle, &stack.bad, &stack.unavailable);
    if (stack.unavailable) {
      if (exact_) return fail(Result::NoStack);
      std::string text;
      placeholder::append_stack(text, rec.handle);
      add(text);
      stack_placeholders_++;
    } else {
      add(*stack.text);
      if (stack.bad) bad_handles_++;
    }
    if (s.size() >= limit) return fail(Result::TooLong);
  }
  if (mode != PrintMode::Stack) {
    fmt::format_to(it, FMT_COMPILE("handle: {}\n"), rec.handle);
    if (s.size() >= limit) return fail(Result::TooLong);
  }
  if (rec.last_migrate_reason != m.never_migrated)
    fmt::format_to(it, FMT_COMPILE("Page has been migrated, last migrate reason: {}\n"),
                   name_or_unknown(m.migrate_reason_names, rec.last_migrate_reason));
  if (rec.memcg_data) {
    auto [it_memcg, inserted] = memcg_lines_[rec.page_is_tail].try_emplace(rec.memcg_data);
    MemcgText& memcg = it_memcg->second;
    if (inserted)
      memcg.lines = memcg_.append(memcg.text, rec.memcg_data, rec.page_is_tail, !exact_);
    if (memcg.lines == MemcgLines::Lines::Missing) return fail(Result::Incomplete);
    if (memcg.lines == MemcgLines::Lines::Placeholder) memcg_placeholders_++;
    add(memcg.text);
  }
  out.push_back('\n');
  if (s.size() >= limit) return fail(Result::TooLong);
  return Result::Printed;
}

} // namespace powner
