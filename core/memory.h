// Kernel virtual memory of the target: a dump, /proc/kcore, or a debugger's view of either.
#pragma once

#include <cstddef>
#include <cstdint>

namespace powner {

class Memory {
public:
  virtual ~Memory() = default;

  // Copies len bytes at kernel virtual address addr into out. Returns false, and leaves out
  // unspecified, when any byte is unavailable: filtered out of the dump, past its end,
  // unmapped, or unreadable. Never throws for missing memory: dumps are often incomplete.
  virtual bool read(uint64_t addr, void* out, size_t len) = 0;
};

} // namespace powner
