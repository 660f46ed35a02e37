// SPDX-License-Identifier: GPL-2.0-or-later
// glibc's qsort() as page_owner_sort meets it: a top-down merge sort (msort.c in Debian 12's 2.36;
// 2.39 on brought it back), used whenever its array fits in a quarter of memory, that splits n
// into n / 2 and the rest and takes from the left run while cmp() <= 0. Following it step by step
// gives the tool's order even where its comparators overflow and stop being an order at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace powner {

template <class Cmp> void glibc_msort_with_tmp(uint32_t* b, size_t n, uint32_t* tmp, Cmp& cmp) {
  if (n <= 1) return;
  size_t n1 = n / 2, n2 = n - n1;
  uint32_t* b1 = b;
  uint32_t* b2 = b + n1;
  glibc_msort_with_tmp(b1, n1, tmp, cmp);
  glibc_msort_with_tmp(b2, n2, tmp, cmp);
  uint32_t* t = tmp;
  while (n1 > 0 && n2 > 0) {
    if (cmp(*b1, *b2) <= 0) {
      *t++ = *b1++;
      --n1;
    } else {
      *t++ = *b2++;
      --n2;
    }
  }
  if (n1 > 0) std::memcpy(t, b1, n1 * sizeof *t);
  std::memcpy(b, tmp, (n - n2) * sizeof *t);
}

// Sorts the indices in v; cmp(a, b) returns the tool's comparator's int for elements a and b.
template <class Cmp> void glibc_msort(std::vector<uint32_t>& v, Cmp cmp) {
  std::vector<uint32_t> tmp(v.size());
  glibc_msort_with_tmp(v.data(), v.size(), tmp.data(), cmp);
}

} // namespace powner
