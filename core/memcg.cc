// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/memcg.h"

#include "powner/memory_reads.h"

#include <fmt/format.h>

namespace powner {

namespace {

PageMemcg in_state(PageMemcg::State state) {
  PageMemcg m;
  m.state = state;
  return m;
}

} // namespace

std::string_view state_name(PageMemcg::State state) {
  using State = PageMemcg::State;
  switch (state) {
  case State::Charged:
    return "charged";
  case State::Slab:
    return "slab cache page";
  case State::NotInDump:
    return "not in the dump";
  case State::TailPage:
    return "tail page";
  default:
    return "not charged";
  }
}

PageMemcg MemcgLines::describe(uint64_t memcg_data, bool page_is_tail) {
  using State = PageMemcg::State;
  const auto& c = model_.memcg;
  if (!c.present) return in_state(State::NoMemcg);
  if (!memcg_data) return in_state(State::NotCharged);
  if (c.skips_tail && page_is_tail) return in_state(State::TailPage);
  std::lock_guard lock(mu_);
  auto [it, inserted] = cache_.try_emplace(memcg_data);
  if (inserted) it->second = read(memcg_data);
  return it->second;
}

namespace {

// "Charged [(via objcg) ]to [offline ]memcg ", as print_page_owner_memcg() starts the line.
void append_charged_to(std::string& out, bool via_objcg, bool offline) {
  out += "Charged ";
  if (via_objcg) out += "(via objcg) ";
  out += "to ";
  if (offline) out += "offline ";
  out += "memcg ";
}

} // namespace

namespace placeholder {

void append_memcg(std::string& out, const PageMemcg& m) {
  if (!m.memcg) {
    append_charged_to(out, m.via_objcg, false); // its state is not known either
    out += "? (not in the dump)\n";
    return;
  }
  append_charged_to(out, m.via_objcg, !m.online);
  out += fmt::format("? (name not in the dump, mem_cgroup {:#x}", m.memcg);
  if (m.cgroup_id) out += fmt::format(", cgroup id {}", m.cgroup_id);
  out += ")\n";
}

void append_stack(std::string& out, uint32_t handle) {
  out += fmt::format(" ? (stack not in the dump, handle {})\n", handle);
}

} // namespace placeholder

MemcgLines::Lines MemcgLines::append(std::string& out, uint64_t memcg_data, bool page_is_tail,
                                     bool placeholders) {
  PageMemcg m = describe(memcg_data, page_is_tail);
  switch (m.state) {
  case PageMemcg::State::NoMemcg:
  case PageMemcg::State::NotCharged:
  case PageMemcg::State::TailPage:
    return Lines::Known;
  case PageMemcg::State::Slab:
    out += "Slab cache page\n";
    return Lines::Known;
  case PageMemcg::State::Charged:
    append_charged_to(out, m.via_objcg, !m.online);
    out += m.name;
    out += '\n';
    return Lines::Known;
  case PageMemcg::State::NotInDump:
    break;
  }
  if (!placeholders) return Lines::Missing;
  placeholder::append_memcg(out, m);
  return Lines::Placeholder;
}

// cgroup_name() -> kernfs_name(): "(null)" without a node, "/" for the root, else the name,
// at most 79 characters (an 80-byte buffer). False when the dump lacks it.
bool MemcgLines::cgroup_name(uint64_t memcg, std::string& name, uint64_t& cgroup_id) {
  const auto& c = model_.memcg;
  auto cgroup = read_value<uint64_t>(mem_, memcg + c.memcg_css_off + c.css_cgroup_off);
  if (!cgroup) return false;
  auto kn =
      *cgroup ? read_value<uint64_t>(mem_, *cgroup + c.cgroup_kn_off) : std::optional<uint64_t>(0);
  if (!kn) return false;
  if (*kn && c.kn_id_off) cgroup_id = read_value<uint64_t>(mem_, *kn + *c.kn_id_off).value_or(0);
  if (!*kn) {
    name = "(null)";
    return true;
  }
  auto parent = read_value<uint64_t>(mem_, *kn + c.kn_parent_off);
  if (!parent) return false;
  if (!*parent) {
    name = "/";
    return true;
  }
  auto name_ptr = read_value<uint64_t>(mem_, *kn + c.kn_name_off);
  auto text = name_ptr ? read_c_string(mem_, *name_ptr, 79) : std::nullopt;
  if (!text) return false;
  name = std::move(*text);
  return true;
}

PageMemcg MemcgLines::read(uint64_t md) {
  using State = PageMemcg::State;
  const auto& c = model_.memcg;
  // A slab page's memcg_data leads to no memcg (6.1 and 6.12+ alike).
  if (md & c.objexts_bit) return in_state(State::Slab);
  uint64_t memcg = 0;
  if (c.objcg_for_all || (md & c.kmem_bit)) {
    uint64_t objcg = md & ~c.flags_mask;
    if (objcg) {
      auto m = read_value<uint64_t>(mem_, objcg + c.objcg_memcg_off);
      if (!m) {
        PageMemcg unknown = in_state(State::NotInDump);
        unknown.via_objcg = md & c.kmem_bit;
        return unknown;
      }
      memcg = *m;
    }
  } else {
    memcg = md & ~c.flags_mask; // 6.1: an LRU page's memcg_data is the mem_cgroup
  }
  if (!memcg) return in_state(State::NotCharged);
  PageMemcg out = in_state(State::Charged);
  out.via_objcg = md & c.kmem_bit;
  auto flags = read_value<uint32_t>(mem_, memcg + c.memcg_css_off + c.css_flags_off);
  if (!flags) {
    out.state = State::NotInDump;
    return out;
  }
  out.online = *flags & c.css_online;
  if (!cgroup_name(memcg, out.name, out.cgroup_id)) {
    out.state = State::NotInDump;
    out.memcg = memcg;
  }
  return out;
}

} // namespace powner
