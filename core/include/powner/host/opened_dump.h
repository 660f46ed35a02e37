// SPDX-License-Identifier: GPL-2.0-or-later
// A dump opened as every command of the CLI opens it: the file (-c; without one, the running
// kernel through /proc/kcore), its types (a vmlinux's DWARF or the kernel's BTF: KernelTypes)
// and the engine on them, with -j's workers and --exact. Written once, for `powner` and
// `powner top`.
#pragma once

#include "powner/engine.h"
#include "powner/host/dump_command.h"
#include "powner/host/kernel_types.h"
#include "powner/readers/kdump_file.h"

#include <memory>
#include <string>
#include <vector>

namespace powner {

struct OpenedDump {
  std::unique_ptr<KdumpFile> dump;
  std::unique_ptr<KernelTypes> types;
  std::unique_ptr<Engine> engine;
};

// Throws powner::Error as the readers and KernelTypes do; what the user should know, that does
// not stop the command, is added to warnings.
OpenedDump open_dump(const DumpCommand& cmd, std::vector<std::string>& warnings);

} // namespace powner
