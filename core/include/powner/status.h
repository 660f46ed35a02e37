// SPDX-License-Identifier: GPL-2.0-or-later
// Errors that end a run: one line for the user, and the exit status the CLI documents.
#pragma once

#include <stdexcept>
#include <string>

namespace powner {

// Exit statuses (docs/powner.1 lists them).
enum class Status : int {
  Ok = 0,
  Usage = 2,       // bad command line or filter, as the kernel's write() would reject
  Unreadable = 3,  // a file cannot be opened or read
  NotADump = 4,    // not a kernel dump, or no VMCOREINFO
  Mismatch = 5,    // the vmlinux does not belong to the dump
  NoDebugInfo = 6, // no usable type information (no DWARF, no BTF)
  NoPageOwner = 7, // kernel without page_owner, or page_owner not enabled at boot
  Corrupt = 8,     // the dump's page_owner structures cannot be used at all
  Internal = 70,
};

class Error : public std::runtime_error {
public:
  Error(Status status, const std::string& what) : std::runtime_error(what), status_(status) {}
  Status status() const { return status_; }

private:
  Status status_;
};

} // namespace powner
