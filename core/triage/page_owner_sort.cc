// SPDX-License-Identifier: GPL-2.0-or-later
// page_owner_sort's main(): read blocks, select, cull (sort by the cull keys, merge neighbours),
// sort, print. Texts, stacks and names are kept once each (StringInterner). Both of the tool's
// qsort() calls are glibc's merge sort (glibc_msort.h), followed step by step wherever a
// comparator can overflow; where it is an order, equal keys keep the order a stable sort gives,
// whichever way it is reached (by text id, or by key then text).
#include "powner/triage/page_owner_sort.h"

#include "glibc_msort.h"
#include "powner/status.h"
#include "sort_block_reader.h"
#include "string_interner.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <fmt/format.h>
#include <iterator>

namespace powner {
namespace {

using std::string_view;

constexpr size_t kFlushAt = size_t{1} << 20;

struct Record {
  int32_t pid, tgid, pages, allocator;
  uint64_t ts_nsec;
  uint32_t comm;
  uint32_t text = 0, stack = 0; // ids, kept when a comparison or the output needs them
};

struct Group {
  uint32_t record; // the first of the merged run: its fields are the group's
  int32_t times, pages;
};

// The comparators' int arithmetic, which wraps on x86 (l1->pid - l2->pid and the like).
int32_t wrapping_sub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
int32_t wrapping_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
template <class T> int three_way(T a, T b) {
  return (a > b) - (a < b);
}

// The text without its first line: where the tool points its stacktrace.
string_view stack_of(string_view text) {
  const size_t nl = text.find('\n');
  return nl == string_view::npos ? string_view() : text.substr(nl + 1);
}

void append_allocator(std::string& out, int allocator) {
  out += "allocated by ";
  if (allocator & kAllocatorCma) out += "CMA ";
  if (allocator & kAllocatorSlab) out += "SLAB ";
  if (allocator & kAllocatorVmalloc) out += "VMALLOC ";
  if (allocator & kAllocatorOthers) out += "OTHERS ";
}

template <class T> bool contains(const std::vector<T>& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

class Sorter {
public:
  explicit Sorter(const PageOwnerSortOptions& options)
      : o_(options), need_text_(options.cull == 0),
        need_stack_((options.cull & kCullStacktrace) ||
                    options.order == PageOwnerSortOptions::Order::Stacktrace) {}

  void read(string_view text, size_t file_size) {
    const size_t max_size = file_size / 100; // the tool's "hack": its array's length
    BlockReader reader(text);
    std::string without_ts;
    const bool keep_ts = o_.order == PageOwnerSortOptions::Order::AllocTs;
    while (const std::optional<string_view> block = reader.next()) {
      if (records_.size() == max_size)
        throw Error(Status::Unreadable,
                    fmt::format("the input holds more than {} blocks, one per 100 bytes: "
                                "page_owner_sort stops at the block of line {} "
                                "(\"max_size too small??\") without output",
                                max_size, reader.first_line()));
      const SortBlockFields f = sort_block_fields(*block);
      if (o_.pids && !contains(*o_.pids, f.pid)) continue;
      if (o_.tgids && !contains(*o_.tgids, f.tgid)) continue;
      if (!f.comm)
        throw Error(Status::Unreadable,
                    fmt::format("the block of line {} has no task name of at most 15 characters "
                                "(\"tgid N (NAME), ts\"): page_owner_sort stops there "
                                "(\"Out of memory\") without output",
                                reader.first_line()));
      if (o_.names && !contains(*o_.names, std::string(*f.comm))) continue;

      Record r{f.pid, f.tgid, f.pages, 0, f.ts_nsec, comms_.intern(*f.comm)};
      string_view txt = block->substr(0, block->size() - 1);
      if (!keep_ts && f.ts_digits_size) {
        without_ts.assign(txt.substr(0, f.ts_digits_at));
        without_ts.append(txt.substr(f.ts_digits_at + f.ts_digits_size));
        txt = without_ts;
      }
      if (need_text_) {
        const size_t known = texts_.size();
        r.text = texts_.intern(txt);
        // The vmalloc rule gives the same on the text as on the block: neither of its words
        // holds a digit or "ts", so the cut timestamp can neither hold nor split one.
        if (texts_.size() > known)
          text_vmalloc_.push_back(sort_block_allocator(txt, {}) & kAllocatorVmalloc);
        const int bits =
            (sort_block_allocator({}, reader.pfn_line()) & (kAllocatorCma | kAllocatorSlab)) |
            text_vmalloc_[r.text];
        r.allocator = bits ? bits : kAllocatorOthers;
      } else {
        if (o_.cull & kCullAllocator) r.allocator = sort_block_allocator(*block, reader.pfn_line());
        if (need_stack_) r.stack = stacks_.intern(stack_of(txt));
      }
      records_.push_back(r);
    }
  }

  void cull() {
    if (need_text_ && need_stack_) {
      std::vector<uint32_t> stack_of_text(texts_.size());
      for (uint32_t id = 0; id < texts_.size(); ++id)
        stack_of_text[id] = stacks_.intern(stack_of(texts_.view(id)));
      for (Record& r : records_)
        r.stack = stack_of_text[r.text];
    }
    if (need_stack_) stack_rank_ = stacks_.ranks();
    if ((o_.cull & kCullName) || o_.order == PageOwnerSortOptions::Order::Name)
      comm_rank_ = comms_.ranks();
    if (need_text_) {
      // Culled by text, strcmp(): an order, so the sorted run of a text is its records in input
      // order, the first of them leading. Groups are kept by text id here, their text order
      // left to sort_and_print().
      std::vector<uint32_t> group_of_text(texts_.size(), UINT32_MAX);
      for (uint32_t i = 0; i < records_.size(); ++i) {
        uint32_t& g = group_of_text[records_[i].text];
        if (g == UINT32_MAX) {
          g = static_cast<uint32_t>(groups_.size());
          groups_.push_back({i, 1, records_[i].pages});
        } else {
          ++groups_[g].times;
          groups_[g].pages = wrapping_add(groups_[g].pages, records_[i].pages);
        }
      }
      return;
    }
    std::vector<uint32_t> order(records_.size());
    for (uint32_t i = 0; i < order.size(); ++i)
      order[i] = i;
    const auto cmp = [this](uint32_t a, uint32_t b) { return cull_cmp(a, b); };
    glibc_msort(order, cmp);
    for (uint32_t i : order) {
      if (groups_.empty() || cull_cmp(groups_.back().record, i) != 0) {
        groups_.push_back({i, 1, records_[i].pages});
      } else {
        ++groups_.back().times;
        groups_.back().pages = wrapping_add(groups_.back().pages, records_[i].pages);
      }
    }
  }

  void sort_and_print(const SortSink& sink) {
    std::vector<uint32_t> order(groups_.size());
    for (uint32_t i = 0; i < order.size(); ++i)
      order[i] = i;
    const auto cmp = [this](uint32_t a, uint32_t b) { return sort_cmp(a, b); };
    if (need_text_) {
      const auto text = [this](uint32_t g) {
        return texts_.view(records_[groups_[g].record].text);
      };
      if (sort_is_an_order()) {
        // A stable sort of the text-sorted groups is then a sort by key, then text: the texts
        // are compared only where keys tie.
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
          const int c = cmp(a, b);
          return c != 0 ? c < 0 : text(a) < text(b);
        });
      } else {
        std::sort(order.begin(), order.end(),
                  [&](uint32_t a, uint32_t b) { return text(a) < text(b); });
        glibc_msort(order, cmp);
      }
    } else {
      glibc_msort(order, cmp);
    }
    std::string out;
    out.reserve(kFlushAt + kSortBlockMax * 2);
    for (uint32_t g : order) {
      print(out, groups_[g]);
      if (out.size() >= kFlushAt) {
        sink(out);
        out.clear();
      }
    }
    if (!out.empty()) sink(out);
  }

private:
  // compare_cull_condition() with cull keys (culling by text is done by text id, in cull()).
  int cull_cmp(uint32_t a, uint32_t b) const {
    const Record& x = records_[a];
    const Record& y = records_[b];
    const unsigned cull = o_.cull;
    if ((cull & kCullStacktrace) && x.stack != y.stack)
      return three_way(stack_rank_[x.stack], stack_rank_[y.stack]);
    if ((cull & kCullPid) && x.pid != y.pid) return wrapping_sub(x.pid, y.pid);
    if ((cull & kCullTgid) && x.tgid != y.tgid) return wrapping_sub(x.tgid, y.tgid);
    if ((cull & kCullName) && x.comm != y.comm)
      return three_way(comm_rank_[x.comm], comm_rank_[y.comm]);
    if ((cull & kCullAllocator) && x.allocator != y.allocator)
      return wrapping_sub(x.allocator, y.allocator);
    return 0;
  }

