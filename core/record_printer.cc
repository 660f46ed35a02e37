#include "record_printer.h"

#include "flags_format.h"

#include <fmt/format.h>

namespace powner {

const std::string& RecordPrinter::name_or(const std::vector<std::string>& names, int64_t index) {
  static const std::string unknown = "(unknown)";
  if (index < 0 || static_cast<uint64_t>(index) >= names.size()) return unknown;
  return names[static_cast<size_t>(index)];
}

RecordPrinter::Result RecordPrinter::append(std::string& out, const PageRecord& rec,
                                            PrintMode mode) {
  const KernelModel& m = model_;
  std::string& s = scratch_;
  s.clear();
  auto it = std::back_inserter(s);
  fmt::format_to(it, "Page allocated via order {}, mask {:#x}(", rec.order, rec.gfp_mask);
  append_flag_names(s, rec.gfp_mask, m.gfp_names);
  fmt::format_to(it, "), pid {}, tgid {} ({}), ts {} ns", rec.pid, rec.tgid, rec.comm, rec.ts_nsec);
  if (m.prints_free_ts) fmt::format_to(it, ", free_ts {} ns", rec.free_ts_nsec);
  s += '\n';

  // gfp_migratetype()
  int64_t page_mt =
      m.mobility_disabled
          ? 0
          : static_cast<int64_t>((rec.gfp_mask & (m.gfp_movable | m.gfp_reclaimable)) /
                                 (m.gfp_movable ? m.gfp_movable : 8));
  if (m.prints_free_ts)
    fmt::format_to(it, "PFN {} type ", rec.pfn);
  else
    fmt::format_to(it, "PFN {:#x} type ", rec.pfn);
  fmt::format_to(it, "{} Block {} type {} Flags ", name_or(m.migratetype_names, page_mt),
                 rec.pfn >> m.pageblock_order,
                 name_or(m.migratetype_names, rec.pageblock_migratetype));
  append_page_flags(s, rec.page_flags, m);
  s += '\n';

  const uint64_t limit = m.page_size; // count = min(count, PAGE_SIZE)
  if (mode != PrintMode::Handle) {
    bool bad = false, unavailable = false;
    s += depot_.text(rec.handle, &bad, &unavailable);
    if (unavailable) return Result::NoStack;
    if (bad) bad_handles_++;
    if (s.size() >= limit) return Result::TooLong;
  }
  if (mode != PrintMode::Stack) {
    fmt::format_to(it, "handle: {}\n", rec.handle);
    if (s.size() >= limit) return Result::TooLong;
  }
  if (rec.last_migrate_reason != m.never_migrated)
    fmt::format_to(it, "Page has been migrated, last migrate reason: {}\n",
                   name_or(m.migrate_reason_names, rec.last_migrate_reason));
  if (!memcg_.append(s, rec.memcg_data, rec.page_is_tail)) return Result::Incomplete;
  s += '\n';
  if (s.size() >= limit) return Result::TooLong;
  out += s;
  return Result::Printed;
}

} // namespace powner
