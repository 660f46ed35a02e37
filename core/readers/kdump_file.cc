#include "kdump_file.h"

#include "error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <libkdumpfile/kdumpfile.h>
#include <unistd.h>

namespace powner {

KdumpFile::KdumpFile(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(Status::Unreadable, path + ": " + std::strerror(errno));
  ctx_ = kdump_new();
  if (!ctx_) throw Error(Status::Internal, "out of memory");
  if (kdump_set_string_attr(ctx_, KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK ||
      kdump_open_fd(ctx_, fd_) != KDUMP_OK) {
    std::string why = kdump_get_err(ctx_);
    kdump_free(ctx_);
    ctx_ = nullptr;
    ::close(fd_);
    throw Error(Status::NotADump, path + ": not a kernel dump (" + why + ")");
  }
  // Memory that the dump does not hold is an error, never silent zeros.
  kdump_attr_t off{};
  off.type = KDUMP_NUMBER;
  off.val.number = 0;
  kdump_set_attr(ctx_, KDUMP_ATTR_ZERO_EXCLUDED, &off);

  const char* fmt = nullptr;
  if (kdump_get_string_attr(ctx_, KDUMP_ATTR_FILE_FORMAT, &fmt) == KDUMP_OK && fmt) format_ = fmt;
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
  if (kdump_get_addrxlat(ctx_, &xlat_ctx_, &xlat_sys_) != KDUMP_OK)
    xlat_ctx_ = nullptr, xlat_sys_ = nullptr;
}

KdumpFile::~KdumpFile() {
  if (pagemap_) kdump_bmp_decref(pagemap_);
  if (xlat_ctx_) addrxlat_ctx_decref(xlat_ctx_);
  if (xlat_sys_) addrxlat_sys_decref(xlat_sys_);
  if (ctx_) kdump_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool KdumpFile::present(uint64_t addr, size_t len) {
  if (!pagemap_ || !xlat_ctx_ || !xlat_sys_ || len == 0) return true;
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
    if (kdump_bmp_find_clear(pagemap_, &idx) == KDUMP_OK && idx == pfn) return false;
    last_page_ = page;
  }
  return true;
}

bool KdumpFile::read(uint64_t addr, void* out, size_t len) {
  if (!present(addr, len)) return false;
  size_t got = len;
  if (kdump_read(ctx_, KDUMP_KVADDR, addr, out, &got) != KDUMP_OK) {
    kdump_clear_err(ctx_);
    return false;
  }
  return got == len;
}

} // namespace powner
