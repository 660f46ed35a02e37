// SPDX-License-Identifier: GPL-2.0-or-later
// Typed, bounded reads through Memory. Every value read from a dump is untrusted.
#pragma once

#include "powner/memory.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

namespace powner {

template <typename T> std::optional<T> read_value(Memory& mem, uint64_t addr) {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  if (!mem.read(addr, &value, sizeof value)) return std::nullopt;
  return value;
}

// Reads an unsigned integer of 1, 2, 4 or 8 bytes (little-endian target).
inline std::optional<uint64_t> read_uint(Memory& mem, uint64_t addr, uint64_t size) {
  uint64_t value = 0;
  if (size == 0 || size > 8 || !mem.read(addr, &value, size)) return std::nullopt;
  return value;
}

// A NUL-terminated string of at most max_len bytes (the kernel's own limit for that field);
// nullopt if unreadable. Reads in small chunks so a short string near unreadable memory works.
inline std::optional<std::string> read_c_string(Memory& mem, uint64_t addr, size_t max_len) {
  std::string out;
  char chunk[64];
  while (out.size() < max_len) {
    size_t want = std::min(sizeof chunk, max_len - out.size());
    // Stay inside one page per read: the next page may be missing from the dump.
    uint64_t to_page_end = 4096 - ((addr + out.size()) & 4095);
    want = std::min<size_t>(want, to_page_end);
    if (!mem.read(addr + out.size(), chunk, want)) return std::nullopt;
    const void* nul = std::memchr(chunk, 0, want);
    if (nul) {
      out.append(chunk, static_cast<const char*>(nul) - chunk);
      return out;
    }
    out.append(chunk, want);
  }
  return out;
}

} // namespace powner
