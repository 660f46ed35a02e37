// SPDX-License-Identifier: GPL-2.0-or-later
#include "session_types.h"

#include "crash_host.h"
#include "crash_types.h"
#include "powner/host/kernel_types.h"
#include "powner/readers/dwarf_types.h"
#include "powner/status.h"

#include <cstdlib>
#include <fmt/format.h>
#include <string_view>
#include <vector>

namespace powner::crash {
namespace {

// The one global crash's symbol table and the DWARF reader must place alike: the engine reads it
// on every kernel with page_owner, and it is defined in mm/page_owner.c, the CU the reader
// indexes first (asking costs no search of other CUs).
constexpr const char* kProbe = "page_owner_ops";

// The reader on crash's debug file; null, with the reason in why, when it does not fit.
std::unique_ptr<DwarfTypes> dwarf_types(const VmcoreInfo& info, std::string& why) {
  const char* path = powner_crash_namelist();
  if (!path) {
    why = "crash has no vmlinux";
    return nullptr;
  }
  std::unique_ptr<DwarfTypes> types;
  try {
    types = std::make_unique<DwarfTypes>(path, info.kaslr_offset().value_or(0));
    std::vector<std::string> warnings;
    why = vmlinux_mismatch(path, types->build_id(), types->release(), info, warnings);
    if (!why.empty()) return nullptr;
    uint64_t crash_address = 0;
    auto variable = types->variable(kProbe);
    if (powner_crash_symbols(kProbe, /*global_only=*/1, &crash_address, 1) != 1 || !variable ||
        variable->address != crash_address) {
      why = fmt::format("{} is not where crash's symbol table has it", kProbe);
      return nullptr;
    }
  } catch (const Error& e) {
    why = e.what();
    return nullptr;
  }
  return types;
}

} // namespace

SessionTypes session_types(const VmcoreInfo& info) {
  std::string why = "POWNER_CRASH_TYPES=gdb";
  const char* choice = std::getenv("POWNER_CRASH_TYPES");
  if (!choice || std::string_view(choice) != "gdb") {
    if (auto types = dwarf_types(info, why))
      return {std::move(types), fmt::format("powner's DWARF reader ({})", powner_crash_namelist())};
  }
  return {std::make_unique<CrashTypes>(), fmt::format("crash's gdb ({})", why)};
}

} // namespace powner::crash
