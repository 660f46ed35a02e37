// SPDX-License-Identifier: GPL-2.0-or-later
// What powner checks in a dump's headers before libkdumpfile opens it. libkdumpfile 0.5.1
// trusts them: it allocates what their sizes say, crashes on some damage, and reads a file cut
// short as if zeros followed its end. These checks refuse what would crash it and note which
// pages a truncated dump lacks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace powner {

// What a file cut short lacks. The file's own headers say which pages lie past its end: for a
// kdump ELF, the PT_LOAD segments; for a kdump-compressed dump, the page descriptors and the
// data they point at.
struct DumpTruncation {
  uint64_t file_size = 0;
  // ELF: physical ranges [first, second) of segments whose bytes lie past the end.
  std::vector<std::pair<uint64_t, uint64_t>> lost;
  // kdump-compressed: the bitmap of dumped pages and the descriptors of their data.
  uint64_t descoff = 0;
  std::vector<uint64_t> dumped; // bit per pfn
  std::vector<uint64_t> rank;   // dumped pages before each word of `dumped`

  // Whether the file (open as fd) lacks physical page pfn, or part of it, because it was cut.
  bool missing(int fd, uint64_t pfn, unsigned page_shift) const;
};

// Checks the headers of the dump open as fd (path names it in errors): throws
// powner::Error(NotADump) for headers cut or damaged, and for an ELF file that is not a core
// file. Returns what the file lacks when it was cut short; null when it is whole, or is not a
// format this knows (libkdumpfile judges those).
std::unique_ptr<DumpTruncation> check_dump_headers(int fd, const std::string& path);

} // namespace powner
