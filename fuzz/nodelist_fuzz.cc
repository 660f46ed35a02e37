// SPDX-License-Identifier: GPL-2.0-or-later
// The filter parser: bitmap_parselist() over node lists and page_owner_write()'s commands.
//
// Input: u16 MAX_NUMNODES selector, u64 mask of the nodes with memory, then the text, used both
// as a node list and as a whole filter command.
#include "fuzz_support.h"
#include "powner/filter.h"

#include <cerrno>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace powner;
  fuzz::Input in(data, size);
  const unsigned nbits = in.take<uint16_t>() % 1025; // 0 (no node at all) .. 1024
  const uint64_t memory_mask = in.take<uint64_t>();
  std::string_view text = in.rest();

  std::vector<bool> nodes;
  int err = parse_nodelist(text, nbits, nodes);
  if (err != 0 && err != -EINVAL && err != -ERANGE && err != -EOVERFLOW) __builtin_trap();
  if (nodes.size() != nbits) __builtin_trap();

  std::vector<bool> memory(nbits);
  for (unsigned n = 0; n < nbits; n++)
    memory[n] = memory_mask >> (n % 64) & 1;
  Filter filter;
  Filter before = filter;
  if (auto e = apply_filter_command(filter, text, memory)) {
    if (e->errnum != EINVAL && e->errnum != ERANGE && e->errnum != EOVERFLOW) __builtin_trap();
    if (e->message.empty() || e->message.find('\n') != std::string::npos) __builtin_trap();
    // All or nothing: a rejected command leaves the filter as it was.
    if (filter.mode != before.mode || filter.nid_enabled != before.nid_enabled ||
        filter.nodes != before.nodes)
      __builtin_trap();
  } else if (filter.nid_enabled) {
    // An accepted node list names only nodes with memory, and at least one.
    bool any = false;
    for (unsigned n = 0; n < filter.nodes.size(); n++) {
      if (!filter.nodes[n]) continue;
      if (n >= nbits || !memory[n]) __builtin_trap();
      any = true;
    }
    if (!any) __builtin_trap();
  }
  return 0;
}
