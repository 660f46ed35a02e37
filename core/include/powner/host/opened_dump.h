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

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace powner {

struct OpenedDump {
  std::unique_ptr<KdumpFile> dump;
  std::unique_ptr<KernelTypes> types;
  std::unique_ptr<Engine> engine;
};

// Throws powner::Error as the readers and KernelTypes do. What the user should know, that does
// not stop the command (a forced vmlinux, say), goes to warn as soon as it is known: before the
// engine is made, whose failure it may explain.
OpenedDump open_dump(const DumpCommand& cmd, const std::function<void(const std::string&)>& warn);

} // namespace powner
