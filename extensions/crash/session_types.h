// SPDX-License-Identifier: GPL-2.0-or-later
// The types a crash session's commands use. crash's gdb answers every question, but slowly the
// first time (each struct named in a gdb command costs milliseconds, the debug info of every CU
// it touches is read): about half a second of a first powner command. The debug file crash read
// is also one powner's own DWARF reader reads, as the CLI's -s does, in a tenth of that; it is
// used when it is the dump's kernel and puts page_owner_ops where crash's symbol table does (so
// KASLR is applied alike), crash's gdb otherwise (debug info only gdb finds, through a
// debuglink, or in a form the reader does not take). POWNER_CRASH_TYPES=gdb asks for gdb always.
#pragma once

#include "powner/types.h"
#include "powner/vmcoreinfo.h"

#include <memory>
#include <string>

namespace powner::crash {

struct SessionTypes {
  std::unique_ptr<Types> types;
  std::string source; // "powner's DWARF reader (PATH)" or "crash's gdb (why)", for set debug 1
};

SessionTypes session_types(const VmcoreInfo& info);

} // namespace powner::crash
