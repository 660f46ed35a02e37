// SPDX-License-Identifier: GPL-2.0-or-later
// page_owner_sort's read_block(): its page_owner file read line by line as fgets() reads it, into
// blocks as the tool's buffer holds them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace powner {

// read_block()'s buffer: a block that fills it ends the input there.
constexpr size_t kSortBlockMax = size_t{128} * 1024;

// Newlines 64 bytes at a time, as a bit mask: a page_owner line is some 50 bytes, and a memchr()
// call for each costs more than the scan itself. NULs are noted on the way: the reader moves
// forward only, so every byte it takes has been scanned.
class LineScanner {
public:
  explicit LineScanner(std::string_view text) : text_(text) {}

  // The first '\n' in [pos, end), or end.
  size_t find_newline(size_t pos, size_t end) {
    while (pos < end) {
      if (pos < base_ || pos - base_ >= 64) load(pos & ~size_t{63});
      const uint64_t bits = newlines_ & (~uint64_t{0} << (pos - base_));
      if (bits) return std::min(base_ + static_cast<size_t>(__builtin_ctzll(bits)), end);
      pos = base_ + 64;
    }
    return end;
  }

  // The first NUL in [pos, end), or end; for a range find_newline() has gone through.
  size_t find_nul(size_t pos, size_t end) {
    while (next_nul_ < nuls_.size() && nuls_[next_nul_] < pos)
      ++next_nul_;
    return next_nul_ < nuls_.size() ? std::min(nuls_[next_nul_], end) : end;
  }

private:
  void load(size_t base) {
    base_ = base;
    newlines_ = 0;
    uint64_t nuls = 0;
    const char* p = text_.data() + base;
#if defined(__SSE2__)
    if (base + 64 <= text_.size()) {
      const __m128i nl = _mm_set1_epi8('\n');
      const __m128i zero = _mm_setzero_si128();
      for (size_t i = 0; i < 4; ++i) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
        newlines_ |= uint64_t{static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)))}
                     << (16 * i);
        nuls |= uint64_t{static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)))}
                << (16 * i);
      }
    } else
#endif
    {
      const size_t n = std::min<size_t>(64, text_.size() - base);
      for (size_t i = 0; i < n; ++i) {
        if (p[i] == '\n') newlines_ |= uint64_t{1} << i;
        if (p[i] == '\0') nuls |= uint64_t{1} << i;
      }
    }
    for (; nuls; nuls &= nuls - 1)
      nuls_.push_back(base + static_cast<size_t>(__builtin_ctzll(nuls)));
  }

  std::string_view text_;
  size_t base_ = SIZE_MAX;
  uint64_t newlines_ = 0;
  std::vector<size_t> nuls_; // where NULs are, in order
  size_t next_nul_ = 0;
};

// read_block(): lines by fgets() into a 128 KiB buffer until an empty line. A line starting
// with "PFN" is kept aside (for the allocator) and left out of the block; fgets() stops short
// of the buffer's end, and a line holding a NUL counts up to it. The end of the input, or a full
// buffer, ends the reading: the block being read is dropped.
class BlockReader {
public:
  explicit BlockReader(std::string_view text)
      : text_(text), lines_(text), buf_(kSortBlockMax + 1) {}

  // The next block followed by "\n", as the tool's regular expressions see it; nullopt at the
  // end.
  std::optional<std::string_view> next() {
    size_t used = 0;
    first_line_ = line_ + 1;
    while (kSortBlockMax - used > 1) {
      if (pos_ >= text_.size()) return std::nullopt;
      const size_t limit = std::min(kSortBlockMax - used - 1, text_.size() - pos_);
      const char* p = text_.data() + pos_;
      const size_t nl = lines_.find_newline(pos_, pos_ + limit);
      const bool whole_line = nl < pos_ + limit;
      const size_t len = whole_line ? nl - pos_ + 1 : limit;
      pos_ += len;
      if (whole_line) ++line_;
      // fgets() has stored the whole piece; strlen() stops at a NUL in it.
      const std::string_view piece(p, lines_.find_nul(pos_ - len, pos_) - (pos_ - len));
      if (!piece.empty() && piece[0] == '\n') {
        buf_[used] = '\n';
        return std::string_view(buf_.data(), used + 1);
      }
      if (piece.substr(0, 3) == "PFN") {
        pfn_line_ = piece;
        continue;
      }
      std::memcpy(buf_.data() + used, piece.data(), piece.size());
      used += piece.size();
    }
    return std::nullopt;
  }

  // The last PFN line read, in this block or an earlier one.
  std::string_view pfn_line() const { return pfn_line_; }
  // The input line the block returned last starts on, from 1.
  size_t first_line() const { return first_line_; }

private:
  std::string_view text_;
  LineScanner lines_;
  std::vector<char> buf_;
  size_t pos_ = 0, line_ = 0, first_line_ = 0;
  std::string_view pfn_line_;
};

} // namespace powner
