// Which pages a kdump-compressed dump holds. libkdumpfile 0.5.1 (what drgn reads those dumps
// with on Debian 12) can corrupt its decompression state after a read of a page the dump does
// not hold, and later reads of present pages then fail or crash; so the engine must never ask
// drgn for such a page. The file's own page map says, as core/readers/kdump_file.cc checks it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

struct _kdump_ctx;
struct _kdump_bmp;
struct _addrxlat_ctx;
struct _addrxlat_sys;

namespace powner {

class DumpPageMap {
public:
  // Opens path with a libkdumpfile context of its own. Files that are not kdump-compressed,
  // or that libkdumpfile cannot open, have no map.
  explicit DumpPageMap(const std::string& path);
  ~DumpPageMap();
  DumpPageMap(const DumpPageMap&) = delete;
  DumpPageMap& operator=(const DumpPageMap&) = delete;

  // False if the file has a page map (kdump-compressed) that lacks a page of the range. True
  // when it cannot tell: then the reader decides, as for any other dump format.
  bool present(uint64_t kvaddr, size_t len);

  bool has_map() const { return pagemap_ != nullptr; }

private:
  _kdump_ctx* ctx_ = nullptr;
  int fd_ = -1;
  _kdump_bmp* pagemap_ = nullptr;
  _addrxlat_ctx* xlat_ctx_ = nullptr;
  _addrxlat_sys* xlat_sys_ = nullptr;
  unsigned page_shift_ = 12;
  uint64_t last_page_ = ~0ULL; // the last virtual page found present
};

} // namespace powner