  // Whether the sort's comparator orders the groups: its int subtractions never overflow.
  bool sort_is_an_order() const {
    using Order = PageOwnerSortOptions::Order;
    if (o_.order != Order::Pages && o_.order != Order::Pid && o_.order != Order::Tgid) return true;
    int64_t lo = INT32_MAX, hi = INT32_MIN;
    for (const Group& g : groups_) {
      const Record& r = records_[g.record];
      const int32_t v = o_.order == Order::Pages ? g.pages
                        : o_.order == Order::Pid ? r.pid
                                                 : r.tgid;
      lo = std::min<int64_t>(lo, v);
      hi = std::max<int64_t>(hi, v);
    }
    return groups_.empty() || hi - lo <= INT32_MAX;
  }

  // compare_sort_condition() with its one comparator and sign.
  int sort_cmp(uint32_t a, uint32_t b) const {
    using Order = PageOwnerSortOptions::Order;
    const Group& g = groups_[a];
    const Group& h = groups_[b];
    const Record& x = records_[g.record];
    const Record& y = records_[h.record];
    int32_t cmp = 0;
    bool descending = false;
    switch (o_.order) {
    case Order::Times:
      cmp = wrapping_sub(g.times, h.times);
      descending = true;
      break;
    case Order::Pages:
      cmp = wrapping_sub(g.pages, h.pages);
      descending = true;
      break;
    case Order::AllocTs:
      cmp = three_way(x.ts_nsec, y.ts_nsec);
      break;
    case Order::Pid:
      cmp = wrapping_sub(x.pid, y.pid);
      break;
    case Order::Tgid:
      cmp = wrapping_sub(x.tgid, y.tgid);
      break;
    case Order::Name:
      cmp = three_way(comm_rank_[x.comm], comm_rank_[y.comm]);
      break;
    case Order::Stacktrace:
      cmp = three_way(stack_rank_[x.stack], stack_rank_[y.stack]);
      break;
    }
    // SORT_DESC * cmp in int: -INT_MIN stays INT_MIN.
    return descending ? static_cast<int32_t>(0U - static_cast<uint32_t>(cmp)) : cmp;
  }

