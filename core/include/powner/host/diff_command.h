// SPDX-License-Identifier: GPL-2.0-or-later
// `powner diff`: what grew between two dumps of one machine. Its command line (CLI11); each
// side a dump, opened as `powner top` opens one (opened_dump.h) and totalled by run_top, or a
// saved `powner top --json` (triage/saved_top.h); the two compared (triage/top_diff.h) and
// printed (triage/top_diff_report.h).
#pragma once

#include "powner/engine.h"
#include "powner/host/dump_command.h"
#include "powner/triage/top_query.h"
#include "powner/types.h"

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

using ParsedDiffCommand = Parsed<DiffCommand>;

// args: the arguments after "diff". Throws Error(Usage) with one line ending in
// "(see PROGRAM --help)". host_dump: the host has a dump open (crash, drgn): one file names A,
// and B, left "", is the host's dump (what grew since A).
ParsedDiffCommand parse_diff_command(const std::vector<std::string>& args,
                                     const std::string& program, bool host_dump = false);

// A host's own dump, as a side of the comparison: its engine and types, and how to name it.
struct HostDump {
  Engine& engine;
  Types& types;
  std::string label; // "crash's dump"
};

// The comparison as the command line asks for it (table or JSON Lines). host: B when the
// command names no B. notes gets what to say on standard error. Throws Error.
std::string run_diff(const DiffCommand& command, const HostDump* host,
                     std::vector<std::string>& notes, const Progress& progress = {});

// Parses, runs, prints (standard output; errors, warnings and notes on standard error, progress
// there when it is a terminal). Returns the exit status.
int diff_command(const std::vector<std::string>& args, const std::string& program);

} // namespace powner
