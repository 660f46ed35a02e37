// SPDX-License-Identifier: GPL-2.0-or-later
// `powner diff`'s engine: the groups of two `powner top` answers (two dumps of one machine, or
// a dump and a saved `powner top --json`) matched by key, growth first. A leak shows as the same
// stack, or memcg, holding more pages later. Groups match by their key's text: a stack's
// symbolized lines agree between dumps of one kernel build; across builds offsets and sizes
// differ and the same call site would not match.
#pragma once

#include "powner/triage/top_query.h"
#include "powner/triage/top_table.h"
#include "powner/triage/top_walk.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace powner {

// One side of a diff: a dump's groups, or those a saved `powner top --json` lists.
struct DiffSide {
  TopKey by = TopKey::Stack;
  std::string source; // the file it came from
  bool saved = false; // a saved `powner top --json`, not a dump
  std::vector<TopGroup> groups;
  uint64_t group_count = 0; // groups found: more than listed when the file was saved with -n
  uint64_t total_pages = 0, total_records = 0;
  uint64_t selected_pages = 0, selected_records = 0;
  uint64_t page_size = 4096;
  uint64_t crash_time_ns = 0;
  std::string release; // the dumped kernel's ("": not known, as from a saved file)
  // A group not listed is a group this side has not (0 pages) only when every group is listed;
  // otherwise its pages are not known.
  bool complete() const { return groups.size() >= group_count; }
};

DiffSide diff_side(TopResult&& result, std::string source);

// How a group changed from A to B. New and Gone are in one side only; Unknown is not listed in
// a side that lists only its largest groups.
enum class DiffChange { Grew, New, Shrank, Gone, Same, Unknown };
std::string_view diff_change_name(DiffChange change);

struct DiffRow {
  std::string key;
  std::vector<KeyField> fields; // B's where the group is in B (a tgid's comm may change)
  // Nothing where the side does not list the group and may have it (DiffChange::Unknown).
  std::optional<uint64_t> pages_a, pages_b, records_a, records_b;
  DiffChange change = DiffChange::Same;
  std::optional<int64_t> delta_pages() const;
  std::optional<int64_t> delta_records() const;
};

struct TopDiff {
  TopKey by = TopKey::Stack;
  // Growth first, largest first (new groups among them); then shrinkage, largest first (gone
  // groups among them); then the unchanged, largest first; then the unknown.
  std::vector<DiffRow> rows;
  uint64_t page_size = 4096;
};

// A group's key as the diff matches it, from its fields (the same from a dump and from a saved
// file): a stack's text, a memcg's name and " (offline)", "order 3"...; a tgid's comm and
// exited mark are not part of it.
std::string diff_key(TopKey by, const std::vector<KeyField>& fields);

// Throws Error(Usage) when the sides were grouped by different keys or have different page
// sizes (not one machine).
TopDiff diff_tops(const DiffSide& a, const DiffSide& b);

} // namespace powner
