#include "memcg.h"

#include "memory_reads.h"

namespace powner {

bool MemcgLines::append(std::string& out, uint64_t memcg_data, bool page_is_tail) {
  const auto& c = model_.memcg;
  if (!c.present || !memcg_data) return true;
  if (c.skips_tail && page_is_tail) return true;
  std::lock_guard lock(mu_);
  auto [it, inserted] = cache_.try_emplace(memcg_data);
  if (inserted) it->second = lines_for(memcg_data);
  if (!it->second) return false;
  out += *it->second;
  return true;
}

// cgroup_name() -> kernfs_name(): "(null)" without a node, "/" for the root, else the name,
// at most 79 characters (an 80-byte buffer).
std::optional<std::string> MemcgLines::cgroup_name(uint64_t memcg) {
  const auto& c = model_.memcg;
  auto cgroup = read_value<uint64_t>(mem_, memcg + c.memcg_css_off + c.css_cgroup_off);
  if (!cgroup) return std::nullopt;
  auto kn =
      *cgroup ? read_value<uint64_t>(mem_, *cgroup + c.cgroup_kn_off) : std::optional<uint64_t>(0);
  if (!kn) return std::nullopt;
  if (!*kn) return "(null)";
  auto parent = read_value<uint64_t>(mem_, *kn + c.kn_parent_off);
  if (!parent) return std::nullopt;
  if (!*parent) return "/";
  auto name_ptr = read_value<uint64_t>(mem_, *kn + c.kn_name_off);
  auto name = name_ptr ? read_c_string(mem_, *name_ptr, 79) : std::nullopt;
  return name;
}

std::optional<std::string> MemcgLines::lines_for(uint64_t md) {
  const auto& c = model_.memcg;
  std::string out;
  uint64_t memcg = 0;
  if (md & c.objexts_bit) {
    out += "Slab cache page\n";
    if (c.objcg_for_all) return out; // 6.12+: done after the slab line
  } else if (c.objcg_for_all || (md & c.kmem_bit)) {
    uint64_t objcg = md & ~c.flags_mask;
    if (objcg) {
      auto m = read_value<uint64_t>(mem_, objcg + c.objcg_memcg_off);
      if (!m) return std::nullopt;
      memcg = *m;
    }
  } else {
    memcg = md & ~c.flags_mask; // 6.1: an LRU page's memcg_data is the mem_cgroup
  }
  if (!memcg) return out;
  auto flags = read_value<uint32_t>(mem_, memcg + c.memcg_css_off + c.css_flags_off);
  auto name = cgroup_name(memcg);
  if (!flags || !name) return std::nullopt;
  bool online = *flags & c.css_online;
  out += "Charged ";
  if (md & c.kmem_bit) out += "(via objcg) ";
  out += "to ";
  if (!online) out += "offline ";
  out += "memcg ";
  out += *name;
  out += '\n';
  return out;
}

} // namespace powner
