// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/record_printer.h"

#include "powner/flags_format.h"

#include <bit>
#include <cstring>
#include <fmt/format.h>
#include <string_view>

namespace powner {
namespace {

// Writes into space reserved beforehand. A record's two header lines are some fifteen pieces,
// and fmt's appender pays a call and a capacity check for each: a tenth of a full walk's time.
class Cursor {
public:
  // The most a number below adds: 20 decimal digits and a sign, or 0x and 16 hex digits.
  static constexpr size_t kNumber = 21;

  explicit Cursor(char* at) : at_(at) {}
  Cursor& text(std::string_view s) {
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
    return *this;
  }
  Cursor& dec(int64_t v) { return number(fmt::format_int(v)); }
  Cursor& dec(uint64_t v) { return number(fmt::format_int(v)); }
  // As {:#x} (and the kernel's %#x): 0x and lower-case digits, 0x0 for zero.
  Cursor& hex(uint64_t v) {
    char digits[16];
    char* p = digits + sizeof digits;
    do {
      *--p = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v != 0);
    text("0x");
    return text(std::string_view(p, static_cast<size_t>(digits + sizeof digits - p)));
  }
  char* at() const { return at_; }

private:
  Cursor& number(const fmt::format_int& f) { return text(std::string_view(f.data(), f.size())); }
  char* at_;
};

} // namespace

const std::string& name_or_unknown(const std::vector<std::string>& names, int64_t index) {
  static const std::string unknown = "(unknown)";
  if (index < 0 || static_cast<uint64_t>(index) >= names.size()) return unknown;
  return names[static_cast<size_t>(index)];
}

int64_t gfp_migratetype(const KernelModel& m, uint32_t gfp_mask) {
  if (m.mobility_disabled) return 0;
  const uint64_t bits = gfp_mask & (m.gfp_movable | m.gfp_reclaimable);
  // GFP_MOVABLE_SHIFT, ___GFP_MOVABLE's bit: a shift, not a division, for every record. (A
  // damaged gfpflag_names may give a mask of more bits: the division the kernel's shift is.)
  if (std::has_single_bit(m.gfp_movable))
    return static_cast<int64_t>(bits >> std::countr_zero(m.gfp_movable));
  return static_cast<int64_t>(bits / (m.gfp_movable ? m.gfp_movable : 8));
}

// Neighbouring records mostly share their masks and flags: the last answer is kept at hand.
const std::string& RecordPrinter::gfp_text(uint32_t gfp_mask) {
  if (last_gfp_ && last_gfp_->first == gfp_mask) return last_gfp_->second;
  auto [it, inserted] = gfp_texts_.try_emplace(gfp_mask);
  if (inserted) append_flag_names(it->second, gfp_mask, model_.gfp_names);
  last_gfp_ = &*it;
  return it->second;
}

const std::string& RecordPrinter::page_flags_text(uint64_t flags) {
  if (last_flags_ && last_flags_->first == flags) return last_flags_->second;
  auto [it, inserted] = page_flags_texts_.try_emplace(flags);
  if (inserted) append_page_flags(it->second, flags, model_);
  last_flags_ = &*it;
  return it->second;
}

void RecordPrinter::append_header(TextPieces& out, const PageRecord& rec) {
  const KernelModel& m = model_;
  const std::string& gfp = gfp_text(rec.gfp_mask);
  const std::string& flags = page_flags_text(rec.page_flags);
  const std::string& type = name_or_unknown(m.migratetype_names, gfp_migratetype(m, rec.gfp_mask));
  const std::string& block_type = name_or_unknown(m.migratetype_names, rec.pageblock_migratetype);
  // The fixed words of both lines are under 160 bytes, with 8 numbers at most.
  const size_t bound = 160 + 8 * Cursor::kNumber + gfp.size() + rec.comm.size() + type.size() +
                       block_type.size() + flags.size();
  Cursor c(out.begin_write(bound));
  c.text("Page allocated via order ").dec(uint64_t{rec.order}).text(", mask ");
  c.hex(rec.gfp_mask).text("(").text(gfp).text(")");
  // What the kernel's struct page_owner has, it prints (5.10 has none of these).
  if (m.po.pid) c.text(", pid ").dec(int64_t{rec.pid});
  if (m.po.tgid && m.po.comm)
    c.text(", tgid ").dec(int64_t{rec.tgid}).text(" (").text(rec.comm).text(")");
  if (m.po.ts_nsec) c.text(", ts ").dec(rec.ts_nsec).text(" ns");
  if (m.prints_free_ts) c.text(", free_ts ").dec(rec.free_ts_nsec).text(" ns");
  c.text("\nPFN ");
  if (m.prints_decimal_pfn)
    c.dec(rec.pfn);
  else
    c.hex(rec.pfn);
  c.text(" type ").text(type).text(" Block ").dec(rec.pfn >> m.pageblock_order);
  c.text(" type ").text(block_type).text(" Flags ").text(flags).text("\n");
  out.end_write(c.at());
}

RecordPrinter::Result RecordPrinter::append(TextPieces& out, const PageRecord& rec,
                                            PrintMode mode) {
  const KernelModel& m = model_;
  // Taken back unless the record is printed; its size counts from its start.
  const TextPieces::Mark start = out.mark();
  auto size = [&] { return out.size() - start.size; };
  auto fail = [&](Result r) {
    out.truncate(start);
    return r;
  };
  append_header(out, rec);

  const uint64_t limit = m.page_size; // count = min(count, PAGE_SIZE)
  if (mode != PrintMode::Handle) {
    auto [it_stack, inserted] = stacks_.try_emplace(rec.handle);
    StackText& stack = it_stack->second;
    if (inserted) stack.text = &depot_.text(rec.handle, &stack.bad, &stack.unavailable);
    if (stack.unavailable) {
      if (exact_) return fail(Result::NoStack);
      std::string text;
      placeholder::append_stack(text, rec.handle);
      out.append(text);
      stack_placeholders_++;
    } else {
      out.refer(*stack.text);
      if (stack.bad) bad_handles_++;
    }
    if (size() >= limit) return fail(Result::TooLong);
  }
  if (mode != PrintMode::Stack) {
    const fmt::format_int handle(rec.handle);
    out.append("handle: ");
    out.append({handle.data(), handle.size()});
    out.push_back('\n');
    if (size() >= limit) return fail(Result::TooLong);
  }
  if (rec.last_migrate_reason != m.never_migrated) {
    out.append("Page has been migrated, last migrate reason: ");
    out.append(name_or_unknown(m.migrate_reason_names, rec.last_migrate_reason));
    out.push_back('\n');
  }
  if (rec.memcg_data) {
    auto [it_memcg, inserted] = memcg_lines_[rec.page_is_tail].try_emplace(rec.memcg_data);
    MemcgText& memcg = it_memcg->second;
    if (inserted)
      memcg.lines = memcg_.append(memcg.text, rec.memcg_data, rec.page_is_tail, !exact_);
    if (memcg.lines == MemcgLines::Lines::Missing) return fail(Result::Incomplete);
    if (memcg.lines == MemcgLines::Lines::Placeholder) memcg_placeholders_++;
    out.refer(memcg.text); // (the printer's, which stays put)
  }
  out.push_back('\n');
  if (size() >= limit) return fail(Result::TooLong);
  return Result::Printed;
}

} // namespace powner
