// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/reader_agreement.h"

#include <array>

namespace powner {

bool readers_agree(Memory& a, Memory& b, const VmcoreInfo& info) {
  int compared = 0;
  for (const char* name : {"mem_section", "kallsyms_names"}) {
    auto addr = info.symbol(name);
    if (!addr) continue;
    std::array<unsigned char, 64> from_a{}, from_b{};
    bool read_a = a.read(*addr, from_a.data(), from_a.size());
    bool read_b = b.read(*addr, from_b.data(), from_b.size());
    if (read_a != read_b || from_a != from_b) return false;
    compared += read_a;
  }
  return compared > 0;
}

} // namespace powner
