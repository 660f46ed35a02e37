// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/readers/kcore_segments.h"

#include "powner/status.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <elf.h>
#include <linux/magic.h>
#include <string_view>
#include <sys/vfs.h>
#include <unistd.h>

namespace powner {

bool KcoreSegments::is_live(int fd) {
  struct statfs fs {};
  if (fstatfs(fd, &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) return false;
  // procfs also has /proc/vmcore, a dump that does not change: only kcore is live.
  std::array<char, 64> link{};
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(self.c_str(), link.data(), link.size() - 1);
  std::string_view path(link.data(), n > 0 ? static_cast<size_t>(n) : 0);
  return path.size() >= 6 && path.substr(path.size() - 6) == "/kcore";
}

KcoreSegments::KcoreSegments(int fd, const std::string& path) {
  auto bad = [&](const char* what) { return Error(Status::NotADump, path + ": " + what); };
  Elf64_Ehdr eh{};
  if (::pread(fd, &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
    throw bad("not a 64-bit ELF core");
  // e_phnum is 16 bits: at most 65534 headers of 56 bytes to read.
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum == PN_XNUM)
    throw bad("bad ELF program header table");
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  size_t bytes = ph.size() * sizeof(Elf64_Phdr);
  if (::pread(fd, ph.data(), bytes, static_cast<off_t>(eh.e_phoff)) != static_cast<ssize_t>(bytes))
    throw bad("cannot read the ELF program headers");
  for (const Elf64_Phdr& p : ph)
    if (p.p_type == PT_LOAD && p.p_filesz && p.p_vaddr + p.p_filesz > p.p_vaddr)
      segments_.push_back({p.p_vaddr, p.p_filesz, p.p_offset});
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.vaddr < b.vaddr; });
}

bool KcoreSegments::read(int fd, uint64_t addr, void* out, size_t len) const {
  auto* dst = static_cast<unsigned char*>(out);
  while (len) {
    auto it = std::upper_bound(segments_.begin(), segments_.end(), addr,
                               [](uint64_t a, const Segment& s) { return a < s.vaddr; });
    if (it == segments_.begin()) return false;
    const Segment& seg = *--it;
    uint64_t into = addr - seg.vaddr;
    if (into >= seg.size) return false;
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, seg.size - into));
    ssize_t got = ::pread(fd, dst, n, static_cast<off_t>(seg.offset + into));
    if (got <= 0) return false;
    dst += got, addr += static_cast<uint64_t>(got), len -= static_cast<size_t>(got);
  }
  return true;
}

} // namespace powner
