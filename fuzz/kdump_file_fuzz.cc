// SPDX-License-Identifier: GPL-2.0-or-later
// Whole-dump reading: a small mutated dump (kdump ELF or kdump-compressed) opened with
// KdumpFile (libkdumpfile underneath), its VMCOREINFO parsed, memory read where VMCOREINFO
// points, and the kallsyms tables decoded from it.
#include "powner/kallsyms.h"
#include "powner/readers/kdump_file.h"
#include "powner/status.h"
#include "powner/types.h"

#include <sys/mman.h>
#include <unistd.h>

namespace {

using namespace powner;

// The input as a file: an in-memory one, reopened through /proc.
class MemFile {
public:
  MemFile(const uint8_t* data, size_t size) : fd_(memfd_create("dump", MFD_CLOEXEC)) {
    if (fd_ < 0) __builtin_trap();
    for (size_t done = 0; done < size;) {
      ssize_t n = write(fd_, data + done, size - done);
      if (n <= 0) __builtin_trap();
      done += static_cast<size_t>(n);
    }
  }
  ~MemFile() { close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
  int fd_;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemFile file(data, size);
  try {
    KdumpFile dump(file.path());
    const VmcoreInfo& info = dump.vmcoreinfo();
    (void)info.osrelease();
    (void)info.build_id();
    (void)info.kaslr_offset();
    unsigned char buf[8192];
    for (const char* sym : {"mem_section", "_stext", "init_uts_ns", "node_data", "vmemmap"}) {
      auto addr = info.symbol(sym);
      if (!addr) continue;
      dump.read(*addr, buf, 8);
      dump.read(*addr & ~uint64_t{4095}, buf, sizeof buf); // across a page boundary
      uint64_t value = 0;
      if (dump.read(*addr, &value, sizeof value)) dump.read(value, buf, 64); // a pointer in it
    }
    NoTypes types;
    KernelSymbols symbols(dump, info, types);
    if (auto stext = info.symbol("_stext")) symbols.format_ps(*stext + 0x10);
  } catch (const Error&) {
    // Not a dump, or one without VMCOREINFO: what damaged files are allowed to be.
  }
  return 0;
}
