// SPDX-License-Identifier: GPL-2.0-or-later
// Where the engine's types come from, for a host that opens the files itself (the CLI, the
// drgn command; drgn's API when drgn has no debug info): a vmlinux's DWARF when one is given and it
// is the dump's kernel, else the kernel's own BTF. Written once, with its messages, for every such
// host.
#pragma once

#include "powner/engine.h"
#include "powner/kallsyms.h"
#include "powner/memory.h"
#include "powner/types.h"
#include "powner/vmcoreinfo.h"

#include <memory>
#include <string>
#include <vector>

namespace powner {

// Why the vmlinux (its build id and release as read from the file; either may be "") is not
// the dump's kernel, or "" when it is: by build id when both have one, else by release. A
// release that cannot be compared either is a warning, added to warnings.
std::string vmlinux_mismatch(const std::string& vmlinux, const std::string& build_id,
                             const std::string& release, const VmcoreInfo& info,
                             std::vector<std::string>& warnings);

class KernelTypes {
public:
  // vmlinux "": none given. live_btf: the running kernel's BTF file, read instead of the dump's
  // .BTF when reading the running kernel ("" otherwise). warnings gets one line for each thing
  // the user should know (a forced vmlinux, a vmlinux whose DWARF could not be used).
  // Throws Error(Mismatch) for a vmlinux of another kernel without force, Error(NoDebugInfo)
  // when neither source gives types.
  KernelTypes(Memory& dump, const VmcoreInfo& info, const std::string& vmlinux, bool force,
              const std::string& live_btf, std::vector<std::string>& warnings);
  // The kernel's own BTF only, for a host whose own types are missing (drgn without debug
  // info). Throws Error(NoDebugInfo) with the BTF reader's reason.
  KernelTypes(Memory& dump, const VmcoreInfo& info, const std::string& live_btf);
  ~KernelTypes();
  KernelTypes(const KernelTypes&) = delete;
  KernelTypes& operator=(const KernelTypes&) = delete;

  Types& types() { return *types_; }

  // The engine on these types. With a forced vmlinux, a model check failing on values read at
  // the wrong places is the types' fault: Error(NoDebugInfo) says so (exit 6, as --force
  // promises), not Corrupt or NoPageOwner.
  std::unique_ptr<Engine> make_engine(Memory& dump, const VmcoreInfo& info);

private:
  void open_btf(Memory& dump, const VmcoreInfo& info, const std::string& live_btf);

  std::string vmlinux_;
  bool forced_ = false;
  NoTypes no_types_;
  std::unique_ptr<KernelSymbols> bootstrap_; // the kallsyms that find the BTF
  std::unique_ptr<Types> types_;
};

} // namespace powner
