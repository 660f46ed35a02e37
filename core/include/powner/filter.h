// SPDX-License-Identifier: GPL-2.0-or-later
// The per-fd page_owner filter of Linux 7.3 (mm/page_owner.c page_owner_write()): "mode=" and
// "nid=" tokens, parsed and validated exactly as the kernel does, all-or-nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace powner {

enum class PrintMode { Stack, Handle, StackHandle };

struct Filter {
  PrintMode mode = PrintMode::Stack;
  bool nid_enabled = false;
  std::vector<bool> nodes; // MAX_NUMNODES bits when nid_enabled
};

struct FilterError {
  int errnum;          // what the kernel's write() returns, negated: EINVAL, ERANGE, EOVERFLOW
  std::string message; // one line naming the problem
};

// bitmap_parselist() over nbits bits (lib/bitmap-str.c): "0,2-3", "0-7:2/4", "N", "all".
// Returns 0 or a negative errno.
int parse_nodelist(std::string_view list, unsigned nbits, std::vector<bool>& out);

// Applies one write of command to filter, as page_owner_write() does. memory_nodes is
// node_states[N_MEMORY] (its size is MAX_NUMNODES). On error the filter is unchanged.
std::optional<FilterError> apply_filter_command(Filter& filter, std::string_view command,
                                                const std::vector<bool>& memory_nodes);

std::string_view print_mode_name(PrintMode mode);
// The mode a "mode=" value names; none for anything else (the kernel's EINVAL).
std::optional<PrintMode> print_mode_from_name(std::string_view name);

// What a host's options ask for: -m MODE, -n NODES and --filter COMMAND. Each is its own
// value (a mode name, a node list), never pasted into a command; absent and empty differ, as
// the kernel rejects "mode=" and "nid=". The command is written after the other two, so what it
// sets wins, as a later write to the same page_owner fd would.
struct FilterOptions {
  std::optional<std::string> mode = {}, nodes = {}, command = {};
};

// The filter those options ask for. Throws Error(Status::Usage) with one line naming the problem
// and the errno the kernel returns for it.
Filter filter_from_options(const FilterOptions& options, const std::vector<bool>& memory_nodes);

} // namespace powner
