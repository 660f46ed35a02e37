// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/flags_format.h"

#include <fmt/format.h>

namespace powner {

void append_hex(std::string& out, uint64_t value) {
  fmt::format_to(std::back_inserter(out), "0x{:x}", value);
}

void append_flag_names(std::string& out, uint64_t flags, const std::vector<FlagName>& names) {
  for (auto it = names.begin(); flags && it != names.end(); ++it) {
    if ((flags & it->mask) != it->mask) continue;
    out += it->name;
    flags &= ~it->mask;
    if (flags) out += '|';
  }
  if (flags) append_hex(out, flags);
}

void append_page_flags(std::string& out, uint64_t flags, const KernelModel& model) {
  const PageFlagsLayout& l = model.flags_layout;
  append_hex(out, flags);
  out += '(';
  uint64_t pageflags_mask = l.nr_pageflags >= 64 ? ~0ULL : (1ULL << l.nr_pageflags) - 1;
  uint64_t main = flags & pageflags_mask;
  bool append = false;
  if (main) {
    append_flag_names(out, main, model.pageflag_names);
    append = true;
  }
  if (!model.prints_flag_fields) { // before 5.14: "%#lx(%pGp)", the names alone
    out += ')';
    return;
  }
  struct Field {
    unsigned width, shift, mask_bits;
    bool hex;
    const char* name;
  };
  const Field fields[] = {
      {l.sections_width, l.sections_shift, l.sections_width, false, "section"},
      {l.nodes_width, l.nodes_shift, l.nodes_width, false, "node"},
      {l.zones_width, l.zones_shift, l.zones_width, false, "zone"},
      {l.last_cpupid_width, l.last_cpupid_shift, l.last_cpupid_mask_bits, true, "lastcpupid"},
      {l.kasan_tag_width, l.kasan_tag_shift, l.kasan_tag_width, true, "kasantag"},
  };
  for (const Field& f : fields) {
    if (!f.width) continue;
    if (append) out += '|';
    out += f.name;
    out += '=';
    uint64_t mask = f.mask_bits >= 64 ? ~0ULL : (1ULL << f.mask_bits) - 1;
    uint64_t value = (flags >> f.shift) & mask;
    if (f.hex)
      append_hex(out, value);
    else
      fmt::format_to(std::back_inserter(out), "{}", value);
    append = true;
  }
  out += ')';
}

} // namespace powner
