// SPDX-License-Identifier: GPL-2.0-or-later
// The forms of `powner top`'s answer: an aligned table, JSON Lines (docs/json-schema.md) and
// folded stacks for flame graphs.
#pragma once

#include "powner/triage/top_walk.h"

#include <cstddef>
#include <string>

namespace powner {

// At most limit groups (0: all), largest first.
std::string top_table(const TopResult& result, size_t limit);
std::string top_json_lines(const TopResult& result, size_t limit);

// One line per distinct stack (--by stack): its frames' functions root first, ';'-separated,
// a space and its pages; the lines sorted. Every stack: a flame graph wants them all.
std::string top_folded(const TopResult& result);

// The report an HTML page draws (host/html_report.h, schema "powner-report"): a section per
// result (largest groups first, at most limit each; 0: all), labelled as the table labels
// them (a stack by its text), and the folded stacks of the first result that groups by stack.
std::string top_report_json(const std::vector<TopResult>& results, size_t limit);

// MiB held by pages pages of page_size bytes.
double pages_mib(uint64_t pages, uint64_t page_size);

} // namespace powner
