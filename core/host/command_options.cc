// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/command_options.h"

#include "powner/status.h"

#include <algorithm>
#include <fmt/format.h>
#include <vector>

namespace powner {

namespace {

// --threshold takes what the kernel's count_threshold file takes: a decimal u64 (a minus sign,
// a fraction or a number past 2^64-1 is refused, where CLI11 would wrap or round).
std::string u64_value(const std::string& text) {
  if (text.empty() || text.size() > 20 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "not a page count (0 to 18446744073709551615)";
  if (text.size() == 20 && text > "18446744073709551615") return "beyond 18446744073709551615";
  return "";
}

// -j: a decimal count of threads, 1 to 1024.
std::string thread_count(const std::string& text) {
  const bool digits =
      !text.empty() && text.size() <= 4 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoul(text) < 1 || std::stoul(text) > 1024)
    return "not a thread count from 1 to 1024";
  return "";
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

} // namespace

void add_command_options(CLI::App& app, CommandOptions& opt) {
  app.allow_extras();
  app.add_option("-m,--mode", opt.filter.mode, "print mode: stack (default), handle, stack_handle");
  app.add_option("-n,--nid", opt.filter.nodes,
                 "only pages of these NUMA nodes: a node list like 0,2-3");
  app.add_option("--filter", opt.filter.command,
                 "a filter command as written to the page_owner file (\"mode=handle nid=0-1\"), "
                 "applied after -m and -n as a later write would be");
  app.add_option("-o,--output", opt.output,
                 "write to FILE (complete or not at all) instead of standard output");
  app.add_option("--stacks", opt.stacks, "print a page_owner_stacks view instead")
      ->check(CLI::IsMember({"stacks", "handles", "stacks_handles"}));
  app.add_option("--threshold", opt.threshold,
                 "with --stacks: count_threshold (default: the dump's own value)")
      ->check(CLI::Validator(u64_value, "PAGES"));
  app.add_flag("--exact", opt.exact,
               "print only records whose whole text is in the dump, and count the others (by "
               "default a detail the dump lacks, a memcg name or a stack, is printed as '?')");
  app.add_flag("--json", opt.json,
               "the records as JSON Lines, one object per record with the fields of its text "
               "(docs/json-schema.md); -n and --filter's nid= select them, the mode does not "
               "matter");
  app.add_option("-j,--threads", opt.threads,
                 "threads reading the dump (default: the CPUs available); the output is the same")
      ->check(CLI::Validator(thread_count, "THREADS"));
}

std::string nearest_option(const CLI::App& app, const std::string& written) {
  const std::string name = written.substr(0, written.find('='));
  std::string best;
  size_t best_distance = 3; // farther than 2 edits is no longer a misspelling
  for (const CLI::Option* o : app.get_options()) {
    std::vector<std::string> names;
    for (const auto& l : o->get_lnames())
      names.push_back("--" + l);
    for (const auto& s : o->get_snames())
      names.push_back("-" + s);
    for (const auto& candidate : names) {
      size_t d = edit_distance(name, candidate);
      // An unambiguous abbreviation is as good as a misspelling ("--thresh").
      if (name.size() > 3 && candidate.rfind(name, 0) == 0) d = 1;
      if (d < best_distance) best_distance = d, best = candidate;
    }
  }
  return best;
}

void check_command_line(const CLI::App& app, const CommandOptions& opt) {
  for (const std::string& arg : app.remaining()) {
    if (arg.size() > 1 && arg[0] == '-') {
      std::string near = nearest_option(app, arg);
      throw Error(Status::Usage,
                  near.empty() ? fmt::format("unknown option {}", arg)
                               : fmt::format("unknown option {}; did you mean {}?", arg, near));
    }
    throw Error(Status::Usage, fmt::format("unexpected argument '{}'", arg));
  }
  if (!opt.stacks.empty() && (opt.filter.mode || opt.filter.nodes || opt.filter.command))
    throw Error(Status::Usage, "--stacks views take no -m or -n (the kernel's files have none)");
  if (opt.json && !opt.stacks.empty())
    throw Error(Status::Usage, "--json prints the records, not a --stacks view");
  if (opt.threshold && opt.stacks.empty())
    throw Error(Status::Usage, "--threshold is count_threshold of the --stacks views: give "
                               "--stacks too");
}

std::string parse_error_text(const CLI::ParseError& e) {
  std::string text = e.what();
  // CLI11 ends some messages with a newline, or appends its own hint.
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

} // namespace powner
