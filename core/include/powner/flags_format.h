// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's printf extensions for flags: %pGg (gfp masks) and %pGp (page->flags),
// lib/vsprintf.c format_flags() and format_page_flags(), with the name tables read from
// the dump, and the kernel's number() rules (%#x of 0 is "0x0").
#pragma once

#include "powner/kernel_model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace powner {

// "0x" + lowercase hex, also for zero (kernel number() with SPECIAL|SMALL, base 16).
void append_hex(std::string& out, uint64_t value);

// format_flags(): table order, first match wins, residue as 0x...; nothing for 0.
void append_flag_names(std::string& out, uint64_t flags, const std::vector<FlagName>& names);

// %pGp: 0x<flags>(<names>|node=N|zone=Z|lastcpupid=0x..)
void append_page_flags(std::string& out, uint64_t flags, const KernelModel& model);

} // namespace powner
