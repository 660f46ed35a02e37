// SPDX-License-Identifier: GPL-2.0-or-later
// The floor for powner's speed: only read the page_ext region of a dump (every present
// section's page_ext array, in the same 4 KiB-tolerant blocks the engine uses) through
// libkdumpfile, without decoding anything.
//   powner_bench_floor VMCORE VMLINUX
#include "powner/kernel_model.h"
#include "powner/memory_reads.h"
#include "powner/readers/dwarf_types.h"
#include "powner/readers/kdump_file.h"
#include "powner/status.h"

#include <chrono>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: powner_bench_floor VMCORE VMLINUX\n");
    return 2;
  }
  try {
    powner::KdumpFile dump(argv[1]);
    powner::DwarfTypes types(argv[2], dump.vmcoreinfo().kaslr_offset().value_or(0));
    auto m = powner::KernelModel::resolve(dump, types, dump.vmcoreinfo());
    auto t0 = std::chrono::steady_clock::now();
    const uint64_t per_section = 1ULL << m.pfn_section_shift;
    const uint64_t sections =
        std::min(m.nr_mem_sections, (m.max_pfn + per_section - 1) / per_section);
    std::vector<unsigned char> buf(per_section * m.page_ext_size);
    uint64_t bytes = 0, pages = 0, missing = 0;
    for (uint64_t nr = 0; nr < sections; nr++) {
      uint64_t root =
          m.sparsemem_extreme
              ? powner::read_value<uint64_t>(dump, m.mem_section + 8 * (nr / m.sections_per_root))
                    .value_or(0)
              : m.mem_section;
      if (!root) continue;
      uint64_t ms =
          root + (m.sparsemem_extreme ? nr % m.sections_per_root : nr) * m.mem_section_size;
      uint64_t pe = powner::read_value<uint64_t>(dump, ms + m.ms_page_ext_off).value_or(0);
      if (!pe || (pe & m.page_ext_invalid)) continue;
      uint64_t base = pe + m.page_ext_size * (nr * per_section);
      if (!dump.read(base, buf.data(), buf.size())) {
        for (uint64_t off = 0; off < buf.size(); off += 4096)
          missing +=
              !dump.read(base + off, buf.data() + off, std::min<uint64_t>(4096, buf.size() - off));
      }
      bytes += buf.size();
      pages += per_section;
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("floor: %llu pfns of page_ext, %.1f MB in %.3f s (%.1f Mpfn/s, %.0f MB/s), %llu "
                "blocks missing\n",
                static_cast<unsigned long long>(pages), static_cast<double>(bytes) / 1e6, s,
                static_cast<double>(pages) / s / 1e6, static_cast<double>(bytes) / s / 1e6,
                static_cast<unsigned long long>(missing));
  } catch (const powner::Error& e) {
    std::fprintf(stderr, "powner_bench_floor: %s\n", e.what());
    return static_cast<int>(e.status());
  }
}
