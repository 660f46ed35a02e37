// SPDX-License-Identifier: GPL-2.0-or-later
// The floor for powner's speed: read, and so decompress, everything the page_owner walk must
// read from a dump, and nothing more: every present section's struct pages and page_ext array,
// through libkdumpfile, on as many threads as the walk compared with (each thread with its own
// dump context, as the walk's workers have). Nothing is decoded.
// With --write, the floor of an output too: the threads also put BYTES bytes (an output's size)
// into a new file at PATH, each byte copied once into a buffer and written, a share with each
// section: what any walk printing that much text costs besides formatting it.
//   powner_bench_floor VMCORE VMLINUX [--threads N] [--page-ext-only] [--write PATH BYTES]
#include "powner/kernel_model.h"
#include "powner/mem_section.h"
#include "powner/memory_reads.h"
#include "powner/readers/dwarf_types.h"
#include "powner/readers/kdump_file.h"
#include "powner/status.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

struct Totals {
  std::atomic<uint64_t> bytes{0}, pfns{0}, missing{0};
};

// Reads [addr, addr + size) into buf in one call, else 4 KiB at a time (a filtered dump lacks
// some pages; the walk reads around them the same way); counts what is missing.
void read_region(powner::Memory& mem, uint64_t addr, std::vector<unsigned char>& buf, uint64_t size,
                 Totals& t) {
  buf.resize(size);
  if (!mem.read(addr, buf.data(), size)) {
    for (uint64_t off = 0; off < size; off += 4096)
      t.missing += !mem.read(addr + off, buf.data() + off, std::min<uint64_t>(4096, size - off));
  }
  t.bytes += size;
}

// The output side of --write: each section's share of the bytes, as the section is taken.
class OutputFloor {
public:
  OutputFloor(const char* path, uint64_t bytes, uint64_t sections)
      : bytes_(bytes), sections_(std::max<uint64_t>(sections, 1)) {
    if (!path) return;
    // A new file, as the CLI's -o makes; a device (/dev/null) is written in place, never removed.
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) unlink(path);
    fd_ = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw powner::Error(powner::Status::Unreadable, std::string("cannot write ") + path);
    text_.assign(1 << 16, 'x');
  }
  ~OutputFloor() {
    if (fd_ >= 0) close(fd_);
  }
  OutputFloor(const OutputFloor&) = delete;
  OutputFloor& operator=(const OutputFloor&) = delete;

  // Section nr's share, copied into buf and written a piece at a time: a piece stays in the
  // cache, the cheapest way to place the bytes (the floor must not cost more than a walk would).
  void write_share(uint64_t nr, std::vector<char>& buf) {
    if (fd_ < 0) return;
    constexpr uint64_t kPiece = 1 << 18;
    const uint64_t begin = bytes_ * nr / sections_, end = bytes_ * (nr + 1) / sections_;
    buf.resize(kPiece);
    for (uint64_t at = begin; at < end; at += kPiece) {
      const uint64_t len = std::min(kPiece, end - at);
      for (uint64_t off = 0; off < len; off += text_.size())
        std::memcpy(buf.data() + off, text_.data(), std::min<uint64_t>(text_.size(), len - off));
      write_all(buf.data(), len);
    }
  }
  uint64_t bytes() const { return fd_ >= 0 ? bytes_ : 0; }

private:
  void write_all(const char* data, size_t len) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t off = 0; off < len;) {
      ssize_t n = ::write(fd_, data + off, len - off);
      if (n <= 0) throw powner::Error(powner::Status::Unreadable, "writing the output failed");
      off += static_cast<size_t>(n);
    }
  }

  uint64_t bytes_, sections_;
  int fd_ = -1;
  std::string text_;
  std::mutex mutex_;
};

} // namespace

int main(int argc, char** argv) {
  unsigned threads = 1;
  bool page_ext_only = false;
  const char* write_path = nullptr;
  uint64_t write_bytes = 0;
  std::vector<const char*> files;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    else if (!std::strcmp(argv[i], "--page-ext-only"))
      page_ext_only = true;
    else if (!std::strcmp(argv[i], "--write") && i + 2 < argc) {
      write_path = argv[++i];
      write_bytes = std::strtoull(argv[++i], nullptr, 10);
    } else
      files.push_back(argv[i]);
  }
  if (files.size() != 2) {
    std::fprintf(stderr, "usage: powner_bench_floor VMCORE VMLINUX [--threads N] "
                         "[--page-ext-only] [--write PATH BYTES]\n");
    return 2;
  }
  try {
    powner::KdumpFile dump(files[0]);
    powner::DwarfTypes types(files[1], dump.vmcoreinfo().kaslr_offset().value_or(0));
    auto m = powner::KernelModel::resolve(dump, types, dump.vmcoreinfo());
    auto t0 = std::chrono::steady_clock::now();
    const uint64_t per_section = 1ULL << m.pfn_section_shift;
    const uint64_t sections =
        std::min(m.nr_mem_sections, (m.max_pfn + per_section - 1) / per_section);
    Totals totals;
    OutputFloor output(write_path, write_bytes, sections);
    std::atomic<uint64_t> next{0};
    auto worker = [&](powner::Memory& mem) {
      std::vector<unsigned char> pages, exts;
      std::vector<char> text;
      for (uint64_t nr; (nr = next++) < sections;) {
        output.write_share(nr, text); // every section's, read or not: the shares add up
        const uint64_t root =
            m.sparsemem_extreme
                ? powner::read_value<uint64_t>(mem, m.mem_section + 8 * (nr / m.sections_per_root))
                      .value_or(0)
                : m.mem_section;
        if (!root) continue;
        // The section as the walk reads it (mem_section.h): its mem_map and page_ext.
        auto s = powner::read_mem_section(mem, m, powner::section_address(m, nr, root), nr);
        if (!s || !s->present || !s->page_ext.value_or(0)) continue;
        if (!page_ext_only)
          read_region(mem, s->mem_map, pages, per_section * m.page_struct_size, totals);
        read_region(mem, *s->page_ext, exts, per_section * m.page_ext_size, totals);
        totals.pfns += per_section;
      }
    };
    // A thread's failure (a write to a full disk) is the run's, reported once all have stopped.
    std::mutex failure_mutex;
    std::exception_ptr failure;
    auto guarded = [&](powner::Memory& mem) {
      try {
        worker(mem);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = sections; // the others stop at their next section
      }
    };
    std::vector<std::unique_ptr<powner::Memory>> clones;
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; i++) {
      clones.push_back(dump.clone());
      if (!clones.back()) break;
      pool.emplace_back(guarded, std::ref(*clones.back()));
    }
    guarded(dump);
    for (auto& t : pool)
      t.join();
    if (failure) std::rethrow_exception(failure);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto pfns = static_cast<double>(totals.pfns.load());
    std::printf("floor: %llu pfns of %s, %.1f MB in %.3f s on %zu thread(s) (%.1f Mpfn/s, "
                "%.0f MB/s), %llu blocks missing, %.1f MB written\n",
                static_cast<unsigned long long>(totals.pfns.load()),
                page_ext_only ? "page_ext" : "struct pages and page_ext",
                static_cast<double>(totals.bytes.load()) / 1e6, s, pool.size() + 1, pfns / s / 1e6,
                static_cast<double>(totals.bytes.load()) / s / 1e6,
                static_cast<unsigned long long>(totals.missing.load()),
                static_cast<double>(output.bytes()) / 1e6);
  } catch (const powner::Error& e) {
    std::fprintf(stderr, "powner_bench_floor: %s\n", e.what());
    return static_cast<int>(e.status());
  }
}
