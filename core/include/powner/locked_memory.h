// SPDX-License-Identifier: GPL-2.0-or-later
// A Memory that several threads may share: one read at a time. For the caches (stacks, memcgs)
// that workers consult while each walks with a reader of its own.
#pragma once

#include "powner/memory.h"

#include <mutex>

namespace powner {

class LockedMemory final : public Memory {
public:
  explicit LockedMemory(Memory& inner) : inner_(inner) {}
  bool read(uint64_t addr, void* out, size_t len) override {
    std::lock_guard lock(mu_);
    return inner_.read(addr, out, len);
  }

private:
  Memory& inner_;
  std::mutex mu_;
};

} // namespace powner
