// SPDX-License-Identifier: GPL-2.0-or-later
// A kernel dump opened with libkdumpfile: kdump-compressed (makedumpfile, filtered or not),
// kdump ELF, QEMU's ELF, or /proc/kcore. Provides memory and VMCOREINFO.
#pragma once

#include "powner/memory.h"
#include "powner/vmcoreinfo.h"

#include <cstdint>
#include <memory>
#include <string>

// libkdumpfile's own names for its opaque types, declared here so that its headers stay private.
struct _kdump_ctx;    // NOLINT(bugprone-reserved-identifier)
struct _kdump_bmp;    // NOLINT(bugprone-reserved-identifier)
struct _addrxlat_ctx; // NOLINT(bugprone-reserved-identifier)
struct _addrxlat_sys; // NOLINT(bugprone-reserved-identifier)

namespace powner {

class KcoreSegments;
struct DumpTruncation;

class KdumpFile final : public Memory {
public:
  // Opens path; throws powner::Error with a one-line reason on failure.
  explicit KdumpFile(const std::string& path);
  ~KdumpFile() override;
  KdumpFile(const KdumpFile&) = delete;
  KdumpFile& operator=(const KdumpFile&) = delete;

  bool read(uint64_t addr, void* out, size_t len) override;
  // The same file opened again, for another thread.
  std::unique_ptr<Memory> clone() override;

  // Whether the file holds every page of [addr, addr + len): false when its page map says it
  // left one out or it was cut short before it; true when it cannot tell. For hosts that read
  // the file through another reader that must not be asked for absent pages (drgn reads
  // kdump-compressed files with libkdumpfile 0.5.1, see read()).
  bool holds(uint64_t addr, size_t len);

  // What the constructor checks before libkdumpfile sees the file: that path can be read and
  // its headers are neither cut nor damaged; throws powner::Error (Unreadable, NotADump) if
  // not. For hosts that read the dump with a reader of their own.
  static void check_headers(const std::string& path);

  const VmcoreInfo& vmcoreinfo() const { return vmcoreinfo_; }
  const std::string& path() const { return path_; }
  const std::string& format() const { return format_; } // "diskdump", "elf", ...
  bool live() const { return live_ != nullptr; }        // a running kernel (/proc/kcore)

private:
  KdumpFile() = default;
  // same: a KdumpFile of the same file, whose checks need not be made again.
  void open(const std::string& path, const KdumpFile* same = nullptr);
  void release();

  _kdump_ctx* ctx_ = nullptr;
  std::string path_;
  int fd_ = -1;
  VmcoreInfo vmcoreinfo_;
  std::string format_;
  std::shared_ptr<const KcoreSegments> live_; // a running kernel's: read() reads it now
  // Which pages the file holds, by machine physical frame, and the translation to get there.
  _kdump_bmp* pagemap_ = nullptr;
  _addrxlat_ctx* xlat_ctx_ = nullptr;
  _addrxlat_sys* xlat_sys_ = nullptr;
  unsigned page_shift_ = 12;
  uint64_t last_page_ = ~0ULL; // the last virtual page found present
  // What a file cut short lacks (libkdumpfile reads zeros past its end); null if it is whole.
  std::shared_ptr<const DumpTruncation> cut_;
};

} // namespace powner
