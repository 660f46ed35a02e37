// SPDX-License-Identifier: GPL-2.0-or-later
// A walk's progress on stderr, only when it is a terminal, erased when done.
#pragma once

#include <cstdint>
#include <cstdio>
#include <unistd.h>

namespace powner {

class ProgressLine {
public:
  ProgressLine() : enabled_(isatty(STDERR_FILENO)) {}
  ~ProgressLine() { clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void update(uint64_t done, uint64_t total) {
    if (!enabled_ || !total) return;
    std::fprintf(stderr, "\rpowner: %3u%% of %llu pages", static_cast<unsigned>(done * 100 / total),
                 static_cast<unsigned long long>(total));
    shown_ = true;
  }
  void clear() {
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

private:
  bool enabled_;
  bool shown_ = false;
};

} // namespace powner
