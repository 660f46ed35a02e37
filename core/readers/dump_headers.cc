// SPDX-License-Identifier: GPL-2.0-or-later
#include "dump_headers.h"

#include "powner/status.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace powner {
namespace {

template <typename T> T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// An ELF file's field widths and byte order (32- or 64-bit, little- or big-endian); the byte
// order alone for other headers.
struct ElfLayout {
  bool elf64, msb;
  uint64_t ehdr_size() const { return elf64 ? 64 : 52; }
  uint64_t phdr_size() const { return elf64 ? 56 : 32; }
  uint64_t shdr_size() const { return elf64 ? 64 : 40; }
  uint64_t bytes(const unsigned char* p, unsigned n) const {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
      v |= uint64_t{p[msb ? n - 1 - i : i]} << (8 * i);
    return v;
  }
  uint64_t half(const unsigned char* p) const { return bytes(p, 2); }
  uint32_t u32(const unsigned char* p) const { return static_cast<uint32_t>(bytes(p, 4)); }
  uint64_t word(const unsigned char* p) const { return bytes(p, elf64 ? 8 : 4); } // Off, Addr
};

bool pread_all(int fd, void* buf, uint64_t len, uint64_t off) {
  return ::pread(fd, buf, len, static_cast<off_t>(off)) == static_cast<ssize_t>(len);
}

constexpr uint64_t kDiskDumpHeader = 464; // struct disk_dump_header (64-bit)
constexpr uint64_t kMaxNotes = 64u << 20; // far above any dump's notes

// libkdumpfile 0.5.1 crashes on a VMCOREINFO line whose key starts with '.' (it makes an
// attribute path of it).
bool vmcoreinfo_ok(std::string_view text) {
  for (size_t at = 0; at < text.size(); at = text.find('\n', at) + 1) {
    if (text[at] == '.') return false;
    if (text.find('\n', at) == std::string_view::npos) break;
  }
  return true;
}

// The VMCOREINFO notes among ELF notes are fine (see above).
bool notes_ok(int fd, uint64_t off, uint64_t size, bool msb = false) {
  std::vector<char> notes(std::min(size, kMaxNotes));
  if (!pread_all(fd, notes.data(), notes.size(), off)) return true; // libkdumpfile's to judge
  for (uint64_t at = 0; at + 12 <= notes.size();) {
    const ElfLayout order{false, msb};
    const auto* raw = reinterpret_cast<const unsigned char*>(notes.data() + at);
    const uint32_t nh[3] = {order.u32(raw), order.u32(raw + 4), order.u32(raw + 8)};
    const uint64_t name = at + 12, desc = name + (uint64_t{nh[0]} + 3) / 4 * 4;
    if (desc > notes.size() || nh[1] > notes.size() - desc) break;
    std::string_view n(notes.data() + name, nh[0]);
    if (n.substr(0, 10) == "VMCOREINFO" && !vmcoreinfo_ok({notes.data() + desc, nh[1]}))
      return false;
    at = desc + (uint64_t{nh[1]} + 3) / 4 * 4;
  }
  return true;
}

} // namespace

bool DumpTruncation::missing(int fd, uint64_t pfn, unsigned page_shift) const {
  const uint64_t start = pfn << page_shift, end = start + (1ULL << page_shift);
  for (const auto& [first, last] : lost)
    if (start < last && end > first) return true;
  if (dumped.empty()) return false;
  const uint64_t word = pfn / 64;
  if (word >= dumped.size() || !(dumped[word] >> (pfn % 64) & 1))
    return false; // not in the file at all: the page map says so already
  uint64_t index = rank[word] + std::popcount(dumped[word] & ((1ULL << (pfn % 64)) - 1));
  unsigned char desc[24]; // struct page_desc { i64 offset; u32 size, flags; u64 page_flags }
  uint64_t at = descoff + 24 * index;
  if (at > file_size || 24 > file_size - at || !pread_all(fd, desc, 24, at)) return true;
  auto offset = load<uint64_t>(desc);
  auto size = load<uint32_t>(desc + 8);
  return offset > file_size || size > file_size - offset;
}

