// SPDX-License-Identifier: GPL-2.0-or-later
// print_page_owner(): the text of one record, in the dumped kernel's own format and in the
// 7.3 print modes (stack, handle, stack_handle). One printer per thread (its caches of flag
// texts and of answers are its own); the stack depot and memcg lines may be shared.
#pragma once

#include "powner/filter.h"
#include "powner/kernel_model.h"
#include "powner/memcg.h"
#include "powner/page_owner_walk.h"
#include "powner/stack_depot.h"
#include "powner/text_pieces.h"

#include <array>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace powner {

// What print_page_owner() prints for an index into one of the kernel's name tables
// (migratetype_names, migrate_reason_names): the name, or "(unknown)" past the table.
const std::string& name_or_unknown(const std::vector<std::string>& names, int64_t index);

// gfp_migratetype(): the migrate type of an allocation's gfp mask, the first "type" of the
// "PFN ... type X Block ... type Y" line (Y is the pageblock's, PageRecord::pageblock_migratetype).
int64_t gfp_migratetype(const KernelModel& model, uint32_t gfp_mask);

class RecordPrinter {
public:
  // exact: print only records whose whole text is what the kernel printed. Otherwise a detail
  // the dump lacks (a memcg's name, a stack) is printed as its placeholder (memcg.h) and the
  // record is printed.
  RecordPrinter(const KernelModel& model, StackDepot& depot, MemcgLines& memcg, bool exact = false)
      : model_(model), depot_(depot), memcg_(memcg), exact_(exact) {}

  enum class Result {
    Printed,
    TooLong,    // does not fit read_page_owner()'s PAGE_SIZE buffer: the live read fails (ENOMEM)
    Incomplete, // (exact) the dump lacks memory the record's text needs (a memcg, its name)
    NoStack,    // (exact) the dump lacks the record's stack (its stack record or its symbols)
  };
  // Appends the record to out, or nothing unless Printed. Its stack text and memcg lines are
  // referred to (see TextPieces): they stay put while the depot and this printer live.
  Result append(TextPieces& out, const PageRecord& rec, PrintMode mode);

  uint64_t bad_handles() const { return bad_handles_; }
  // Records printed with a placeholder, by kind.
  uint64_t memcg_placeholders() const { return memcg_placeholders_; }
  uint64_t stack_placeholders() const { return stack_placeholders_; }

  // The text of %pGg and %pGp, once per distinct mask and page->flags value.
  const std::string& gfp_text(uint32_t gfp_mask);
  const std::string& page_flags_text(uint64_t flags);

private:
  // The "Page allocated via" and "PFN" lines of the record.
  void append_header(TextPieces& out, const PageRecord& rec);

  const KernelModel& model_;
  StackDepot& depot_;
  MemcgLines& memcg_;
  const bool exact_;
  std::unordered_map<uint32_t, std::string> gfp_texts_;
  std::unordered_map<uint64_t, std::string> page_flags_texts_;
  const std::pair<const uint32_t, std::string>* last_gfp_ = nullptr; // (nodes stay put)
  const std::pair<const uint64_t, std::string>* last_flags_ = nullptr;
  // The shared depot's and memcg lines' answers, kept here too: asking them takes a lock.
  struct StackText {
    const std::string* text; // the depot's, which stays put
    bool bad, unavailable;
  };
  std::unordered_map<uint32_t, StackText> stacks_;
  struct MemcgText {
    std::string text;
    MemcgLines::Lines lines = MemcgLines::Lines::Known;
  };
  std::array<std::unordered_map<uint64_t, MemcgText>, 2> memcg_lines_; // [tail]
  uint64_t bad_handles_ = 0, memcg_placeholders_ = 0, stack_placeholders_ = 0;
};

} // namespace powner
