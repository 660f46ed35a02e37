// SPDX-License-Identifier: GPL-2.0-or-later
// A saved `powner top --json` (docs/json-schema.md, "powner-top" version 1) read back as one
// side of `powner diff`, so that a dump can be compared with an earlier one that is no longer
// at hand.
#pragma once

#include "powner/triage/top_diff.h"

#include <string>
#include <string_view>

namespace powner {

// Whether text starts as JSON does ('{' after blanks): no dump format does.
bool looks_like_json(std::string_view text);

// text: the file's content; source: its name, for the errors. Throws Error(NotADump) with one
// line for what is not a whole powner-top version 1 output (another schema or version, a line
// cut short, a group without its fields), Error(Usage) when it was saved with another --by
// than by.
DiffSide read_saved_top(std::string_view text, const std::string& source, TopKey by);

} // namespace powner