std::unique_ptr<DumpTruncation> check_dump_headers(int fd, const std::string& path) {
  struct stat st {};
  unsigned char hdr[kDiskDumpHeader] = {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  auto cut = std::make_unique<DumpTruncation>();
  const auto size = cut->file_size = static_cast<uint64_t>(st.st_size);
  const uint64_t got = std::min<uint64_t>(size, sizeof hdr);
  if (!pread_all(fd, hdr, got, 0)) return nullptr;
  // libkdumpfile 0.5.1 trusts these headers: it allocates what their sizes say, and crashes in
  // kdump_free() after it rejects one. What it would read must lie in the file.
  auto damaged = [&](const char* what) {
    return Error(Status::NotADump, path + ": not a kernel dump (" + what + ")");
  };
  auto within = [&](uint64_t off, uint64_t len) { return off <= size && len <= size - off; };

  if (got >= 4 && std::memcmp(hdr, "\177ELF", 4) == 0) {
    // Both classes and byte orders: libkdumpfile reads them all, with the same trust.
    const bool elf64 = hdr[4] == 2, msb = hdr[5] == 2;
    if ((hdr[4] != 1 && !elf64) || (hdr[5] != 1 && !msb)) return nullptr; // it refuses those
    const ElfLayout elf{elf64, msb};
    if (got < elf.ehdr_size()) throw damaged("ELF header cut");
    if (const uint64_t type = elf.half(hdr + 16); type != 4) // ET_CORE
      throw Error(Status::NotADump,
                  path + ": an ELF " + (type == 2 || type == 3 ? "executable" : "file") +
                      ", not a kernel dump (a vmlinux goes with -s, the dump with -c)");
    const uint64_t phoff = elf.word(hdr + (elf64 ? 32 : 28));
    const uint64_t shoff = elf.word(hdr + (elf64 ? 40 : 32));
    const unsigned at = elf64 ? 54 : 42; // e_phentsize, e_phnum, e_shentsize, e_shnum
    const uint64_t phentsize = elf.half(hdr + at), shentsize = elf.half(hdr + at + 4);
    uint64_t phnum = elf.half(hdr + at + 2), shnum = elf.half(hdr + at + 6);
    const uint64_t phsize = elf.phdr_size(), shsize = elf.shdr_size();
    // Section headers: libkdumpfile walks them with e_shentsize as the stride (0 crashes it)
    // and reads the string table whole. Section 0 may hold the real counts (PN_XNUM).
    if (shoff != 0 && (shnum == 0 || phnum == 0xffff)) {
      unsigned char s0[64];
      if (shentsize != shsize || !within(shoff, shsize) || !pread_all(fd, s0, shsize, shoff))
        throw damaged("ELF section headers cut or damaged");
      if (shnum == 0) shnum = elf.word(s0 + (elf64 ? 32 : 20));                  // sh_size
      if (shnum > 0 && phnum == 0xffff) phnum = elf.u32(s0 + (elf64 ? 44 : 28)); // sh_info
    }
    if (shnum > 0) {
      if (shentsize != shsize || shnum > size / shsize || !within(shoff, shsize * shnum))
        throw damaged("ELF section headers cut or damaged");
      std::vector<unsigned char> sh(shsize * shnum);
      if (!pread_all(fd, sh.data(), sh.size(), shoff)) return nullptr;
      for (uint64_t i = 0; i < shnum; i++) {
        const unsigned char* p = sh.data() + shsize * i;
        const uint64_t offset = elf.word(p + (elf64 ? 24 : 16)),
                       len = elf.word(p + (elf64 ? 32 : 20));
        if (elf.u32(p + 4) != 8 && !within(offset, len)) // SHT_NOBITS holds nothing
          throw damaged("ELF sections cut or damaged");
      }
    }
    if (phentsize != phsize || phnum > size / phsize || !within(phoff, phsize * phnum))
      throw damaged("ELF program headers cut or damaged");
    std::vector<unsigned char> ph(phsize * phnum);
    if (!pread_all(fd, ph.data(), ph.size(), phoff)) return nullptr;
    for (uint64_t i = 0; i < phnum; i++) {
      const unsigned char* p = ph.data() + phsize * i;
      const auto type = elf.u32(p);
      const uint64_t offset = elf.word(p + (elf64 ? 8 : 4)),
                     paddr = elf.word(p + (elf64 ? 24 : 12)),
                     filesz = elf.word(p + (elf64 ? 32 : 16));
      if (type == 4 && (!within(offset, filesz) || !notes_ok(fd, offset, filesz, msb)))
        throw damaged("ELF notes cut or damaged");
      if (type != 1) continue; // PT_LOAD
      const uint64_t have = offset >= size ? 0 : std::min(filesz, size - offset);
      if (have < filesz) cut->lost.emplace_back(paddr + have, paddr + filesz);
    }
    return cut->lost.empty() ? nullptr : std::move(cut);
  }

  if (got >= 8 && std::memcmp(hdr, "KDUMP   ", 8) == 0) {
    const auto version = load<int32_t>(hdr + 8);
    const auto block = load<int32_t>(hdr + 428), sub_hdr = load<int32_t>(hdr + 432);
    const auto bitmap_blocks = load<uint32_t>(hdr + 436);
    uint64_t max_mapnr = load<uint32_t>(hdr + 440);
    if (got < kDiskDumpHeader || version < 0 || block < 4096 || block > (1 << 18) ||
        !std::has_single_bit(static_cast<uint32_t>(block)) || sub_hdr < 0 ||
        uint64_t{8} * bitmap_blocks * static_cast<uint64_t>(block) < max_mapnr)
      throw damaged("kdump-compressed header cut or damaged");
    // libkdumpfile tries the 32-bit header layout first, little- then big-endian, and takes the
    // first whose block size and bitmap pass its checks: a header that passes as a 32-bit one
    // would be read as one (makedumpfile's own 64-bit headers have no tv_usec, where the 32-bit
    // block size would be). Such a file, damaged or of a 32-bit machine, is not for powner.
    for (bool msb : {false, true}) {
      const ElfLayout order{false, msb};
      const auto block32 = static_cast<int32_t>(order.u32(hdr + 416));
      if (block32 >= 4096 && block32 <= (1 << 18) &&
          uint64_t{8} * order.u32(hdr + 424) * static_cast<uint64_t>(block32) >=
              order.u32(hdr + 428))
        throw damaged("kdump-compressed header of a 32-bit machine, or damaged");
    }
    const auto bs = static_cast<uint64_t>(block);
    bool split = false;
    if (version >= 1) { // struct kdump_sub_header (64-bit), in the next block
      unsigned char sub[104] = {};
      if (!within(bs, sizeof sub) || !pread_all(fd, sub, sizeof sub, bs))
        throw damaged("kdump-compressed sub-header cut");
      const uint64_t info_off = load<uint64_t>(sub + 32), info_size = load<uint64_t>(sub + 40);
      if (version >= 3 && !within(info_off, info_size))
        throw damaged("kdump-compressed VMCOREINFO cut or damaged");
      if (version == 3) {
        std::string text(std::min(info_size, kMaxNotes), '\0');
        if (pread_all(fd, text.data(), text.size(), info_off) && !vmcoreinfo_ok(text))
          throw damaged("kdump-compressed VMCOREINFO damaged");
      }
      const uint64_t notes_off = load<uint64_t>(sub + 48), notes_size = load<uint64_t>(sub + 56);
      if (version >= 4 && (!within(notes_off, notes_size) || !notes_ok(fd, notes_off, notes_size)))
        throw damaged("kdump-compressed notes cut or damaged");
      split = version >= 2 && load<int32_t>(sub + 12) != 0;
      if (version >= 6) max_mapnr = load<uint64_t>(sub + 96);
    }
    // The second bitmap (pages in the file), where libkdumpfile finds it, then the descriptors.
    uint64_t bitmap_off = (1 + static_cast<uint64_t>(sub_hdr)) * bs;
    uint64_t bitmap_size = uint64_t{bitmap_blocks} * bs;
    if (!within(bitmap_off, bitmap_size)) throw damaged("kdump-compressed page bitmap cut");
    if (split) return nullptr; // one file of several: its descriptors cover a pfn range
    cut->descoff = bitmap_off + bitmap_size;
    if (max_mapnr <= bitmap_size * 8 / 2) {
      bitmap_size /= 2;
      bitmap_off += bitmap_size;
    }
    max_mapnr = std::min(max_mapnr, bitmap_size * 8);
    std::vector<uint64_t> bits((max_mapnr + 63) / 64); // no bigger than the file
    if (!pread_all(fd, bits.data(), (max_mapnr + 7) / 8, bitmap_off)) return nullptr;
    if (max_mapnr % 64) bits.back() &= (1ULL << (max_mapnr % 64)) - 1;
    std::vector<uint64_t> rank(bits.size());
    uint64_t count = 0, last = 0;
    for (size_t w = 0; w < bits.size(); w++) {
      rank[w] = count;
      count += std::popcount(bits[w]);
      if (bits[w]) last = w * 64 + 63 - static_cast<uint64_t>(std::countl_zero(bits[w]));
    }
    if (count == 0) return nullptr;
    cut->dumped = std::move(bits);
    cut->rank = std::move(rank);
    // Whole when every descriptor, and the data of the last one, are in the file (makedumpfile
    // writes both in pfn order).
    bool whole = within(cut->descoff, 24 * count) &&
                 !cut->missing(fd, last, static_cast<unsigned>(std::countr_zero(bs)));
    return whole ? nullptr : std::move(cut);
  }
  return nullptr;
}

} // namespace powner
