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

// The filter a host's -m MODE, -n NODES and --filter COMMAND options ask for: one write of
// "mode=MODE nid=NODES COMMAND" (empty parts left out). Throws Error(Status::Usage) with one
// line naming the problem and the errno the kernel returns.
Filter filter_from_options(std::string_view mode, std::string_view nodes, std::string_view command,
                           const std::vector<bool>& memory_nodes);

} // namespace powner
