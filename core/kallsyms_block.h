// SPDX-License-Identifier: GPL-2.0-or-later
// What the kallsyms readers (kallsyms.cc, module_symbols.cc) share: bytes read from the dump
// with a note of the pages it lacks, and the bounds on what they read.
#pragma once

#include "powner/memory.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace powner::kallsyms_detail {

constexpr size_t kNameMax = 511;               // KSYM_NAME_LEN - 1
constexpr uint64_t kMaxNamesBytes = 64u << 20; // kallsyms_names, module string tables
constexpr uint64_t kPage = 4096;               // granularity of the fallback reads

inline uint64_t load_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;)
    v = (v << 8) | p[i];
  return v;
}

// Bytes read from the dump, with a note of which pages were unavailable: a damaged dump loses
// pages, not whole tables.
class Block {
public:
  explicit Block(uint64_t addr = 0) : addr_(addr) {}

  // Reads the next len bytes.
  void append(Memory& memory, size_t len) {
    uint64_t start = addr_ + bytes_.size();
    if (len == 0) return;
    size_t old = bytes_.size();
    bytes_.resize(old + len);
    if (start + len < start) return; // wraps: nothing there, and ok() says so
    page_ok_.resize(page(start + len - 1) + 1, 1);
    if (memory.read(start, bytes_.data() + old, len)) return;
    // Retry page by page so that one missing page costs only itself.
    for (uint64_t a = start; a < start + len;) {
      uint64_t next = std::min<uint64_t>((a & ~(kPage - 1)) + kPage, start + len);
      if (!memory.read(a, bytes_.data() + old + (a - start), next - a)) page_ok_[page(a)] = 0;
      a = next;
    }
  }

  // [off, off + len) was read and is available.
  bool ok(uint64_t off, uint64_t len) const {
    if (off > bytes_.size() || len > bytes_.size() - off) return false;
    if (len == 0) return true;
    uint64_t first = page(addr_ + off), last = page(addr_ + off + len - 1);
    if (last < first) return false;
    for (uint64_t p = first; p <= last; p++)
      if (p >= page_ok_.size() || !page_ok_[p]) return false;
    return true;
  }

  size_t size() const { return bytes_.size(); }
  const uint8_t* data() const { return bytes_.data(); }
  uint64_t u(uint64_t off, size_t n) const { return load_le(bytes_.data() + off, n); }

private:
  uint64_t page(uint64_t a) const { return (a / kPage) - (addr_ / kPage); }

  uint64_t addr_;
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> page_ok_;
};

inline Block read_block(Memory& memory, uint64_t addr, size_t len) {
  Block b(addr);
  b.append(memory, len);
  return b;
}

} // namespace powner::kallsyms_detail
