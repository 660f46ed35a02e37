// The memcg lines of a page_owner record (print_page_owner_memcg()): "Slab cache page" and
// "Charged [(via objcg) ]to [offline ]memcg <name>", with each version's reading of
// page->memcg_data. Names are looked up once per distinct memcg_data value. append() may be
// called from several threads (given a Memory that may: see LockedMemory).
#pragma once

#include "kernel_model.h"
#include "memory.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace powner {

class MemcgLines {
public:
  MemcgLines(Memory& mem, const KernelModel& model) : mem_(mem), model_(model) {}

  // Appends the lines; false (appending nothing) when the dump lacks what they need.
  bool append(std::string& out, uint64_t memcg_data, bool page_is_tail);

private:
  std::optional<std::string> lines_for(uint64_t memcg_data);
  std::optional<std::string> cgroup_name(uint64_t memcg);

  Memory& mem_;
  const KernelModel& model_;
  std::mutex mu_; // guards cache_
  std::unordered_map<uint64_t, std::optional<std::string>> cache_;
};

} // namespace powner
