// SPDX-License-Identifier: GPL-2.0-or-later
// `powner top`: who holds the memory. Its command line (CLI11), the dump opened as the main
// command opens it (opened_dump.h), the totals (triage/top_walk.h) and their forms
// (triage/top_report.h).
#pragma once

#include "powner/host/dump_command.h"
#include "powner/triage/top_query.h"
#include "powner/triage/top_walk.h"

#include <cstddef>
#include <string>
#include <vector>

namespace powner {

struct TopCommand {
  DumpCommand dump; // -c, -s, --force, -j, --exact, the files
  TopQuery query;
  size_t limit = 20; // -n: groups shown (0: all)
  bool json = false, folded = false;
  std::string html; // --html FILE: the report page, written whole
};

using ParsedTopCommand = Parsed<TopCommand>;

// args: the arguments after "top". Throws Error(Usage) with one line ending in
// "(see PROGRAM --help)".
ParsedTopCommand parse_top_command(const std::vector<std::string>& args,
                                   const std::string& program);

// The answer in the form the command line asks for (table, --json or --folded).
std::string top_text(const TopCommand& cmd, const TopResult& result);

// What the command answers, from one walk: the selection totalled by its key and, with --html,
// the page of the selection totalled by stack, memcg, node and tgid (the keys this kernel's
// records answer; the result's notes say which were left out), titled title.
struct TopAnswer {
  TopResult result;
  std::string html; // "" without --html
};
TopAnswer run_top_command(Engine& engine, Types& types, const TopCommand& cmd,
                          const std::string& title, const Progress& progress = {});

// Parses, runs, prints (standard output; errors, warnings and notes on standard error, progress
// there when it is a terminal). Returns the exit status.
int top_command(const std::vector<std::string>& args, const std::string& program);

} // namespace powner
