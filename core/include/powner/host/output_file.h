// SPDX-License-Identifier: GPL-2.0-or-later
// -o FILE for every host: never one of the files being read, and never a half-written file that
// looks complete. A regular file is written as a temporary file in the same folder and renamed
// over FILE only once all of it is written (rename is atomic within a file system); a device or
// a FIFO (-o /dev/null, a named pipe) is written in place.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace powner {

class OutputFile {
public:
  // inputs: the files the run reads, each with what it is to the user ("the dump (-c)");
  // option: how the user named the file ("-o", "--html"), for the refusal.
  // Throws Error(Usage) when path is one of them (the same inode, after symbolic links), and
  // Error(Unreadable) when the file cannot be made.
  struct Input {
    std::string role, path;
  };
  OutputFile(const std::string& path, const std::vector<Input>& inputs,
             std::string_view option = "-o");
  // Not committed: the temporary file is removed and FILE is left as it was.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::FILE* stream() const { return file_; }
  // Flushes, closes and puts the file in place; throws Error(Unreadable) when any of it fails
  // (a full disk), and the temporary file is gone.
  void commit();

  // Removes the temporary file of the OutputFile being written, if any; async-signal-safe, for
  // a host's SIGINT/SIGTERM handler before it dies of the signal.
  static void remove_temporary_on_signal();

private:
  std::string path_, temporary_; // temporary_ empty: written in place
  std::FILE* file_ = nullptr;
};

} // namespace powner
