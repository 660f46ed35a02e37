// SPDX-License-Identifier: GPL-2.0-or-later
// `powner --json`: the page_owner file's records as JSON Lines, one object per record, with the
// fields the record's text is made of (docs/json-schema.md, "powner-records"), for scripts that
// would otherwise parse the text. Fields this kernel's records lack (5.10's pid, say) are left
// out; what the dump lacks is null.
#pragma once

#include "powner/engine.h"
#include "powner/filter.h"

namespace powner {

// A first line {"schema": "powner-records", "version": 1, ...}, then the records the page_owner
// file holds under filter (its node list; the print mode does not matter), in pfn order.
void page_owner_json(Engine& engine, const Filter& filter, const Sink& sink,
                     const Progress& progress = {});

} // namespace powner
