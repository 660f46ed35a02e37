// SPDX-License-Identifier: GPL-2.0-or-later
// `--html FILE`: one self-contained page (no network, no external file) that shows a triage
// report: the top groups of each grouping, per-node and per-memcg bars, and a flame graph of
// the stacks weighted by pages. The page draws itself from the report's JSON, embedded in it.
#pragma once

#include <string>
#include <string_view>

namespace powner {

// report_json: one JSON object (docs/json-schema.md, "powner-report"):
//   {"schema": "powner-report", "version": 1, "title": ..., "total_pages": N, "page_size": N,
//    "sections": [{"by": KEY, "groups": [{"label": ..., "pages": N, "records": N,
//                                         "share": F, "exited": B?}, ...]}, ...],
//    "folded": [{"frames": [root, ..., leaf], "pages": N}, ...]}
// title: the page's <title>, escaped here.
std::string html_report(std::string_view title, std::string_view report_json);

} // namespace powner
