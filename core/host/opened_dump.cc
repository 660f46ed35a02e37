// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/opened_dump.h"

#include "powner/status.h"

#include <fmt/format.h>
#include <unistd.h>

namespace powner {

namespace {

// The running kernel, and its BTF.
constexpr const char* kLiveCore = "/proc/kcore";
constexpr const char* kLiveBtf = "/sys/kernel/btf/vmlinux";

// The dump; without one, the running kernel, and a line that says what was tried.
std::unique_ptr<KdumpFile> open_file(const DumpCommand& cmd) {
  if (!cmd.vmcore.empty()) return std::make_unique<KdumpFile>(cmd.vmcore);
  try {
    return std::make_unique<KdumpFile>(kLiveCore);
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("no dump given, and the running kernel cannot be read "
                                        "({}); -c VMCORE reads a dump",
                                        e.what()));
  }
}

} // namespace

OpenedDump open_dump(const DumpCommand& cmd, const std::function<void(const std::string&)>& warn) {
  OpenedDump opened;
  opened.dump = open_file(cmd);
  KdumpFile& dump = *opened.dump;
  const VmcoreInfo& info = dump.vmcoreinfo();
  const bool live_btf = dump.live() && access(kLiveBtf, R_OK) == 0;
  std::vector<std::string> warnings;
  opened.types = std::make_unique<KernelTypes>(dump, info, cmd.vmlinux, cmd.force,
                                               live_btf ? kLiveBtf : "", warnings);
  for (const std::string& warning : warnings)
    warn(warning);
  opened.engine = opened.types->make_engine(dump, info);
  opened.engine->set_walk_threads(cmd.threads);
  opened.engine->set_exact(cmd.exact);
  return opened;
}

} // namespace powner
