// SPDX-License-Identifier: GPL-2.0-or-later
// `powner sort`: the kernel's tools/mm/page_owner_sort (Linux 7.3) on a page_owner file, or on
// the text powner prints from a dump, made in the same process. Its options are the tool's own
// (-s is the stack trace here, -n the task name); the dump and the vmlinux are --core and
// --symbols.
#pragma once

#include "powner/engine.h"
#include "powner/host/parsed_command.h"
#include "powner/triage/page_owner_sort.h"

#include <string>
#include <vector>

namespace powner {

struct SortCommand {
  PageOwnerSortOptions options;
  std::string core;    // --core ("": read input)
  std::string vmlinux; // --symbols ("": the kernel's BTF in the dump)
  bool force = false;  // --force: a vmlinux that does not match the dump
  std::string input;   // the page_owner text, without --core
  std::string output;  // "": standard output
};

using ParsedSortCommand = Parsed<SortCommand>;

// args: the arguments after "sort". Throws Error(Usage) with one line ending in
// "(see powner sort --help)". host_dump: the host has a dump open (crash): without --core or
// INPUT the command sorts that dump's text (input and core stay "").
ParsedSortCommand parse_sort_command(const std::vector<std::string>& args, bool host_dump = false);

// The dump's whole page_owner text (every record, no filter): what the tool's input file would
// be. The engine's notes are left for the caller to print.
std::string page_owner_text(Engine& engine, const Progress& progress = {});

// Runs it: the output written whole or not at all. Throws Error.
void run_sort_command(const SortCommand& command);

// Both, with errors as one line on standard error; returns the exit status.
int sort_command(const std::vector<std::string>& args);

} // namespace powner
