// SPDX-License-Identifier: GPL-2.0-or-later
// /proc/kcore read directly: its PT_LOAD segments map kernel virtual addresses to file offsets,
// and a read of the file reads the running kernel's memory at that moment. KdumpFile reads a
// live kernel through it rather than through libkdumpfile, whose page cache would keep what a
// page held when first read (a stack saved later into the same depot page would be missed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace powner {

class KcoreSegments {
public:
  // Whether fd is a running kernel's memory: procfs's kcore (not its vmcore, a fixed dump).
  static bool is_live(int fd);
  // The segments of the ELF core at fd; throws powner::Error (NotADump) if its headers are bad.
  KcoreSegments(int fd, const std::string& path);

  // len bytes at addr, read now; false when the segments do not hold them all (kcore gives
  // the vmemmap of System RAM only, for instance).
  bool read(int fd, uint64_t addr, void* out, size_t len) const;

private:
  struct Segment {
    uint64_t vaddr, size, offset;
  };
  std::vector<Segment> segments_; // by vaddr
};

} // namespace powner
