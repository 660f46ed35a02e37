// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/top_report.h"

#include "powner/triage/stack_frames.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>

namespace powner {

double pages_mib(uint64_t pages, uint64_t page_size) {
  return static_cast<double>(pages) * static_cast<double>(page_size) / (1024.0 * 1024.0);
}

namespace {

double share_percent(uint64_t pages, uint64_t total) {
  return total ? 100.0 * static_cast<double>(pages) / static_cast<double>(total) : 0.0;
}

// Rounded for JSON: the totals are exact in pages; these are for people.
double rounded(double v, double per_unit) {
  return std::round(v * per_unit) / per_unit;
}

size_t shown(const TopResult& r, size_t limit) {
  return limit ? std::min(limit, r.groups.size()) : r.groups.size();
}

std::string task_text(const TopTask& t) {
  return fmt::format("{} {} {}{}", t.tgid, t.comm, t.pages, t.exited ? " exited" : "");
}

// A group's key in one line: a stack's is written under its row instead.
std::string key_text(const TopResult& r, const TopGroup& g) {
  if (r.by == TopKey::Stack) return fmt::format("{} frames", stack_frames(g.key).size());
  if (r.by == TopKey::Tgid) {
    std::string comm, exited;
    for (const KeyField& f : g.fields) {
      if (f.name == "comm") comm = std::get<std::string>(f.value);
      if (f.name == "exited" && std::get<bool>(f.value)) exited = " (exited)";
    }
    return fmt::format("{} {}{}", g.key, comm, exited);
  }
  if (r.by == TopKey::Age) return g.key.substr(g.key.find(' ') + 1);
  return g.key;
}

} // namespace

std::string top_table(const TopResult& r, size_t limit) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{} pages ({:.1f} MiB) in {} records", r.total_pages,
                 pages_mib(r.total_pages, r.page_size), r.total_records);
  if (r.selected_pages != r.total_pages || r.selected_records != r.total_records)
    fmt::format_to(it, "; selected {} pages ({:.1f} MiB) in {} records", r.selected_pages,
                   pages_mib(r.selected_pages, r.page_size), r.selected_records);
  fmt::format_to(it, "; crash at {}.{:09} s ({})\n", r.clock.ns / 1000000000,
                 r.clock.ns % 1000000000, crash_clock_source_name(r.clock.source));
  const size_t n = shown(r, limit);
  const bool exited_column = r.exited_known && r.by != TopKey::Tgid;
  std::vector<std::string> keys;
  size_t key_width = top_key_name(r.by).size();
  for (size_t i = 0; i < n; i++) {
    keys.push_back(key_text(r, r.groups[i]));
    key_width = std::max(key_width, keys.back().size());
  }
  std::string heading = std::string(top_key_name(r.by));
  std::transform(heading.begin(), heading.end(), heading.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  fmt::format_to(it, "{:>10} {:>10} {:>7} {:>8}", "PAGES", "MiB", "SHARE", "RECORDS");
  if (exited_column) fmt::format_to(it, " {:>8}", "EXITED");
  fmt::format_to(it, "  {:<{}}  TOP TASKS (tgid comm pages)\n", heading, key_width);
  for (size_t i = 0; i < n; i++) {
    const TopGroup& g = r.groups[i];
    fmt::format_to(it, "{:>10} {:>10.1f} {:>6.2f}% {:>8}", g.pages, pages_mib(g.pages, r.page_size),
                   share_percent(g.pages, r.total_pages), g.records);
    if (exited_column) fmt::format_to(it, " {:>8}", g.exited_pages);
    std::string tasks;
    for (const TopTask& t : g.top_tasks)
      tasks += (tasks.empty() ? "" : ", ") + task_text(t);
    fmt::format_to(it, "  {:<{}}  {}\n", keys[i], key_width, tasks);
    if (r.by == TopKey::Stack) fmt::format_to(it, "{}\n", g.key);
  }
  if (n < r.groups.size())
    fmt::format_to(it, "({} more groups: -n 0 shows all)\n", r.groups.size() - n);
  return out;
}

