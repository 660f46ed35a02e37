// SPDX-License-Identifier: GPL-2.0-or-later
// The options every host's powner command takes (the CLI, crash> powner), their checks, and the
// one-line messages for what is wrong with a command line: written once, for all hosts.
#pragma once

#include "powner/filter.h"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace powner {

struct CommandOptions {
  FilterOptions filter;              // -m, -n, --filter
  std::string output;                // -o ("": standard output)
  std::string stacks;                // --stacks VIEW ("": the page_owner file)
  std::optional<uint64_t> threshold; // --threshold, with --stacks only
  unsigned threads = 0;              // -j (0: default_walk_threads())
  bool exact = false;                // --exact: only records the dump holds whole
  bool json = false;                 // --json: the records as JSON Lines (triage/record_json.h)
};

// Adds -m, -n, --filter, -o, --stacks, --threshold, --exact, --json and -j to app, and lets app
// keep unknown arguments for check_command_line() to name.
void add_command_options(CLI::App& app, CommandOptions& options);

// The rules a parser cannot state on its own, after app.parse(): no unknown argument (named in
// the user's order, with the option probably meant), --threshold only with --stacks, and no
// filter or --json with --stacks. Throws Error(Usage) with one line.
void check_command_line(const CLI::App& app, const CommandOptions& options);

// One line for an error of the parser itself: CLI11's words, without its trailing newline.
std::string parse_error_text(const CLI::ParseError& error);

// The option of app nearest to a misspelt one ("--thershold": "--threshold"); "" if none is near.
std::string nearest_option(const CLI::App& app, const std::string& written);

} // namespace powner
