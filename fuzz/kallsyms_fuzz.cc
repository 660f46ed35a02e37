// SPDX-License-Identifier: GPL-2.0-or-later
// The kallsyms decoder: VMCOREINFO text and the tables it points at, both fuzzed, then
// lookups as %pS does them.
//
// Input: u64 missing-page mask, u16-length-prefixed VMCOREINFO text, then the bytes placed at
// kTables (the seeds put kallsyms_num_syms, _names, _markers, _token_table, _token_index and
// _offsets there, and VMCOREINFO points at them). Lookups cover kText onwards.
#include "fuzz_support.h"
#include "powner/kallsyms.h"
#include "powner/memory_reads.h"
#include "powner/types.h"
#include "powner/vmcoreinfo.h"

namespace {

using namespace powner;

constexpr uint64_t kTables = 0xffffffff82000000;
constexpr uint64_t kText = 0xffffffff81000000;
constexpr uint32_t kMaxSyms = 1u << 16; // bigger tables only cost time, not coverage

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  const uint64_t missing = in.take<uint64_t>();
  VmcoreInfo info(in.chunk());
  std::string_view tables = in.rest();
  if (tables.empty()) return 0;
  fuzz::TiledMemory mem;
  // The tables once (not tiled: a table that runs off its end must fail to read).
  mem.add(kTables, tables.size(), tables, missing);
  if (auto n = info.symbol("kallsyms_num_syms"))
    if (read_value<uint32_t>(mem, *n).value_or(0) > kMaxSyms) return -1;

  NoTypes types;
  KernelSymbols symbols(mem, info, types);
  std::string out;
  for (uint64_t off = 0; off < 0x22000; off += off < 0x400 ? 0x10 : 0x400) {
    out.clear();
    symbols.append_ps(out, kText + off);
    if (out.empty()) __builtin_trap();
  }
  for (const char* name : {"_stext", "_etext", "add_port", "init_fn", "mod:sym"}) {
    symbols.address_of(name);
    symbols.addresses_of(name);
  }
  return 0;
}
