// SPDX-License-Identifier: GPL-2.0-or-later
// The powner command's command line, as the CLI and the drgn command take it: the options
// every host takes (command_options.h), the dump and the vmlinux (-c, -s, or named in crash's
// order), --force, --help and --version. Written once; the hosts only run what it parsed.
#pragma once

#include "powner/host/command_options.h"
#include "powner/host/parsed_command.h"

#include <string>
#include <vector>

namespace powner {

struct DumpCommand : CommandOptions {
  std::string vmcore;  // -c ("": the running kernel, where the host reads one)
  std::string vmlinux; // -s ("": the kernel's BTF)
  bool force = false;  // read a vmlinux that does not match the dump
};

using ParsedCommand = Parsed<DumpCommand>;

// Puts files named without -c and -s where those would have: a vmlinux by its ELF type, the
// dump as the other one. Throws Error(Usage) for two of either.
void place_dump_files(DumpCommand& cmd, const std::vector<std::string>& files);

// args: the arguments after the program's name. program: how the user calls the command
// ("powner", "python3 -m powner.drgn"), for the help and the error lines. live: whether the
// host reads the running kernel without -c. Throws Error(Usage) with one line ending in
// "(see PROGRAM --help)".
ParsedCommand parse_dump_command(const std::vector<std::string>& args, const std::string& program,
                                 bool live);

} // namespace powner
