// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/output_file.h"

#include "powner/status.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

namespace powner {

namespace {

// The temporary file being written, for remove_temporary_on_signal(): a fixed buffer, as a
// signal handler may neither allocate nor take a lock. One output at a time per process.
char signal_path[PATH_MAX + 1];
std::atomic<bool> signal_path_set{false};

Error write_error(const std::string& path) {
  return Error(Status::Unreadable, fmt::format("{}: {}", path, std::strerror(errno)));
}

} // namespace

OutputFile::OutputFile(const std::string& path, const std::vector<Input>& inputs,
                       std::string_view option)
    : path_(path) {
  struct stat out {};
  const bool exists = ::stat(path.c_str(), &out) == 0;
  if (exists && S_ISREG(out.st_mode)) {
    for (const Input& in : inputs) {
      struct stat st {};
      if (!in.path.empty() && ::stat(in.path.c_str(), &st) == 0 && st.st_dev == out.st_dev &&
          st.st_ino == out.st_ino)
        throw Error(Status::Usage,
                    fmt::format("{} {} is {} ({}): refusing to overwrite a file being read", option,
                                path, in.role, in.path));
    }
  }
  if (exists && !S_ISREG(out.st_mode)) { // a device or a FIFO: nothing to replace
    file_ = std::fopen(path.c_str(), "w");
    if (!file_) throw write_error(path);
    return;
  }
  // The temporary file goes beside the file it replaces: beside the symbolic link's target, so
  // that the rename keeps the link.
  std::string target = path;
  if (char* real = exists ? ::realpath(path.c_str(), nullptr) : nullptr) {
    target = real;
    std::free(real);
  }
  const size_t slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : target.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
  std::string temporary = dir + "." + base + ".powner-XXXXXX";
  if (temporary.size() > PATH_MAX) throw Error(Status::Unreadable, path + ": name too long");
  // No signal between the file's making and its registration for remove_temporary_on_signal().
  sigset_t deadly, before;
  sigemptyset(&deadly);
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    sigaddset(&deadly, sig);
  pthread_sigmask(SIG_BLOCK, &deadly, &before);
  const int fd = ::mkstemp(temporary.data());
  if (fd >= 0) {
    std::memcpy(signal_path, temporary.c_str(), temporary.size() + 1);
    signal_path_set = true;
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  if (fd < 0) throw write_error(path);
  // The permissions a plain open(O_CREAT, 0666) would give, or those of the file replaced.
  mode_t mode = out.st_mode & 07777;
  if (!exists) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  ::fchmod(fd, mode);
  file_ = ::fdopen(fd, "w");
  if (!file_) {
    const int err = errno;
    signal_path_set = false;
    ::close(fd);
    ::unlink(temporary.c_str());
    errno = err;
    throw write_error(path);
  }
  temporary_ = temporary;
  path_ = target;
}

void OutputFile::commit() {
  std::FILE* file = file_;
  file_ = nullptr;
  const bool written = std::fflush(file) == 0 && !std::ferror(file);
  const int err = errno;
  if (std::fclose(file) != 0 || !written) {
    if (!written) errno = err;
    const Error e = write_error(path_);
    if (!temporary_.empty()) {
      signal_path_set = false;
      ::unlink(temporary_.c_str());
    }
    throw e;
  }
  if (temporary_.empty()) return;
  signal_path_set = false;
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
    const Error e = write_error(path_);
    ::unlink(temporary_.c_str());
    throw e;
  }
  temporary_.clear();
}

OutputFile::~OutputFile() {
  if (file_) std::fclose(file_);
  if (!temporary_.empty()) {
    signal_path_set = false;
    ::unlink(temporary_.c_str());
  }
}

void OutputFile::remove_temporary_on_signal() {
  if (signal_path_set) ::unlink(signal_path);
}

} // namespace powner
