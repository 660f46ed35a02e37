// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/crash_clock.h"

#include "powner/memory_reads.h"

#include <algorithm>
#include <vector>

namespace powner {

std::string_view crash_clock_source_name(CrashClock::Source source) {
  return source == CrashClock::Source::RunQueues ? "runqueues.clock" : "newest record";
}

namespace {

// A variable's address: from kallsyms (which knows per-CPU symbols are offsets, not addresses,
// where they are), else from the types.
std::optional<uint64_t> address(Types& types, const KernelSymbols& symbols, std::string_view name) {
  if (auto addr = symbols.address_of(name)) return addr;
  if (auto var = types.variable(name)) return var->address;
  return std::nullopt;
}

} // namespace

std::optional<uint64_t> runqueues_clock(Memory& mem, Types& types, const KernelSymbols& symbols,
                                        std::string& why) {
  auto clock = types.member("struct rq", "clock");
  auto runqueues = address(types, symbols, "runqueues");
  if (!clock || !runqueues) {
    why = "the dump's types or symbols have no runqueues clock";
    return std::nullopt;
  }
  // An SMP kernel adds each CPU's __per_cpu_offset; a UP kernel has one runqueue, where it is.
  std::vector<uint64_t> offsets{0};
  if (auto per_cpu = address(types, symbols, "__per_cpu_offset")) {
    auto ids = address(types, symbols, "nr_cpu_ids");
    auto nr = ids ? read_value<uint32_t>(mem, *ids) : std::nullopt;
    if (!nr || *nr == 0 || *nr > 65536) {
      why = "nr_cpu_ids is not in the dump";
      return std::nullopt;
    }
    // cpu_possible_mask, when it can be read; else every CPU below nr_cpu_ids.
    std::vector<uint64_t> possible((*nr + 63) / 64, ~0ULL);
    if (auto mask = address(types, symbols, "__cpu_possible_mask"))
      if (!mem.read(*mask, possible.data(), possible.size() * 8))
        std::fill(possible.begin(), possible.end(), ~0ULL);
    offsets.clear();
    for (uint32_t cpu = 0; cpu < *nr; cpu++) {
      if (!(possible[cpu / 64] >> (cpu % 64) & 1)) continue;
      if (auto off = read_value<uint64_t>(mem, *per_cpu + uint64_t{cpu} * 8))
        offsets.push_back(*off);
    }
  }
  std::optional<uint64_t> latest;
  for (uint64_t off : offsets)
    if (auto ns = read_value<uint64_t>(mem, *runqueues + off + clock->offset))
      latest = std::max(latest.value_or(0), *ns);
  if (!latest) why = "no CPU's runqueue is in the dump";
  return latest;
}

} // namespace powner
