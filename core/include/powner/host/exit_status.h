// SPDX-License-Identifier: GPL-2.0-or-later
// How a command line tool ends: an Error is one line on standard error ("PREFIX: what") and its
// status is the exit status (docs/powner.1); anything else is an internal error (70). Written
// once for the powner command and its triage commands.
#pragma once

#include <functional>
#include <string_view>

namespace powner {

int exit_status_of(const std::function<int()>& body, std::string_view prefix = "powner");

} // namespace powner
