// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/top_table.h"

#include <algorithm>
#include <tuple>

namespace powner {

TopTable::Totals& TopTable::group(const std::string& key, std::vector<KeyField> fields) {
  auto [it, inserted] = groups_.try_emplace(key);
  if (inserted) it->second.fields = std::move(fields);
  return it->second;
}

uint64_t& TopTable::add(Totals& group, int32_t tgid, std::string_view comm, uint64_t pages) {
  group.pages += pages;
  group.records++;
  uint64_t& task = group.tasks[TaskKey{tgid, std::string(comm)}];
  task += pages;
  return task;
}

void TopTable::merge(TopTable&& other) {
  for (auto& [key, theirs] : other.groups_) {
    auto [it, inserted] = groups_.try_emplace(key);
    Totals& ours = it->second;
    if (inserted) {
      ours = std::move(theirs);
      continue;
    }
    ours.pages += theirs.pages;
    ours.records += theirs.records;
    for (auto& [task, pages] : theirs.tasks)
      ours.tasks[task] += pages;
  }
  other.groups_.clear();
}

std::vector<TopGroup> TopTable::groups(const std::function<bool(int32_t)>& exited,
                                       size_t top_tasks) const {
  std::vector<TopGroup> out;
  out.reserve(groups_.size());
  for (const auto& [key, totals] : groups_) {
    TopGroup g;
    g.key = key;
    g.fields = totals.fields;
    g.pages = totals.pages;
    g.records = totals.records;
    std::vector<TopTask> tasks;
    tasks.reserve(totals.tasks.size());
    for (const auto& [task, pages] : totals.tasks) {
      const bool gone = exited && exited(task.tgid);
      if (gone) g.exited_pages += pages;
      tasks.push_back({task.tgid, task.comm, pages, gone});
    }
    // Largest first; ties by tgid, then comm, so that every run prints the same.
    auto by_size = [](const TopTask& a, const TopTask& b) {
      return std::tie(b.pages, a.tgid, a.comm) < std::tie(a.pages, b.tgid, b.comm);
    };
    const size_t keep = std::min(top_tasks, tasks.size());
    std::partial_sort(tasks.begin(), tasks.begin() + static_cast<std::ptrdiff_t>(keep), tasks.end(),
                      by_size);
    tasks.resize(keep);
    g.top_tasks = std::move(tasks);
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const TopGroup& a, const TopGroup& b) {
    return std::tie(b.pages, b.records, a.key) < std::tie(a.pages, a.records, b.key);
  });
  return out;
}

} // namespace powner
