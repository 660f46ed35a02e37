// SPDX-License-Identifier: GPL-2.0-or-later
// The forms of `powner diff`'s answer: an aligned table, and JSON Lines (docs/json-schema.md,
// "powner-diff").
#pragma once

#include "powner/triage/top_diff.h"

#include <cstddef>
#include <string>

namespace powner {

// At most limit rows (0: all), in the diff's order.
std::string diff_table(const TopDiff& diff, const DiffSide& a, const DiffSide& b, size_t limit);
std::string diff_json_lines(const TopDiff& diff, const DiffSide& a, const DiffSide& b,
                            size_t limit);

} // namespace powner
