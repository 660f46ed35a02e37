// SPDX-License-Identifier: GPL-2.0-or-later
// The memcg lines of a page_owner record (print_page_owner_memcg()): "Slab cache page" and
// "Charged [(via objcg) ]to [offline ]memcg <name>", with each version's reading of
// page->memcg_data. Memcgs are looked up once per distinct memcg_data value. append() and
// describe() may be called from several threads (given a Memory that may: see LockedMemory).
#pragma once

#include "powner/kernel_model.h"
#include "powner/memory.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
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
  // For Charged, and what is known of it for NotInDump:
  bool via_objcg = false; // a kernel allocation (PageMemcgKmem())
  bool online = false;    // CSS_ONLINE
  std::string name;       // cgroup_name(): the memcg's own name ("/" for the root), not its path
  // For NotInDump: the struct mem_cgroup when it was read (its name was not), else 0; and the
  // cgroup's id (kernfs node id, as /proc/PID/cgroup tools show it) when that was read.
  uint64_t memcg = 0;
  uint64_t cgroup_id = 0;
};

// The state's name in the records' JSON and the triage tables: "not charged" (also without
// memcgs), "tail page", "slab cache page", "charged", "not in the dump".
std::string_view state_name(PageMemcg::State state);

// The placeholders printed where the dump lacks what the kernel printed (stable texts: scripts
// look for them; docs/powner.1 lists them).
namespace placeholder {
// "Charged [(via objcg) ]to memcg ? (not in the dump)": nothing of the memcg is in the dump.
// "Charged [(via objcg) ]to [offline ]memcg ? (name not in the dump, mem_cgroup 0x...[,
// cgroup id N])": the memcg is, its name is not.
void append_memcg(std::string& out, const PageMemcg& m);
// " ? (stack not in the dump, handle N)", in place of the stack's lines.
void append_stack(std::string& out, uint32_t handle);
} // namespace placeholder

class MemcgLines {
public:
  MemcgLines(Memory& mem, const KernelModel& model) : mem_(mem), model_(model) {}

  enum class Lines {
    Known,       // the kernel's lines (or none, where it prints none)
    Placeholder, // the dump lacks the memcg or its name: placeholder::append_memcg()'s line
    Missing,     // the same without placeholders: nothing appended
  };
  Lines append(std::string& out, uint64_t memcg_data, bool page_is_tail, bool placeholders);

  PageMemcg describe(uint64_t memcg_data, bool page_is_tail);

private:
  PageMemcg read(uint64_t memcg_data);
  bool cgroup_name(uint64_t memcg, std::string& name, uint64_t& cgroup_id);

  Memory& mem_;
  const KernelModel& model_;
  std::mutex mu_; // guards cache_
  std::unordered_map<uint64_t, PageMemcg> cache_;
};

} // namespace powner
