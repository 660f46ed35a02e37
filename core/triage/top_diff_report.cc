// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/top_diff_report.h"

#include "powner/triage/stack_frames.h"
#include "powner/triage/top_report.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace powner {

namespace {

size_t shown(const TopDiff& d, size_t limit) {
  return limit ? std::min(limit, d.rows.size()) : d.rows.size();
}

double delta_mib(int64_t pages, uint64_t page_size) {
  const double mib = pages_mib(static_cast<uint64_t>(pages < 0 ? -pages : pages), page_size);
  return pages < 0 ? -mib : mib;
}

// "?": not known (a saved side that does not list the group).
std::string count_text(const std::optional<uint64_t>& v) {
  return v ? fmt::format("{}", *v) : "?";
}

std::string delta_text(const std::optional<int64_t>& v) {
  return v ? fmt::format("{:+}", *v) : "?";
}

// A row's key in one line: a stack's is written under its row instead.
std::string key_text(TopKey by, const DiffRow& r) {
  if (by == TopKey::Stack) return fmt::format("{} frames", stack_frames(r.key).size());
  if (by == TopKey::Tgid) {
    std::string comm, exited;
    for (const KeyField& f : r.fields) {
      if (f.name == "comm") comm = std::get<std::string>(f.value);
      if (f.name == "exited" && std::get<bool>(f.value)) exited = " (exited)";
    }
    return fmt::format("{} {}{}", r.key, comm, exited);
  }
  return r.key;
}

std::string side_line(const DiffSide& s) {
  std::string line =
      fmt::format("{}{}: {} pages ({:.1f} MiB) in {} records", s.source, s.saved ? " (saved)" : "",
                  s.selected_pages, pages_mib(s.selected_pages, s.page_size), s.selected_records);
  if (s.selected_pages != s.total_pages || s.selected_records != s.total_records)
    line += fmt::format(" selected of {} pages", s.total_pages);
  if (s.complete())
    line += fmt::format(", {} groups", s.group_count);
  else
    line += fmt::format(", {} of {} groups listed", s.groups.size(), s.group_count);
  return line;
}

std::string summary_line(const TopDiff& d, const DiffSide& a, const DiffSide& b) {
  size_t counts[6] = {};
  for (const DiffRow& r : d.rows)
    counts[static_cast<size_t>(r.change)]++;
  auto n = [&](DiffChange c) { return counts[static_cast<size_t>(c)]; };
  const int64_t pages =
      static_cast<int64_t>(b.selected_pages) - static_cast<int64_t>(a.selected_pages);
  const int64_t records =
      static_cast<int64_t>(b.selected_records) - static_cast<int64_t>(a.selected_records);
  std::string line = fmt::format(
      "B - A: {:+} pages ({:+.1f} MiB), {:+} records; {} groups grew ({} new), {} shrank ({} "
      "gone), {} same",
      pages, delta_mib(pages, d.page_size), records, n(DiffChange::Grew) + n(DiffChange::New),
      n(DiffChange::New), n(DiffChange::Shrank) + n(DiffChange::Gone), n(DiffChange::Gone),
      n(DiffChange::Same));
  if (n(DiffChange::Unknown)) line += fmt::format(", {} unknown", n(DiffChange::Unknown));
  return line;
}

} // namespace

std::string diff_table(const TopDiff& d, const DiffSide& a, const DiffSide& b, size_t limit) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "A: {}\nB: {}\n{}\n", side_line(a), side_line(b), summary_line(d, a, b));
  const size_t n = shown(d, limit);
  std::vector<std::string> keys;
  size_t key_width = top_key_name(d.by).size();
  for (size_t i = 0; i < n; i++) {
    keys.push_back(key_text(d.by, d.rows[i]));
    key_width = std::max(key_width, keys.back().size());
  }
  std::string heading(top_key_name(d.by));
  std::transform(heading.begin(), heading.end(), heading.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  fmt::format_to(it, "{:>10} {:>10} {:>10} {:>10} {:>11}  {:<7}  {}\n", "A PAGES", "B PAGES",
                 "DELTA", "DELTA MiB", "DELTA RECS", "CHANGE", heading);
  for (size_t i = 0; i < n; i++) {
    const DiffRow& r = d.rows[i];
    const auto dp = r.delta_pages();
    const std::string mib = dp ? fmt::format("{:+.1f}", delta_mib(*dp, d.page_size)) : "?";
    fmt::format_to(it, "{:>10} {:>10} {:>10} {:>10} {:>11}  {:<7}  {}\n", count_text(r.pages_a),
                   count_text(r.pages_b), delta_text(dp), mib, delta_text(r.delta_records()),
                   diff_change_name(r.change), keys[i]);
    if (d.by == TopKey::Stack) fmt::format_to(it, "{}\n", r.key);
  }
  if (n < d.rows.size()) fmt::format_to(it, "({} more rows: -n 0 shows all)\n", d.rows.size() - n);
  return out;
}

std::string diff_json_lines(const TopDiff& d, const DiffSide& a, const DiffSide& b, size_t limit) {
  using json = nlohmann::ordered_json;
  auto side = [](const DiffSide& s) {
    return json{{"source", s.source},
                {"saved", s.saved},
                {"total_pages", s.total_pages},
                {"total_records", s.total_records},
                {"selected_pages", s.selected_pages},
                {"selected_records", s.selected_records},
                {"groups", s.group_count},
                {"groups_listed", s.groups.size()},
                {"crash_time_ns", s.crash_time_ns},
                {"release", s.release.empty() ? json(nullptr) : json(s.release)}};
  };
  auto value = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  json head = {{"schema", "powner-diff"},
               {"version", 1},
               {"by", std::string(top_key_name(d.by))},
               {"page_size", d.page_size},
               {"rows", d.rows.size()},
               {"a", side(a)},
               {"b", side(b)}};
  // A file name is whatever bytes it was given: never let one make the line invalid.
  constexpr auto replace = json::error_handler_t::replace;
  std::string out = head.dump(-1, ' ', false, replace) + "\n";
  const size_t n = shown(d, limit);
  for (size_t i = 0; i < n; i++) {
    const DiffRow& r = d.rows[i];
    json line = json::object();
    for (const KeyField& f : r.fields)
      std::visit([&](const auto& v) { line[f.name] = v; }, f.value);
    const auto dp = r.delta_pages();
    line["change"] = std::string(diff_change_name(r.change));
    line["pages_a"] = value(r.pages_a);
    line["pages_b"] = value(r.pages_b);
    line["delta_pages"] = value(dp);
    line["delta_mib"] =
        dp ? json(std::round(delta_mib(*dp, d.page_size) * 1000) / 1000) : json(nullptr);
    line["records_a"] = value(r.records_a);
    line["records_b"] = value(r.records_b);
    line["delta_records"] = value(r.delta_records());
    out += line.dump(-1, ' ', false, replace) + "\n";
  }
  return out;
}

} // namespace powner
