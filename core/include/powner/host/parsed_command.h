// SPDX-License-Identifier: GPL-2.0-or-later
// What a command line asks for once parsed, for every command (powner, top, sort, diff): the
// command to run, or a text (its --help, the version) for standard output instead.
#pragma once

#include <string>

namespace powner {

template <class Command> struct Parsed {
  enum class Action { Run, Print };
  Action action = Action::Run;
  std::string text; // with Print
  Command command;
};

} // namespace powner
