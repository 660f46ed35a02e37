// The memcg lines of a page_owner record (print_page_owner_memcg()): "Slab cache page" and
// "Charged [(via objcg) ]to [offline ]memcg <name>", with each version's reading of
// page->memcg_data. Memcgs are looked up once per distinct memcg_data value. append() and
// describe() may be called from several threads (given a Memory that may: see LockedMemory).
#pragma once

#include "kernel_model.h"
#include "memory.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace powner {

// What print_page_owner_memcg() finds for a page, as data.
struct PageMemcg {
  enum class State {
    NoMemcg,    // a kernel without memory cgroups: no lines
    NotCharged, // no memcg_data, or it leads to no memcg: no lines
    TailPage,   // 7.x prints no lines for a tail page
    Slab,       // "Slab cache page", and no memcg
    Charged,    // "Charged [(via objcg) ]to [offline ]memcg <name>"
    NotInDump,  // the dump lacks the memcg or its name: the lines are not known
  };
  State state = State::NoMemcg;
  // For Charged:
  bool via_objcg = false; // a kernel allocation (PageMemcgKmem())
  bool online = false;    // CSS_ONLINE
  std::string name;       // cgroup_name(): the memcg's own name ("/" for the root), not its path
};

class MemcgLines {
public:
  MemcgLines(Memory& mem, const KernelModel& model) : mem_(mem), model_(model) {}

  // Appends the lines; false (appending nothing) when the dump lacks what they need.
  bool append(std::string& out, uint64_t memcg_data, bool page_is_tail);

  PageMemcg describe(uint64_t memcg_data, bool page_is_tail);

private:
  PageMemcg read(uint64_t memcg_data);
  bool cgroup_name(uint64_t memcg, std::string& name);

  Memory& mem_;
  const KernelModel& model_;
  std::mutex mu_; // guards cache_
  std::unordered_map<uint64_t, PageMemcg> cache_;
};

} // namespace powner
