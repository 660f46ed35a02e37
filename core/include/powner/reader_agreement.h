// SPDX-License-Identifier: GPL-2.0-or-later
// Whether two readers of one kernel's memory see the same thing: a host's own reader (crash's,
// drgn's) and the dump file opened with powner's, which is faster and can be copied for worker
// threads. A host may have been told a different phys_base or KASLR offset than the file says.
#pragma once

#include "powner/memory.h"
#include "powner/vmcoreinfo.h"

namespace powner {

// The same bytes, or both unreadable, where the engine starts reading (the memory section roots,
// the kallsyms names: VMCOREINFO's SYMBOL entries); false if neither place could be compared.
bool readers_agree(Memory& a, Memory& b, const VmcoreInfo& info);

} // namespace powner
