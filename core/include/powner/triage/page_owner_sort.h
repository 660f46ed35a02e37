// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's tools/mm/page_owner_sort of Linux 7.3, built in: a page_owner text read block by
// block as that tool reads it, selected, culled, sorted and printed as it does, byte for byte,
// quirks included (tests/sort compares the two on every fixture).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace powner {

// --cull keys, as the tool's CULL_* bits.
enum SortCull : unsigned {
  kCullPid = 1U << 1,
  kCullTgid = 1U << 2,
  kCullName = 1U << 3,
  kCullStacktrace = 1U << 4,
  kCullAllocator = 1U << 5,
};

// The allocator bits of a block (ALLOCATOR_*), as "allocated by" prints them.
enum SortAllocator : int {
  kAllocatorCma = 1 << 1,
  kAllocatorSlab = 1 << 2,
  kAllocatorVmalloc = 1 << 3,
  kAllocatorOthers = 1 << 4,
};

struct PageOwnerSortOptions {
  // -t (and none), -m, -a, -p, -P, -n, -s. The tool applies exactly one; its --sort list is
  // checked and then overridden by this one (check_sort_keys()).
  enum class Order { Times, Pages, AllocTs, Pid, Tgid, Name, Stacktrace };
  Order order = Order::Times;
  unsigned cull = 0;                             // SortCull bits (--cull)
  std::optional<std::vector<int32_t>> pids;      // --pid
  std::optional<std::vector<int32_t>> tgids;     // --tgid
  std::optional<std::vector<std::string>> names; // --name
};

// The tool's parsing of its option values; each false or nullopt is where it exits 1.
// --cull: pid|p, tgid|tg, name|n, stacktrace|st, allocator|ator, comma-separated, added to cull.
bool parse_cull_keys(std::string_view keys, unsigned& cull);
// --sort: [+|-]key[,...] with the cull keys and txt|T, alloc_ts|at. Checked only: in 7.3 the
// sort chosen by -a/-m/.../-t (-t when none) replaces the list once options are read.
bool check_sort_keys(std::string_view keys);
// --pid, --tgid: strtol's decimal numbers, comma-separated, each narrowed to pid_t.
std::optional<std::vector<int32_t>> parse_id_list(std::string_view list);
// --name: split at commas, empty names kept.
std::vector<std::string> split_names(std::string_view list);

// One block's fields as the tool's regular expressions find them. block: the block as the tool
// holds it (its lines without the PFN line) followed by the "\n" of the empty line that ended
// it. Each field falls back as the tool's does: -1 for pid, tgid and ts_nsec, 0 pages.
struct SortBlockFields {
  int32_t pid = -1, tgid = -1;
  uint64_t ts_nsec = UINT64_MAX;
  int32_t pages = 0;
  std::optional<std::string_view> comm;             // none: the tool stops ("Out of memory")
  std::size_t ts_digits_at = 0, ts_digits_size = 0; // what the tool cuts out of the text
};
SortBlockFields sort_block_fields(std::string_view block);
// ALLOCATOR_* bits of a block, given the last PFN line read (this block's or an earlier one's).
int sort_block_allocator(std::string_view block, std::string_view pfn_line);

using SortSink = std::function<void(std::string_view)>;

// Sorts text, a whole page_owner file, into sink, as page_owner_sort would write its output
// file. file_size is the input file's size: the tool takes at most one block per 100 bytes of
// it. Throws Error(Status::Unreadable) with one line where the tool stops without writing any
// output (a block with no task name, too many blocks), before anything reaches sink.
void page_owner_sort(std::string_view text, std::size_t file_size,
                     const PageOwnerSortOptions& options, const SortSink& sink);

} // namespace powner
