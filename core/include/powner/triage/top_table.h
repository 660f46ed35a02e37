// SPDX-License-Identifier: GPL-2.0-or-later
// The totals of `powner top`: records grouped by a key, each group's pages, records and tasks.
// Memory grows with the groups and the tasks in them, never with the records: a walk's chunks
// each fill a table, merged in order into one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace powner {

// One named part of a group's key, as JSON shows it ("tgid": 69, "memcg": "po_c").
struct KeyField {
  std::string name;
  std::variant<int64_t, std::string, bool> value;
};

struct TopTask {
  int32_t tgid = 0;
  std::string comm;
  uint64_t pages = 0;
  bool exited = false; // its tgid is not in the dump's task list
};

// A group as reported: largest first, with its three largest tasks.
struct TopGroup {
  std::string key; // what identifies it; a stack's key is its text, lines and all
  std::vector<KeyField> fields;
  uint64_t pages = 0, records = 0;
  uint64_t exited_pages = 0; // pages of tasks whose tgid has exited
  std::vector<TopTask> top_tasks;
};

class TopTable {
public:
  struct TaskKey {
    int32_t tgid;
    std::string comm;
    bool operator==(const TaskKey&) const = default;
  };
  struct TaskHash {
    size_t operator()(const TaskKey& k) const {
      return std::hash<std::string_view>()(k.comm) * 31 + static_cast<uint32_t>(k.tgid);
    }
  };
  using Tasks = std::unordered_map<TaskKey, uint64_t, TaskHash>;
  // One group's running totals. It stays where it is (callers may keep a pointer to it) until
  // the table is merged into another.
  struct Totals {
    std::vector<KeyField> fields;
    uint64_t pages = 0, records = 0;
    Tasks tasks;
  };

  // The group of key, made with fields when new.
  Totals& group(const std::string& key, std::vector<KeyField> fields);
  // A record of pages pages, allocated by tgid (comm), in group.
  static uint64_t& add(Totals& group, int32_t tgid, std::string_view comm, uint64_t pages);

  // Adds other's groups to these.
  void merge(TopTable&& other);

  // The groups, largest first (pages, then records, then key), each with its top_tasks largest
  // tasks; exited(tgid) says whether a task is gone (exited_pages and TopTask::exited).
  std::vector<TopGroup> groups(const std::function<bool(int32_t)>& exited,
                               size_t top_tasks = 3) const;

  size_t size() const { return groups_.size(); }

private:
  std::unordered_map<std::string, Totals> groups_;
};

} // namespace powner
