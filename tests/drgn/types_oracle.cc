// SPDX-License-Identifier: GPL-2.0-or-later
// The DWARF reader's answers to Types questions, for comparison with the drgn plugin's.
//   types_oracle VMLINUX KASLR_OFFSET < questions > answers
// One question per line, tab-separated: "size TYPE", "member TYPE PATH", "enumerator NAME",
// "variable NAME FILE". One answer per line: "none", or the numbers of the answer in the order
// of powner/types.h's structs (kinds as TypeKind values).
#include "powner/readers/dwarf_types.h"
#include "powner/status.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    parts.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
    if (tab == std::string::npos) return parts;
    start = tab + 1;
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: types_oracle VMLINUX KASLR_OFFSET\n");
    return 2;
  }
  try {
    powner::DwarfTypes types(argv[1], std::stoull(argv[2], nullptr, 16));
    std::string line;
    while (std::getline(std::cin, line)) {
      auto q = split(line);
      q.resize(3);
      if (q[0] == "size") {
        auto v = types.size_of(q[1]);
        std::cout << (v ? std::to_string(*v) : "none") << '\n';
      } else if (q[0] == "member") {
        if (auto m = types.member(q[1], q[2]))
          std::cout << m->offset << ' ' << m->size << ' ' << m->bit_offset << ' ' << m->bit_size
                    << ' ' << static_cast<int>(m->kind) << ' ' << m->array_length << ' '
                    << m->element_size << '\n';
        else
          std::cout << "none\n";
      } else if (q[0] == "enumerator") {
        auto v = types.enumerator(q[1]);
        std::cout << (v ? std::to_string(*v) : "none") << '\n';
      } else if (q[0] == "variable") {
        if (auto v = types.variable(q[1], q[2]))
          std::cout << v->address << ' ' << v->size << ' ' << static_cast<int>(v->kind) << ' '
                    << v->array_length << ' ' << v->element_size << '\n';
        else
          std::cout << "none\n";
      } else {
        std::cout << "?\n";
      }
    }
  } catch (const powner::Error& e) {
    std::fprintf(stderr, "types_oracle: %s\n", e.what());
    return static_cast<int>(e.status());
  }
  return 0;
}
