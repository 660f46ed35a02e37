// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/top_diff.h"

#include "powner/status.h"

#include <algorithm>
#include <fmt/format.h>
#include <tuple>
#include <unordered_map>

namespace powner {

DiffSide diff_side(TopResult&& result, std::string source) {
  DiffSide side;
  side.by = result.by;
  side.source = std::move(source);
  side.group_count = result.groups.size();
  side.groups = std::move(result.groups);
  side.total_pages = result.total_pages;
  side.total_records = result.total_records;
  side.selected_pages = result.selected_pages;
  side.selected_records = result.selected_records;
  side.page_size = result.page_size;
  side.crash_time_ns = result.clock.ns;
  return side;
}

std::string_view diff_change_name(DiffChange change) {
  switch (change) {
  case DiffChange::Grew:
    return "grew";
  case DiffChange::New:
    return "new";
  case DiffChange::Shrank:
    return "shrank";
  case DiffChange::Gone:
    return "gone";
  case DiffChange::Same:
    return "same";
  case DiffChange::Unknown:
    return "unknown";
  }
  return "unknown";
}

namespace {

std::optional<int64_t> delta(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a || !b) return std::nullopt;
  return static_cast<int64_t>(*b) - static_cast<int64_t>(*a);
}

// Where a row sorts: its class, then its size within the class, largest first.
int change_rank(DiffChange c) {
  switch (c) {
  case DiffChange::Grew:
  case DiffChange::New:
    return 0;
  case DiffChange::Shrank:
  case DiffChange::Gone:
    return 1;
  case DiffChange::Same:
    return 2;
  case DiffChange::Unknown:
    return 3;
  }
  return 3;
}

uint64_t row_size(const DiffRow& r) {
  if (auto d = r.delta_pages(); d && *d != 0) return static_cast<uint64_t>(*d < 0 ? -*d : *d);
  return std::max(r.pages_a.value_or(0), r.pages_b.value_or(0));
}

} // namespace

std::optional<int64_t> DiffRow::delta_pages() const {
  return delta(pages_a, pages_b);
}

std::optional<int64_t> DiffRow::delta_records() const {
  return delta(records_a, records_b);
}

std::string diff_key(TopKey by, const std::vector<KeyField>& fields) {
  const std::string_view name = top_key_name(by);
  std::string key;
  bool offline = false;
  for (const KeyField& f : fields) {
    if (f.name == "offline") offline = std::get<bool>(f.value);
    if (f.name != name) continue;
    if (const auto* text = std::get_if<std::string>(&f.value)) key = *text;
    if (const auto* number = std::get_if<int64_t>(&f.value)) key = fmt::format("{}", *number);
  }
  if (by == TopKey::Memcg && offline) key += " (offline)";
  if (by == TopKey::Order || by == TopKey::Node) key = fmt::format("{} {}", name, key);
  return key;
}

TopDiff diff_tops(const DiffSide& a, const DiffSide& b) {
  if (a.by != b.by)
    throw Error(Status::Usage, fmt::format("{} is grouped by {}, {} by {}", a.source,
                                           top_key_name(a.by), b.source, top_key_name(b.by)));
  if (a.page_size != b.page_size)
    throw Error(Status::Usage, fmt::format("{} has {}-byte pages, {} {}-byte ones: not one machine",
                                           a.source, a.page_size, b.source, b.page_size));
  TopDiff diff;
  diff.by = a.by;
  diff.page_size = a.page_size;
  std::unordered_map<std::string, size_t> rows; // key: its index in diff.rows
  auto row = [&](const TopGroup& g) -> DiffRow& {
    std::string key = diff_key(a.by, g.fields);
    auto [it, inserted] = rows.try_emplace(key, diff.rows.size());
    if (inserted) {
      DiffRow r;
      r.key = std::move(key);
      r.fields = g.fields;
      diff.rows.push_back(std::move(r));
    }
    return diff.rows[it->second];
  };
  // Groups whose fields name one key (a memcg not in the dump, whatever its state) add up.
  for (const TopGroup& g : a.groups) {
    DiffRow& r = row(g);
    r.pages_a = r.pages_a.value_or(0) + g.pages;
    r.records_a = r.records_a.value_or(0) + g.records;
  }
  for (const TopGroup& g : b.groups) {
    DiffRow& r = row(g);
    if (!r.pages_b) r.fields = g.fields;
    r.pages_b = r.pages_b.value_or(0) + g.pages;
    r.records_b = r.records_b.value_or(0) + g.records;
  }
  for (DiffRow& r : diff.rows) {
    const bool in_a = r.pages_a.has_value(), in_b = r.pages_b.has_value();
    if (!in_a && a.complete()) r.pages_a = r.records_a = 0;
    if (!in_b && b.complete()) r.pages_b = r.records_b = 0;
    const auto d = r.delta_pages();
    if (!d)
      r.change = DiffChange::Unknown;
    else if (!in_a)
      r.change = DiffChange::New;
    else if (!in_b)
      r.change = DiffChange::Gone;
    else
      r.change = *d > 0 ? DiffChange::Grew : *d < 0 ? DiffChange::Shrank : DiffChange::Same;
  }
  std::sort(diff.rows.begin(), diff.rows.end(), [](const DiffRow& x, const DiffRow& y) {
    const int rx = change_rank(x.change), ry = change_rank(y.change);
    const uint64_t sx = row_size(x), sy = row_size(y);
    const uint64_t px = x.pages_b.value_or(0), py = y.pages_b.value_or(0);
    return std::tie(rx, sy, py, x.key) < std::tie(ry, sx, px, y.key);
  });
  return diff;
}

} // namespace powner
