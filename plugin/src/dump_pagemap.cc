#include "dump_pagemap.h"

#include <cstring>
#include <fcntl.h>
#include <libkdumpfile/kdumpfile.h>
#include <unistd.h>

namespace powner {

DumpPageMap::DumpPageMap(const std::string& path) {
  // A file libkdumpfile cannot open is not one drgn reads with it: no map is needed then.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return;
  ctx_ = kdump_new();
  if (!ctx_ || kdump_set_string_attr(ctx_, KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK ||
      kdump_open_fd(ctx_, fd_) != KDUMP_OK)
    return;
  const char* format = nullptr;
  kdump_attr_t map{};
  if (kdump_get_string_attr(ctx_, KDUMP_ATTR_FILE_FORMAT, &format) != KDUMP_OK || !format ||
      std::strcmp(format, "diskdump") != 0 ||
      kdump_get_attr(ctx_, KDUMP_ATTR_FILE_PAGEMAP, &map) != KDUMP_OK || map.type != KDUMP_BITMAP)
    return;
  kdump_num_t shift = 12;
  kdump_get_number_attr(ctx_, KDUMP_ATTR_PAGE_SHIFT, &shift);
  page_shift_ = static_cast<unsigned>(shift);
  if (kdump_get_addrxlat(ctx_, &xlat_ctx_, &xlat_sys_) != KDUMP_OK) {
    xlat_ctx_ = nullptr, xlat_sys_ = nullptr;
    return;
  }
  pagemap_ = map.val.bitmap;
  kdump_bmp_incref(pagemap_);
}

DumpPageMap::~DumpPageMap() {
  if (pagemap_) kdump_bmp_decref(pagemap_);
  if (xlat_ctx_) addrxlat_ctx_decref(xlat_ctx_);
  if (xlat_sys_) addrxlat_sys_decref(xlat_sys_);
  if (ctx_) kdump_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool DumpPageMap::present(uint64_t kvaddr, size_t len) {
  if (!pagemap_ || len == 0) return true;
  uint64_t first = kvaddr >> page_shift_, last = (kvaddr + len - 1) >> page_shift_;
  for (uint64_t page = first; page <= last; page++) {
    if (page == last_page_) continue;
    addrxlat_fulladdr_t fa{page << page_shift_, ADDRXLAT_KVADDR};
    if (addrxlat_fulladdr_conv(&fa, ADDRXLAT_MACHPHYSADDR, xlat_ctx_, xlat_sys_) != ADDRXLAT_OK) {
      addrxlat_ctx_clear_err(xlat_ctx_);
      continue; // unmapped here too: drgn will say so
    }
    kdump_addr_t pfn = fa.addr >> page_shift_, idx = pfn;
    // find_clear returns the first absent frame at or after pfn.
    if (kdump_bmp_find_clear(pagemap_, &idx) == KDUMP_OK && idx == pfn) return false;
    last_page_ = page;
  }
  return true;
}

} // namespace powner
