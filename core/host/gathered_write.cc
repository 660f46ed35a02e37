// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/gathered_write.h"

#include "powner/status.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fmt/format.h>
#include <sys/uio.h>
#include <vector>

namespace powner {

namespace {

// Writes iov[0, n) whole, taking up after short writes.
void write_all(int fd, iovec* iov, size_t n) {
  while (n) {
    const ssize_t wrote = ::writev(fd, iov, static_cast<int>(n));
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
    }
    auto left = static_cast<size_t>(wrote);
    while (n && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++;
      n--;
    }
    if (n) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
}

} // namespace

void write_gathered(int fd, const TextPieces& text) {
  std::vector<iovec> iov;
  iov.reserve(IOV_MAX);
  text.for_each([&](std::string_view piece) {
    iov.push_back({const_cast<char*>(piece.data()), piece.size()});
    if (iov.size() == IOV_MAX) {
      write_all(fd, iov.data(), iov.size());
      iov.clear();
    }
  });
  write_all(fd, iov.data(), iov.size());
}

} // namespace powner
