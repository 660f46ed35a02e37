// Test doubles: memory made of byte ranges, and types that know nothing.
#pragma once

#include "memory.h"
#include "types.h"

#include <cstring>
#include <map>
#include <vector>

namespace powner::testing {

class FakeMemory : public Memory {
public:
  // Places bytes at addr (ranges must not overlap).
  void put(uint64_t addr, const void* data, size_t len) {
    auto& r = ranges_[addr];
    r.assign(static_cast<const unsigned char*>(data),
             static_cast<const unsigned char*>(data) + len);
  }
  template <typename T> void put_value(uint64_t addr, T value) { put(addr, &value, sizeof value); }
  bool read(uint64_t addr, void* out, size_t len) override {
    auto it = ranges_.upper_bound(addr);
    if (it == ranges_.begin()) return false;
    --it;
    uint64_t off = addr - it->first;
    if (off + len > it->second.size()) return false;
    std::memcpy(out, it->second.data() + off, len);
    return true;
  }

private:
  std::map<uint64_t, std::vector<unsigned char>> ranges_;
};

} // namespace powner::testing