std::string top_json_lines(const TopResult& r, size_t limit) {
  using json = nlohmann::ordered_json;
  std::string out;
  json head = {{"schema", "powner-top"},
               {"version", 1},
               {"by", std::string(top_key_name(r.by))},
               {"total_pages", r.total_pages},
               {"total_records", r.total_records},
               {"selected_pages", r.selected_pages},
               {"selected_records", r.selected_records},
               {"page_size", r.page_size},
               {"groups", r.groups.size()},
               {"crash_time_ns", r.clock.ns},
               {"crash_time_source", std::string(crash_clock_source_name(r.clock.source))},
               {"exited_known", r.exited_known}};
  out += head.dump() + "\n";
  const size_t n = shown(r, limit);
  for (size_t i = 0; i < n; i++) {
    const TopGroup& g = r.groups[i];
    json line = json::object();
    for (const KeyField& f : g.fields)
      std::visit([&](const auto& v) { line[f.name] = v; }, f.value);
    line["pages"] = g.pages;
    line["mib"] = rounded(pages_mib(g.pages, r.page_size), 1000);
    line["share"] = rounded(share_percent(g.pages, r.total_pages), 100);
    line["records"] = g.records;
    if (r.exited_known) line["exited_pages"] = g.exited_pages;
    json tasks = json::array();
    for (const TopTask& t : g.top_tasks) {
      json task = {{"tgid", t.tgid}, {"comm", t.comm}, {"pages", t.pages}};
      if (r.exited_known) task["exited"] = t.exited;
      tasks.push_back(std::move(task));
    }
    line["top_tasks"] = std::move(tasks);
    // A comm is whatever bytes a task named itself: never let one make the line invalid.
    out += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  return out;
}

namespace {

// Folded stacks (root first) and their pages, merged where the functions agree.
std::map<std::vector<std::string>, uint64_t> folded_stacks(const TopResult& r) {
  std::map<std::vector<std::string>, uint64_t> stacks;
  for (const TopGroup& g : r.groups) {
    std::vector<std::string_view> frames = stack_frames(g.key);
    std::reverse(frames.begin(), frames.end()); // root first
    std::vector<std::string> folded;
    folded.reserve(frames.size());
    for (std::string_view frame : frames)
      folded.push_back(folded_frame(frame));
    if (folded.empty()) folded.emplace_back("[no stack]");
    stacks[folded] += g.pages;
  }
  return stacks;
}

} // namespace

std::string top_report_json(const std::vector<TopResult>& results, size_t limit) {
  using json = nlohmann::ordered_json;
  json report = {{"schema", "powner-report"}, {"version", 1}};
  json sections = json::array(), folded = json::array();
  bool have_folded = false;
  for (const TopResult& r : results) {
    report["total_pages"] = r.total_pages;
    report["page_size"] = r.page_size;
    json groups = json::array();
    const size_t n = shown(r, limit);
    for (size_t i = 0; i < n; i++) {
      const TopGroup& g = r.groups[i];
      std::string label = r.by == TopKey::Stack ? g.key : key_text(r, g);
      while (!label.empty() && label.back() == '\n')
        label.pop_back();
      json group = {{"label", label},
                    {"pages", g.pages},
                    {"records", g.records},
                    {"share", r.total_pages ? static_cast<double>(g.pages) /
                                                  static_cast<double>(r.total_pages)
                                            : 0.0}};
      for (const KeyField& f : g.fields)
        if (f.name == "exited" && std::get<bool>(f.value)) group["exited"] = true;
      groups.push_back(std::move(group));
    }
    sections.push_back({{"by", std::string(top_key_name(r.by))}, {"groups", std::move(groups)}});
    if (r.by == TopKey::Stack && !have_folded) {
      have_folded = true;
      for (const auto& [frames, pages] : folded_stacks(r))
        folded.push_back({{"frames", frames}, {"pages", pages}});
    }
  }
  report["sections"] = std::move(sections);
  report["folded"] = std::move(folded);
  return report.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string top_folded(const TopResult& r) {
  std::map<std::string, uint64_t> lines;
  for (const auto& [frames, pages] : folded_stacks(r)) {
    std::string line;
    for (const std::string& frame : frames)
      line += (line.empty() ? "" : ";") + frame;
    lines[line] += pages;
  }
  std::string out;
  for (const auto& [line, pages] : lines)
    out += fmt::format("{} {}\n", line, pages);
  return out;
}

} // namespace powner