  void print(std::string& out, const Group& g) const {
    const Record& r = records_[g.record];
    auto to = std::back_inserter(out);
    if (o_.cull == 0) {
      fmt::format_to(to, "{} times, {} pages, ", g.times, g.pages);
      append_allocator(out, r.allocator);
      out += ":\n";
      out += texts_.view(r.text);
      out += '\n';
      return;
    }
    fmt::format_to(to, "{} times, {} pages", g.times, g.pages);
    if ((o_.cull & kCullPid) || o_.pids) fmt::format_to(to, ", PID {}", r.pid);
    if ((o_.cull & kCullTgid) || o_.tgids) fmt::format_to(to, ", TGID {}", r.tgid);
    if ((o_.cull & kCullName) || o_.names)
      fmt::format_to(to, ", task_comm_name: {}", comms_.view(r.comm));
    if (o_.cull & kCullAllocator) {
      out += ", ";
      append_allocator(out, r.allocator);
    }
    if (o_.cull & kCullStacktrace) {
      out += ":\n";
      out += stacks_.view(r.stack);
    }
    out += '\n';
  }

  const PageOwnerSortOptions& o_;
  const bool need_text_, need_stack_;
  std::vector<Record> records_;
  std::vector<Group> groups_;
  StringInterner texts_, stacks_, comms_;
  std::vector<int> text_vmalloc_; // by text id: kAllocatorVmalloc or 0
  std::vector<uint32_t> stack_rank_, comm_rank_;
};

} // namespace

void page_owner_sort(string_view text, size_t file_size, const PageOwnerSortOptions& options,
                     const SortSink& sink) {
  Sorter sorter(options);
  sorter.read(text, file_size);
  sorter.cull();
  sorter.sort_and_print(sink);
}

} // namespace powner
