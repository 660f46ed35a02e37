// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/kernel_types.h"

#include "powner/readers/btf_types.h"
#include "powner/readers/dwarf_types.h"
#include "powner/status.h"

#include <fmt/format.h>

namespace powner {
namespace {

// The build ids match when one is a prefix of the other: VMCOREINFO's BUILD-ID may be cut.
bool same_build(const std::string& a, std::string_view b) {
  return a.rfind(b, 0) == 0 || b.rfind(a, 0) == 0;
}

// Linux commit 905415ff3ffb ("lib/buildid: harden build ID parsing logic", v6.12) made the
// BUILD-ID line of VMCOREINFO garbage; its stable backports did so before their fix. No type or
// symbol tells such a kernel apart, so its releases do (as drgn does): 5.15.168 on, 6.1.113 to
// 6.1.118, 6.6.55 to 6.6.62, 6.10.14 on, 6.11.3 to 6.11.9.
bool build_id_unreliable(std::string_view release) {
  unsigned v[3] = {};
  size_t i = 0;
  for (char c : release) {
    if (c >= '0' && c <= '9') {
      v[i] = v[i] * 10 + static_cast<unsigned>(c - '0');
      if (v[i] > 100000) return false;
    } else if (c == '.' && i < 2) {
      i++;
    } else {
      break;
    }
  }
  if (i < 2) return false;
  auto in = [&](unsigned major, unsigned minor, unsigned from, unsigned to) {
    return v[0] == major && v[1] == minor && v[2] >= from && v[2] <= to;
  };
  constexpr unsigned kOn = ~0u;
  return in(5, 15, 168, kOn) || in(6, 1, 113, 118) || in(6, 6, 55, 62) || in(6, 10, 14, kOn) ||
         in(6, 11, 3, 9);
}

} // namespace

std::string vmlinux_mismatch(const std::string& vmlinux, const std::string& build_id,
                             const std::string& release, const VmcoreInfo& info,
                             std::vector<std::string>& warnings) {
  std::string_view dump_id = info.build_id();
  const bool unreliable = build_id_unreliable(info.osrelease());
  if (unreliable) dump_id = {};
  if (!dump_id.empty() && !build_id.empty()) {
    if (same_build(build_id, dump_id)) return {};
    return fmt::format("{} (build id {}) does not match the dump (Linux {}, build id {})", vmlinux,
                       build_id, info.osrelease(), dump_id);
  }
  if (!release.empty()) {
    if (release == info.osrelease()) return {};
    return fmt::format("{} (Linux {}) does not match the dump (Linux {})", vmlinux, release,
                       info.osrelease());
  }
  if (unreliable)
    warnings.push_back(fmt::format("cannot check that {} belongs to the dump (Linux {} writes a "
                                   "wrong BUILD-ID into VMCOREINFO, and the vmlinux names no "
                                   "release)",
                                   vmlinux, info.osrelease()));
  else if (!info.osrelease().empty()) // (a dump without one is not read at all)
    warnings.push_back(fmt::format("cannot check that {} belongs to the dump (no build ids, and "
                                   "no release in the vmlinux)",
                                   vmlinux));
  return {};
}

namespace {

// The vmlinux's DWARF, checked against the dump; null when the file has none (why_not says).
std::unique_ptr<DwarfTypes> open_dwarf(const std::string& vmlinux, const VmcoreInfo& info,
                                       bool force, std::vector<std::string>& warnings,
                                       std::string& why_not, bool& forced) {
  std::unique_ptr<DwarfTypes> types;
  try {
    types = std::make_unique<DwarfTypes>(vmlinux, info.kaslr_offset().value_or(0));
  } catch (const Error& e) {
    if (e.status() != Status::NoDebugInfo) throw;
    why_not = e.what();
    return nullptr;
  }
  std::string why = vmlinux_mismatch(vmlinux, types->build_id(), types->release(), info, warnings);
  if (!why.empty()) {
    if (!force) throw Error(Status::Mismatch, why + "; --force reads it anyway");
    forced = true;
    warnings.push_back(why);
  }
  return types;
}

} // namespace

KernelTypes::KernelTypes(Memory& dump, const VmcoreInfo& info, const std::string& vmlinux,
                         bool force, const std::string& live_btf,
                         std::vector<std::string>& warnings)
    : vmlinux_(vmlinux) {
  std::string no_dwarf = "no vmlinux given (-s)";
  if (!vmlinux.empty()) types_ = open_dwarf(vmlinux, info, force, warnings, no_dwarf, forced_);
  if (types_) return;
  try {
    open_btf(dump, info, live_btf);
  } catch (const Error& e) {
    throw Error(Status::NoDebugInfo, fmt::format("{}, and {}", no_dwarf, e.what()));
  }
  if (!vmlinux.empty())
    warnings.push_back(fmt::format("{}; types from the kernel's BTF {}", no_dwarf,
                                   live_btf.empty() ? "in the dump" : "(" + live_btf + ")"));
}

KernelTypes::KernelTypes(Memory& dump, const VmcoreInfo& info, const std::string& live_btf) {
  open_btf(dump, info, live_btf);
}

void KernelTypes::open_btf(Memory& dump, const VmcoreInfo& info, const std::string& live_btf) {
  // The running kernel's file, else the .BTF found through the dump's kallsyms (read without
  // types first: the vmlinux table needs none).
  bootstrap_ = std::make_unique<KernelSymbols>(dump, info, no_types_);
  types_ = live_btf.empty() ? BtfTypes::from_dump(dump, *bootstrap_)
                            : BtfTypes::from_file(live_btf, bootstrap_.get());
}

KernelTypes::~KernelTypes() = default;

std::unique_ptr<Engine> KernelTypes::make_engine(Memory& dump, const VmcoreInfo& info) {
  try {
    return std::make_unique<Engine>(dump, *types_, info);
  } catch (const Error& e) {
    if (!forced_ || (e.status() != Status::NoPageOwner && e.status() != Status::Corrupt)) throw;
    throw Error(
        Status::NoDebugInfo,
        fmt::format("{}: the types of {} (forced) do not fit this dump", e.what(), vmlinux_));
  }
}

} // namespace powner
