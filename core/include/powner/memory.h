// SPDX-License-Identifier: GPL-2.0-or-later
// Kernel virtual memory of the target: a dump, /proc/kcore, or a debugger's view of either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace powner {

class Memory {
public:
  virtual ~Memory() = default;

  // Copies len bytes at kernel virtual address addr into out. Returns false, and leaves out
  // unspecified, when any byte is unavailable: filtered out of the dump, past its end,
  // unmapped, or unreadable. Never throws for missing memory: dumps are often incomplete.
  virtual bool read(uint64_t addr, void* out, size_t len) = 0;

  // Another reader of the same memory, for use on another thread while this one is used on
  // its own (sharing caches where it can); it must not outlive this one. Null when the reader
  // cannot be used from several threads (a debugger's, for instance).
  virtual std::unique_ptr<Memory> clone() { return nullptr; }
};

} // namespace powner
