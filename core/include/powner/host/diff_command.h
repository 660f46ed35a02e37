// SPDX-License-Identifier: GPL-2.0-or-later
// `powner diff`: what grew between two dumps of one machine. Its command line (CLI11); each
// side a dump, opened as `powner top` opens one (opened_dump.h) and totalled by run_top, or a
// saved `powner top --json` (triage/saved_top.h); the two compared (triage/top_diff.h) and
// printed (triage/top_diff_report.h).
#pragma once

#include "powner/host/dump_command.h"
#include "powner/triage/top_query.h"

#include <cstddef>
#include <string>
#include <vector>

namespace powner {

struct DiffCommand {
  DumpCommand dump; // --force, -j, --exact: for both dumps
  TopKey by = TopKey::Stack;
  std::string a, b;                 // a dump or a saved `powner top --json`, each
  std::string vmlinux;              // -s, or named among the files: both dumps' ("": BTF)
  std::string symbols_a, symbols_b; // --symbols-a, --symbols-b: one dump's, over -s
  size_t limit = 20;                // -n: rows shown (0: all)
  bool json = false;
};

struct ParsedDiffCommand {
  enum class Action { Run, Print };
  Action action = Action::Run;
  std::string text; // with Print: the help text
  DiffCommand command;
};

// args: the arguments after "diff". Throws Error(Usage) with one line ending in
// "(see PROGRAM --help)".
ParsedDiffCommand parse_diff_command(const std::vector<std::string>& args,
                                     const std::string& program);

// Parses, runs, prints (standard output; errors, warnings and notes on standard error, progress
// there when it is a terminal). Returns the exit status.
int diff_command(const std::vector<std::string>& args, const std::string& program);

} // namespace powner
