// SPDX-License-Identifier: GPL-2.0-or-later
// The symbols outside the vmlinux kallsyms table: loaded modules' kallsyms, BPF JIT images and
// ftrace's copies of freed module init symbols.
#include "kallsyms_block.h"
#include "powner/kallsyms.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <iterator>
#include <unordered_set>
#include <utility>

namespace powner {
using namespace kallsyms_detail;
namespace {

constexpr uint64_t kMaxModSyms = 1u << 21;
constexpr size_t kMaxListNodes = 1u << 16; // modules, BPF images, ftrace maps and functions
constexpr size_t kElfSymSize = 24;         // Elf64_Sym
constexpr uint64_t kModuleStateUnformed = 3;

// A NUL-terminated string of at most max bytes; nullopt if unreadable before its end.
std::optional<std::string> read_cstring(Memory& memory, uint64_t addr, size_t max) {
  std::string s;
  while (s.size() < max) {
    uint64_t a = addr + s.size();
    size_t n = std::min<uint64_t>(kPage - (a % kPage), max - s.size());
    char buf[kPage];
    if (!memory.read(a, buf, n)) return std::nullopt;
    size_t len = strnlen(buf, n);
    s.append(buf, len);
    if (len < n) return s;
  }
  return s;
}

bool is_mapping_symbol(std::string_view s) {
  return s.starts_with(".L") || s.starts_with("L0") || s.starts_with("$");
}

// A member of a struct read into a blob: an unsigned value of the member's width.
uint64_t field(const Block& blob, const MemberInfo& m) {
  size_t n = m.size == 1 || m.size == 2 || m.size == 4 ? m.size : 8;
  if (!blob.ok(m.offset, n)) return 0;
  return blob.u(m.offset, n);
}

std::string field_string(const Block& blob, const MemberInfo& m) {
  if (!blob.ok(m.offset, m.size)) return {};
  auto p = reinterpret_cast<const char*>(blob.data() + m.offset);
  return std::string(p, strnlen(p, m.size));
}

// Walks a list_head ring from head, returning the node addresses (not the head). Stops at a
// cycle, an unreadable or null link, or kMaxListNodes.
std::vector<uint64_t> list_nodes(Memory& memory, uint64_t head, bool& damaged) {
  std::vector<uint64_t> nodes;
  std::unordered_set<uint64_t> seen;
  uint64_t next = 0;
  damaged = false;
  if (!memory.read(head, &next, sizeof next)) {
    damaged = true;
    return nodes;
  }
  while (next != head) {
    if (next == 0 || nodes.size() >= kMaxListNodes || !seen.insert(next).second) {
      damaged = true;
      break;
    }
    nodes.push_back(next);
    if (!memory.read(next, &next, sizeof next)) {
      damaged = true;
      break;
    }
  }
  return nodes;
}

} // namespace

// --- modules ---------------------------------------------------------------------------------

void KernelSymbols::load_modules(Memory& memory, Types& types) {
  uint64_t head = 0;
  if (auto v = types.variable("modules"))
    head = v->address;
  else if (auto s = vmlinux_symbol("modules"))
    head = *s;
  if (!head) return; // a kernel without modules
  bool damaged = false;
  std::vector<uint64_t> nodes = list_nodes(memory, head, damaged);
  if (damaged) warn("modules: the module list is damaged; modules after the damage are ignored");
  lists_damaged_ = lists_damaged_ || damaged;
  if (nodes.empty()) return;

  auto list = types.member("struct module", "list");
  auto name = types.member("struct module", "name");
  auto state = types.member("struct module", "state");
  auto kallsyms = types.member("struct module", "kallsyms");
  auto ks_symtab = types.member("struct mod_kallsyms", "symtab");
  auto ks_num = types.member("struct mod_kallsyms", "num_symtab");
  auto ks_strtab = types.member("struct mod_kallsyms", "strtab");
  auto mem = types.member("struct module", "mem");
  auto mem_base = types.member("struct module_memory", "base");
  auto mem_size = types.member("struct module_memory", "size");
  std::optional<MemberInfo> layout[2][3]; // {core, init} x {base, size, text_size}
  const char* layout_name[2] = {"core_layout", "init_layout"};
  const char* layout_field[3] = {"base", "size", "text_size"};
  for (int l = 0; l < 2; l++)
    for (int f = 0; f < 3; f++)
      layout[l][f] =
          types.member("struct module", fmt::format("{}.{}", layout_name[l], layout_field[f]));
  const bool layouts = !mem && layout[0][0] && layout[0][1] && layout[0][2] && layout[1][0] &&
                       layout[1][1] && layout[1][2];
  if (!list || !name || !state || !kallsyms || !ks_symtab || !ks_num || !ks_strtab ||
      (!layouts && !(mem && mem_base && mem_size && mem->element_size && mem->array_length))) {
    warn(fmt::format("modules: {} loaded modules, but no type information for struct module: "
                     "their addresses print bare",
                     nodes.size()));
    lists_damaged_ = true;
    return;
  }
  const uint64_t unformed = static_cast<uint64_t>(
      types.enumerator("MODULE_STATE_UNFORMED").value_or(kModuleStateUnformed));
  // Which mod->mem[] entries are text and which are init.
  auto enum_or = [&](const char* e, int64_t dflt) { return types.enumerator(e).value_or(dflt); };
  const int64_t mod_text = enum_or("MOD_TEXT", 0), mod_init_text = enum_or("MOD_INIT_TEXT", 4);
  const int64_t init_types[] = {mod_init_text, enum_or("MOD_INIT_DATA", 5),
                                enum_or("MOD_INIT_RODATA", 6)};

  uint64_t mod_size = types.size_of("struct module").value_or(0);
  for (auto& m : {list, name, state, kallsyms, mem, layout[0][2], layout[1][2]})
    if (m) mod_size = std::max(mod_size, m->offset + m->size);
  uint64_t ks_size = types.size_of("struct mod_kallsyms").value_or(0);
  for (auto& m : {ks_symtab, ks_num, ks_strtab})
    ks_size = std::max(ks_size, m->offset + m->size);

  size_t skipped_syms = 0;
  uint64_t total_syms = 0; // over all modules: a damaged list must not multiply the work
  for (uint64_t node : nodes) {
    const uint64_t at = node - list->offset;
    Block blob = read_block(memory, at, mod_size);
    if (!blob.ok(list->offset, 8)) {
      warn(fmt::format("modules: struct module at {:#x} is not in the dump", at));
      lists_damaged_ = true;
      continue;
    }
    if (field(blob, *state) == unformed) continue;
    Module mod;
    mod.name = field_string(blob, *name);
    mod.layouts = layouts;
    if (layouts) {
      for (int l = 0; l < 2; l++) {
        Region r;
        r.base = field(blob, *layout[l][0]);
        r.size = field(blob, *layout[l][1]);
        r.text_end = r.base + field(blob, *layout[l][2]);
        r.text = true;
        r.init = l == 1;
        mod.regions.push_back(r);
      }
    } else {
      for (uint64_t t = 0; t < mem->array_length && t < 64; t++) {
        MemberInfo b = *mem_base, s = *mem_size;
        b.offset += mem->offset + t * mem->element_size;
        s.offset += mem->offset + t * mem->element_size;
        Region r;
        r.base = field(blob, b);
        r.size = field(blob, s);
        r.text = static_cast<int64_t>(t) == mod_text || static_cast<int64_t>(t) == mod_init_text;
        r.init = std::find(std::begin(init_types), std::end(init_types), static_cast<int64_t>(t)) !=
                 std::end(init_types);
        mod.regions.push_back(r);
      }
    }

    // The module's kallsyms: symtab[num_symtab] of Elf64_Sym and the string table.
    Block ks = read_block(memory, field(blob, *kallsyms), ks_size);
    uint64_t symtab = field(ks, *ks_symtab), num = field(ks, *ks_num),
             strtab = field(ks, *ks_strtab);
    if (!ks.ok(0, ks_size) || num > kMaxModSyms || total_syms + num > 2 * kMaxModSyms) {
      warn(fmt::format("modules: {}: symbol table is not in the dump", mod.name));
      num = 0;
      mod.incomplete = true;
    }
    total_syms += num;
    Block syms = read_block(memory, symtab, num * kElfSymSize);
    if (num && syms.ok(0, kElfSymSize)) mod.sym0_value = syms.u(8, 8);
    uint64_t max_name = 0;
    for (uint64_t i = 1; i < num; i++)
      if (syms.ok(i * kElfSymSize, kElfSymSize))
        max_name = std::max(max_name, syms.u(i * kElfSymSize, 4));
    Block strings = read_block(memory, strtab, std::min(max_name + kNameMax + 1, kMaxNamesBytes));
    // find_kallsyms_symbol() skips undefined, unnamed and mapping symbols.
    for (uint64_t i = 1; i < num; i++) {
      const uint64_t e = i * kElfSymSize;
      if (!syms.ok(e, kElfSymSize)) {
        skipped_syms++;
        mod.incomplete = true;
        continue;
      }
      if (syms.u(e + 6, 2) == 0) continue; // st_shndx == SHN_UNDEF
      uint64_t st_name = syms.u(e, 4);
      if (!strings.ok(st_name, 1)) {
        skipped_syms++;
        mod.incomplete = true;
        continue;
      }
      auto p = reinterpret_cast<const char*>(strings.data() + st_name);
      size_t len = strnlen(p, std::min<uint64_t>(strings.size() - st_name, kNameMax));
      // The terminating NUL must have been read too, unless the name is cut at kNameMax.
      if (!strings.ok(st_name, len == kNameMax ? len : len + 1) ||
          mod.names.size() > kMaxNamesBytes) {
        skipped_syms++;
        mod.incomplete = true;
        continue;
      }
      std::string_view s(p, len);
      if (s.empty() || is_mapping_symbol(s)) continue;
      mod.syms.push_back({syms.u(e + 8, 8), static_cast<uint32_t>(mod.names.size()),
                          static_cast<uint32_t>(len), static_cast<uint32_t>(i)});
      mod.names.append(s);
    }
    // Sorted by value; equal values keep symtab order, as the kernel's scan prefers the first.
    std::stable_sort(mod.syms.begin(), mod.syms.end(),
                     [](const ModSym& a, const ModSym& b) { return a.value < b.value; });
    modules_.push_back(std::move(mod));
  }
  if (skipped_syms)
    warn(fmt::format("modules: {} module symbols are not in the dump", skipped_syms));
}

std::optional<KernelSymbols::Symbol> KernelSymbols::lookup_module(uint64_t a, bool& known) const {
  for (const Module& mod : modules_) {
    // __module_address(): the first formed module with any memory holding a.
    bool within = false;
    for (const Region& r : mod.regions)
      within = within || a - r.base < r.size;
    if (!within) continue;
    if (mod.incomplete) known = false;

    // find_kallsyms_symbol(): the bounds of the search.
    uint64_t nextval, bestval;
    if (mod.layouts) { // before 6.4: end of init or core text; best starts at symtab[0]
      nextval = (a - mod.regions[1].base < mod.regions[1].size ? mod.regions[1] : mod.regions[0])
                    .text_end;
      bestval = mod.sym0_value;
    } else { // the memory region holding a (text only without KALLSYMS_ALL)
      const Region* region = nullptr;
      for (const Region& r : mod.regions)
        if ((kallsyms_all_ || r.text) && a - r.base < r.size) {
          region = &r;
          break;
        }
      if (!region) return std::nullopt;
      nextval = region->base + region->size;
      bestval = region->base - 1;
    }
    auto above = std::upper_bound(mod.syms.begin(), mod.syms.end(), a,
                                  [](uint64_t v, const ModSym& s) { return v < s.value; });
    if (above != mod.syms.end() && above->value < nextval) nextval = above->value;
    if (above == mod.syms.begin()) return std::nullopt;
    auto best = std::prev(above);
    if (best->value <= bestval) return std::nullopt;
    // The lowest symtab index among symbols at that value.
    auto first = std::lower_bound(mod.syms.begin(), above, best->value,
                                  [](const ModSym& s, uint64_t v) { return s.value < v; });
    std::string_view name = std::string_view(mod.names).substr(first->name_off, first->name_len);
    return Symbol{name, a - first->value, nextval - first->value, mod.name, true};
  }
  return std::nullopt;
}

// --- BPF JIT images and ftrace's saved init functions ----------------------------------------

void KernelSymbols::load_bpf(Memory& memory, Types& types) {
  auto head = types.variable("bpf_kallsyms", "kernel/bpf/core.c");
  if (!head) return; // no BPF JIT
  auto lnode = types.member("struct bpf_ksym", "lnode");
  auto start = types.member("struct bpf_ksym", "start");
  auto end = types.member("struct bpf_ksym", "end");
  auto name = types.member("struct bpf_ksym", "name");
  if (!lnode || !start || !end || !name) return;
  bool damaged = false;
  auto nodes = list_nodes(memory, head->address, damaged);
  if (damaged) warn("bpf: the list of BPF symbols is damaged");
  lists_damaged_ = lists_damaged_ || damaged;
  uint64_t size = std::max({lnode->offset + lnode->size, start->offset + start->size,
                            end->offset + end->size, name->offset + name->size});
  for (uint64_t node : nodes) {
    Block blob = read_block(memory, node - lnode->offset, size);
    if (!blob.ok(0, size)) {
      lists_damaged_ = true;
      continue;
    }
    bpf_.push_back({field(blob, *start),
                    field(blob, *end),
                    field_string(blob, *name).substr(0, kNameMax),
                    {}});
  }
}

void KernelSymbols::load_ftrace(Memory& memory, Types& types) {
  auto head = types.variable("ftrace_mod_maps", "kernel/trace/ftrace.c");
  if (!head) return; // no dynamic ftrace
  auto map_list = types.member("struct ftrace_mod_map", "list");
  auto map_mod = types.member("struct ftrace_mod_map", "mod");
  auto map_funcs = types.member("struct ftrace_mod_map", "funcs");
  auto func_list = types.member("struct ftrace_mod_func", "list");
  auto func_name = types.member("struct ftrace_mod_func", "name");
  auto func_ip = types.member("struct ftrace_mod_func", "ip");
  auto func_size = types.member("struct ftrace_mod_func", "size");
  auto mod_name = types.member("struct module", "name");
  if (!map_list || !map_mod || !map_funcs || !func_list || !func_name || !func_ip || !func_size ||
      !mod_name)
    return;
  bool damaged = false;
  auto maps = list_nodes(memory, head->address, damaged);
  for (uint64_t node : maps) {
    uint64_t map = node - map_list->offset;
    Block blob = read_block(memory, map, std::max(map_mod->offset + 8, map_funcs->offset + 8));
    if (!blob.ok(map_mod->offset, 8)) {
      damaged = true;
      continue;
    }
    Block mod = read_block(memory, field(blob, *map_mod), mod_name->offset + mod_name->size);
    std::string module = field_string(mod, *mod_name);
    bool d = false;
    auto funcs = list_nodes(memory, map + map_funcs->offset, d);
    damaged = damaged || d;
    if (ftrace_.size() + funcs.size() > kMaxListNodes) { // over all maps, as for one list
      damaged = true;
      break;
    }
    for (uint64_t f : funcs) {
      uint64_t at = f - func_list->offset;
      uint64_t size = std::max(
          {func_name->offset + 8, func_ip->offset + 8, func_size->offset + func_size->size});
      Block fb = read_block(memory, at, size);
      auto fname =
          fb.ok(0, size) ? read_cstring(memory, field(fb, *func_name), kNameMax) : std::nullopt;
      if (!fname) {
        damaged = true;
        continue;
      }
      uint64_t ip = field(fb, *func_ip);
      ftrace_.push_back({ip, ip + field(fb, *func_size), *fname, module});
    }
  }
  if (damaged) warn("ftrace: the saved module init symbols are damaged");
  lists_damaged_ = lists_damaged_ || damaged;
}

} // namespace powner
