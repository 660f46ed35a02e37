// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/readers/kdump_file.h"

#include "dump_headers.h"
#include "powner/readers/kcore_segments.h"
#include "powner/status.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <libkdumpfile/kdumpfile.h>
#include <unistd.h>

namespace powner {

constexpr int kPageCacheSize = 32; // pages of libkdumpfile's cache, per context

void KdumpFile::check_headers(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Status::Unreadable, path + ": " + std::strerror(errno));
  try {
    check_dump_headers(fd, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

KdumpFile::KdumpFile(const std::string& path) {
  try {
    open(path);
  } catch (...) { // no destructor runs for a constructor that throws
    release();
    throw;
  }
}

void KdumpFile::open(const std::string& path, const KdumpFile* same) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(Status::Unreadable, path + ": " + std::strerror(errno));
  cut_ = same ? same->cut_ : check_dump_headers(fd_, path);
  ctx_ = kdump_new();
  if (!ctx_) throw Error(Status::Internal, "out of memory");
  // Reads, never a mapping: wherever a damaged header points past the end of the file, a
  // mapping would fault (SIGBUS) where a read only comes back short. No slower for powner.
  kdump_attr_t never{};
  never.type = KDUMP_NUMBER;
  never.val.number = KDUMP_MMAP_NEVER;
  kdump_set_attr(ctx_, "file.mmap_policy", &never);
  if (kdump_set_string_attr(ctx_, KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK ||
      kdump_open_fd(ctx_, fd_) != KDUMP_OK) {
    const char* why = kdump_get_err(ctx_);
    const std::string reason = why ? why : "unknown format";
    // libkdumpfile 0.5.1's kdump_free() can crash on a context whose open failed (the format's
    // clean-up runs twice): such a context is left unfreed, a small leak on a failure path.
    ctx_ = nullptr;
    throw Error(Status::NotADump, path + ": not a kernel dump (" + reason + ")");
  }
  // A running kernel's memory changes under us: read() takes it straight from the file, never
  // from libkdumpfile's page cache, which cannot be emptied (a stack saved after its pool page
  // was cached would read as that page's old bytes).
  if (KcoreSegments::is_live(fd_))
    live_ = same ? same->live_ : std::make_shared<const KcoreSegments>(fd_, path);
  // Memory that the dump does not hold is an error, never silent zeros.
  kdump_attr_t off{};
  off.type = KDUMP_NUMBER;
  off.val.number = 0;
  kdump_set_attr(ctx_, KDUMP_ATTR_ZERO_EXCLUDED, &off);
  // A small page cache: libkdumpfile finds a page by walking its cache entries in order
  // (cache.c), so with the default 1024 every miss, which is every page of a walk in pfn order,
  // walks them all (a quarter of the 8 GiB bench dump's walk). What is read again is a few
  // page-table pages and a memcg's or a stack's pointer chain; the engine keeps the rest.
  kdump_set_number_attr(ctx_, "cache.size", kPageCacheSize);

  const char* fmt = nullptr;
  if (kdump_get_string_attr(ctx_, KDUMP_ATTR_FILE_FORMAT, &fmt) == KDUMP_OK && fmt) format_ = fmt;
  // The engine's layouts (page tables through libkdumpfile, but also the kernel's own symbols
  // and structures) are known for these architectures only: any other is refused, not guessed.
  const char* arch = nullptr;
  if (kdump_get_string_attr(ctx_, KDUMP_ATTR_ARCH_NAME, &arch) == KDUMP_OK && arch &&
      std::string_view(arch) != "x86_64" && std::string_view(arch) != "aarch64")
    throw Error(Status::NotADump, path + ": a dump of an " + arch +
                                      " machine: powner reads x86_64 and aarch64 dumps only");
  char* raw = nullptr;
  if (kdump_vmcoreinfo_raw(ctx_, &raw) == KDUMP_OK && raw) {
    vmcoreinfo_ = VmcoreInfo(raw);
    std::free(raw);
  }
  if (vmcoreinfo_.empty())
    throw Error(Status::NotADump, path + ": the dump has no VMCOREINFO: not a Linux kernel dump");

  // libkdumpfile 0.5.1 can corrupt its decompression state after a read of a page a
  // compressed dump does not hold (later reads of present pages then fail or crash), so
  // never ask it for one: check the file's page map first.
  kdump_attr_t map{};
  if (format_ == "diskdump" && kdump_get_attr(ctx_, KDUMP_ATTR_FILE_PAGEMAP, &map) == KDUMP_OK &&
      map.type == KDUMP_BITMAP) {
    pagemap_ = map.val.bitmap;
    kdump_bmp_incref(pagemap_);
  }
  kdump_num_t shift = 12;
  kdump_get_number_attr(ctx_, KDUMP_ATTR_PAGE_SHIFT, &shift);
  page_shift_ = static_cast<unsigned>(shift);
  if (shift < 12 || shift > 16) { // a damaged header: leave the page checks to kdump_read()
    page_shift_ = 12;
    if (pagemap_) kdump_bmp_decref(pagemap_);
    pagemap_ = nullptr;
  }
  if (kdump_get_addrxlat(ctx_, &xlat_ctx_, &xlat_sys_) != KDUMP_OK)
    xlat_ctx_ = nullptr, xlat_sys_ = nullptr;
}

// The file opened again, rather than kdump_clone(): clones share one cache, whose lock the
// threads then fight over for every page (2 threads ran slower than 1).
std::unique_ptr<Memory> KdumpFile::clone() {
  std::unique_ptr<KdumpFile> c(new KdumpFile);
  try {
    c->open(path_, this);
  } catch (const Error&) {
    return nullptr;
  }
  return c;
}

namespace {

// libkdumpfile up to 0.5.1 frees a kdump-compressed file's attributes before its diskdump
// cleanup reads one of them (attr_remove_override() on arch.page_size; drgn issue #280):
// kdump_free() then walks freed memory and crashes whenever that memory was used again (seen
// under load, in the drgn and crash hosts). Such a context is emptied of its page cache and
// left allocated (a few KB); every other one is freed.
void free_context(kdump_ctx_t* ctx, const std::string& format) {
#if KDUMPFILE_VERSION <= KDUMPFILE_MKVER(0, 5, 1)
  if (format == "diskdump") {
    kdump_set_number_attr(ctx, "cache.size", 0);
    return;
  }
#endif
  kdump_free(ctx);
}

} // namespace

KdumpFile::~KdumpFile() {
  release();
}

void KdumpFile::release() {
  if (pagemap_) kdump_bmp_decref(pagemap_);
  if (xlat_ctx_) addrxlat_ctx_decref(xlat_ctx_);
  if (xlat_sys_) addrxlat_sys_decref(xlat_sys_);
  if (ctx_) free_context(ctx_, format_);
  if (fd_ >= 0) ::close(fd_);
  pagemap_ = nullptr, xlat_ctx_ = nullptr, xlat_sys_ = nullptr, ctx_ = nullptr, fd_ = -1;
}

bool KdumpFile::holds(uint64_t addr, size_t len) {
  if ((!pagemap_ && !cut_) || !xlat_ctx_ || !xlat_sys_ || len == 0) return true;
  uint64_t first = addr >> page_shift_, last = (addr + len - 1) >> page_shift_;
  for (uint64_t page = first; page <= last; page++) {
    if (page == last_page_) continue;
    addrxlat_fulladdr_t fa{page << page_shift_, ADDRXLAT_KVADDR};
    if (addrxlat_fulladdr_conv(&fa, ADDRXLAT_MACHPHYSADDR, xlat_ctx_, xlat_sys_) != ADDRXLAT_OK) {
      addrxlat_ctx_clear_err(xlat_ctx_);
      continue; // no answer here: let kdump_read() decide
    }
    kdump_addr_t pfn = fa.addr >> page_shift_, idx = pfn;
    // find_clear returns the first absent frame at or after pfn.
    if (pagemap_ && kdump_bmp_find_clear(pagemap_, &idx) == KDUMP_OK && idx == pfn) return false;
    if (cut_ && cut_->missing(fd_, pfn, page_shift_)) return false;
    last_page_ = page;
  }
  return true;
}

bool KdumpFile::read(uint64_t addr, void* out, size_t len) {
  // Not every mapped address has a segment of its own (kcore gives the vmemmap of System RAM
  // only): what the segments lack, libkdumpfile finds through the page tables.
  if (live_ && live_->read(fd_, addr, out, len)) return true;
  if (!holds(addr, len)) return false;
  size_t got = len;
  if (kdump_read(ctx_, KDUMP_KVADDR, addr, out, &got) != KDUMP_OK) {
    kdump_clear_err(ctx_);
    return false;
  }
  return got == len;
}

} // namespace powner
