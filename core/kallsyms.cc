// SPDX-License-Identifier: GPL-2.0-or-later
// The vmlinux kallsyms table, and the lookups that go through every table (module_symbols.cc
// reads the others).
#include "powner/kallsyms.h"

#include "kallsyms_block.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fmt/format.h>
#include <iterator>
#include <utility>

namespace powner {
using namespace kallsyms_detail;
namespace {

constexpr uint64_t kMaxSyms = 1u << 23;          // far above any real kernel
constexpr size_t kMaxExpandedBytes = 256u << 20; // decoded vmlinux names
constexpr size_t kChunk = 256u << 10;

} // namespace

KernelSymbols::KernelSymbols(Memory& memory, const VmcoreInfo& vmcoreinfo, Types& types) {
  load_vmlinux(memory, vmcoreinfo, types);
  load_modules(memory, types);
  load_bpf(memory, types);
  load_ftrace(memory, types);
}

void KernelSymbols::warn(std::string line) {
  warnings_.push_back(std::move(line));
}

// --- vmlinux ---------------------------------------------------------------------------------

void KernelSymbols::load_vmlinux(Memory& memory, const VmcoreInfo& vmcoreinfo, Types& types) {
  // The tables' addresses: VMCOREINFO has them since 6.0; debug info as a fallback.
  auto where = [&](std::string_view name) -> std::optional<uint64_t> {
    if (auto a = vmcoreinfo.symbol(name)) return a;
    return types.address_of(name);
  };
  auto num_syms_at = where("kallsyms_num_syms");
  auto names_at = where("kallsyms_names");
  auto token_table_at = where("kallsyms_token_table");
  auto token_index_at = where("kallsyms_token_index");
  auto offsets_at = where("kallsyms_offsets");
  // Which encoding: VMCOREINFO lists kallsyms_relative_base or kallsyms_addresses exactly when
  // the kernel has them; without VMCOREINFO entries (before 6.0) ask the debug info.
  const bool listed = vmcoreinfo.symbol("kallsyms_names").has_value();
  auto optional_table = [&](std::string_view name) {
    return listed ? vmcoreinfo.symbol(name) : where(name);
  };
  auto addresses_at = optional_table("kallsyms_addresses");
  auto relative_base_at = optional_table("kallsyms_relative_base");
  if (!num_syms_at || !names_at || !token_table_at || !token_index_at ||
      (!addresses_at && !offsets_at)) {
    warn("kallsyms: the dump does not say where the kallsyms tables are");
    return;
  }
  vmlinux_damaged_ = true; // until the tables are decoded
  if (addresses_at)
    encoding_ = Encoding::Absolute;
  else if (relative_base_at)
    encoding_ = Encoding::BaseRelative;
  else
    encoding_ = Encoding::PcRelative;

  uint32_t n32 = 0;
  if (!memory.read(*num_syms_at, &n32, sizeof n32)) {
    warn("kallsyms: kallsyms_num_syms is not in the dump");
    return;
  }
  if (n32 == 0 || n32 > kMaxSyms) {
    warn(fmt::format("kallsyms: implausible kallsyms_num_syms {}", n32));
    return;
  }
  const size_t n = n32;

  // Tokens: 256 NUL-terminated strings at kallsyms_token_table + kallsyms_token_index[i].
  Block index = read_block(memory, *token_index_at, 512);
  if (!index.ok(0, 512)) {
    warn("kallsyms: kallsyms_token_index is not in the dump");
    return;
  }
  uint64_t max_index = 0;
  for (size_t i = 0; i < 256; i++)
    max_index = std::max(max_index, index.u(2 * i, 2));
  // token_index directly follows token_table in every layout; otherwise read generously.
  uint64_t table_len = max_index + 1024;
  if (*token_index_at > *token_table_at && *token_index_at - *token_table_at > max_index &&
      *token_index_at - *token_table_at <= 0x10000 + 1024)
    table_len = *token_index_at - *token_table_at;
  Block table = read_block(memory, *token_table_at, table_len);
  std::array<std::string, 256> tokens;
  // And each one padded in a slot of its own: a name is some ten tokens, each then copied as one
  // move of a fixed size (a copy of each token's own size was half of decoding the names).
  constexpr size_t kMove = 16, kSlot = 48;
  std::vector<char> slots(256 * kSlot);
  for (size_t i = 0; i < 256; i++) {
    uint64_t off = index.u(2 * i, 2);
    if (!table.ok(off, 1)) {
      warn("kallsyms: kallsyms_token_table is not in the dump");
      return;
    }
    auto p = reinterpret_cast<const char*>(table.data() + off);
    size_t len = strnlen(p, table.size() - off);
    if (!table.ok(off, len)) {
      warn("kallsyms: kallsyms_token_table is not in the dump");
      return;
    }
    tokens[i].assign(p, len);
    if (len + 1 + kMove <= kSlot) std::memcpy(&slots[i * kSlot], p, len);
  }

  // Names: [len][len token bytes], len ULEB128 in one or two bytes; the first expanded char is
  // the type letter. Decoded linearly; kallsyms_markers (offset of every 256th name) is only
  // needed to find our way again after an unreadable stretch.
  Block names(*names_at);
  auto have = [&](uint64_t off, uint64_t len) {
    while (names.size() < off + len && names.size() < kMaxNamesBytes)
      names.append(memory, std::min<size_t>(kChunk, kMaxNamesBytes - names.size()));
    return names.ok(off, len);
  };
  std::vector<uint32_t> marks; // offsets of names 0, 256, 512... seen while in step
  std::optional<std::vector<uint32_t>> markers;
  bool markers_tried = false;
  auto find_markers = [&]() -> std::optional<std::vector<uint32_t>> {
    const size_t m = (n + 255) / 256;
    if (marks.size() < 2) return std::nullopt; // nothing to check a candidate against
    std::vector<uint64_t> candidates;
    if (auto a = types.address_of("kallsyms_markers")) candidates.push_back(*a);
    candidates.push_back(*token_table_at - 4 * m);                              // 6.12+
    candidates.push_back(*token_table_at - ((3 * n + 3) & ~size_t{3}) - 4 * m); // 6.1
    for (uint64_t c : candidates) {
      Block b = read_block(memory, c, 4 * m);
      if (!b.ok(0, 4 * m)) continue;
      std::vector<uint32_t> v(m);
      for (size_t i = 0; i < m; i++)
        v[i] = static_cast<uint32_t>(b.u(4 * i, 4));
      if (!std::is_sorted(v.begin(), v.end())) continue;
      if (std::equal(marks.begin(), marks.end(), v.begin())) return v;
    }
    return std::nullopt;
  };

  std::array<char, kNameMax + kMove> name{}; // (a fixed move may write past the name's end)
  name_off_.assign(n + 1, 0);
  name_ok_.assign(n, false);
  names_.reserve(std::min<size_t>(n, 1u << 20) * 24); // n may be garbage: a hint only
  uint64_t off = 0;
  bool in_step = true;
  size_t lost = 0;
  for (size_t i = 0; i < n; i++) {
    name_off_[i] = static_cast<uint32_t>(names_.size());
    if (i % 256 == 0) {
      if (in_step && marks.size() == i / 256) marks.push_back(static_cast<uint32_t>(off));
      if (!in_step && markers) {
        off = (*markers)[i / 256];
        in_step = true;
      }
    }
    if (in_step) {
      bool good = have(off, 1);
      uint64_t len = good ? names.u(off, 1) : 0, hdr = 1;
      if (good && (len & 0x80)) {
        good = have(off + 1, 1);
        if (good) len = (len & 0x7f) | (names.u(off + 1, 1) << 7);
        hdr = 2;
      }
      good = good && have(off + hdr, len) && names_.size() < kMaxExpandedBytes;
      if (good) {
        // Expanded into name, then appended once: a name is some ten tokens.
        const uint8_t* p = names.data() + off + hdr;
        size_t at = 0;
        bool skipped_type = false;
        for (uint64_t k = 0; k < len && at < kNameMax; k++) {
          const uint8_t t = p[k];
          size_t from = 0, size = tokens[t].size();
          if (!skipped_type && size) {
            from = 1;
            size--;
            skipped_type = true;
          }
          const size_t take = std::min(size, kNameMax - at);
          if (size <= kMove) // then the token is in its slot, and the move stays within it
            std::memcpy(name.data() + at, &slots[t * kSlot + from], kMove);
          else
            std::memcpy(name.data() + at, tokens[t].data() + from, take);
          at += take;
        }
        names_.append(name.data(), at);
        name_ok_[i] = true;
        off += hdr + len;
      } else {
        in_step = false;
        if (!markers_tried) {
          markers_tried = true;
          markers = find_markers();
        }
      }
    }
    if (!name_ok_[i]) lost++;
  }
  name_off_[n] = static_cast<uint32_t>(names_.size());
  if (lost) warn(fmt::format("kallsyms: {} of {} symbol names are not in the dump", lost, n));

  // Addresses.
  addr_.assign(n, 0);
  addr_ok_.assign(n, false);
  size_t bad_addr = 0;
  if (encoding_ == Encoding::Absolute) {
    Block a = read_block(memory, *addresses_at, 8 * n);
    for (size_t i = 0; i < n; i++)
      if ((addr_ok_[i] = a.ok(8 * i, 8))) addr_[i] = a.u(8 * i, 8);
  } else {
    Block o = read_block(memory, *offsets_at, 4 * n);
    uint64_t base = 0;
    if (encoding_ == Encoding::BaseRelative && !memory.read(*relative_base_at, &base, 8)) {
      warn("kallsyms: kallsyms_relative_base is not in the dump");
      return;
    }
    // With CONFIG_KALLSYMS_ABSOLUTE_PERCPU kernel symbols are stored negative (relative to
    // base - 1) and per-cpu ones as positive absolute values. Without it every entry is an
    // unsigned offset below 2 GiB, so any negative entry tells the two apart.
    bool absolute_percpu = false;
    for (size_t i = 0; i < n && encoding_ == Encoding::BaseRelative; i++)
      if (o.ok(4 * i, 4) && static_cast<int32_t>(o.u(4 * i, 4)) < 0) {
        absolute_percpu = true;
        break;
      }
    for (size_t i = 0; i < n; i++) {
      if (!(addr_ok_[i] = o.ok(4 * i, 4))) continue;
      uint32_t raw = static_cast<uint32_t>(o.u(4 * i, 4));
      auto s = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(raw)));
      if (encoding_ == Encoding::PcRelative)
        addr_[i] = *offsets_at + 4 * i + s;
      else if (!absolute_percpu)
        addr_[i] = base + raw;
      else
        addr_[i] = static_cast<int32_t>(raw) >= 0 ? s : base - 1 - s;
    }
  }
  // Unreadable entries take the previous value so the array stays ordered; lookups that would
  // depend on them print the bare address.
  for (size_t i = 0; i < n; i++)
    if (!addr_ok_[i]) {
      addr_[i] = i ? addr_[i - 1] : 0;
      bad_addr++;
    }
  if (bad_addr)
    warn(fmt::format("kallsyms: {} of {} symbol addresses are not in the dump", bad_addr, n));
  if (bad_addr == n) return;
  size_t unordered = 0;
  for (size_t i = 1; i < n; i++)
    unordered += addr_[i] < addr_[i - 1];
  if (unordered)
    warn(fmt::format("kallsyms: {} symbol addresses are out of order: damaged table", unordered));

  // Section bounds that is_ksym_addr() and the end of the table use.
  const auto bounds = scan_vmlinux_symbols(
      {"_stext", "_etext", "_sinittext", "_einittext", "_end", "__init_begin", "__init_end"});
  stext_ = bounds[0].value_or(0);
  if (auto s = vmcoreinfo.symbol("_stext")) {
    if (stext_ && stext_ != *s) {
      warn(fmt::format("kallsyms: decoded _stext {:#x} disagrees with VMCOREINFO {:#x}", stext_,
                       *s));
      return;
    }
    stext_ = *s;
  }
  etext_ = bounds[1].value_or(0);
  sinittext_ = bounds[2].value_or(0);
  einittext_ = bounds[3].value_or(0);
  // Without KALLSYMS_ALL only text symbols (and __start_/__stop_ markers) are kept, and _end is
  // not one of them.
  end_ = bounds[4].value_or(0);
  kallsyms_all_ = end_ != 0;
  init_begin_ = bounds[5].value_or(0);
  init_end_ = bounds[6].value_or(0);
  if (!stext_ || !(kallsyms_all_ || etext_)) {
    warn("kallsyms: _stext/_etext are not in the symbol table");
    return;
  }
  vmlinux_ok_ = true;
  vmlinux_damaged_ = false;
}

std::string_view KernelSymbols::vmlinux_name(size_t i) const {
  return std::string_view(names_).substr(name_off_[i], name_off_[i + 1] - name_off_[i]);
}

const std::vector<uint32_t>& KernelSymbols::by_name() const {
  std::call_once(by_name_made_, [&] {
    by_name_.resize(addr_.size());
    for (size_t i = 0; i < by_name_.size(); i++)
      by_name_[i] = static_cast<uint32_t>(i);
    std::sort(by_name_.begin(), by_name_.end(), [&](uint32_t a, uint32_t b) {
      auto na = vmlinux_name(a), nb = vmlinux_name(b);
      if (na != nb) return na < nb;
      if (addr_[a] != addr_[b]) return addr_[a] < addr_[b];
      return a < b;
    });
  });
  return by_name_;
}

std::optional<uint64_t> KernelSymbols::vmlinux_symbol(std::string_view name) const {
  const std::vector<uint32_t>& sorted = by_name();
  auto it = std::lower_bound(sorted.begin(), sorted.end(), name,
                             [&](uint32_t i, std::string_view v) { return vmlinux_name(i) < v; });
  for (; it != sorted.end() && vmlinux_name(*it) == name; ++it)
    if (name_ok_[*it] && addr_ok_[*it]) return addr_[*it];
  return std::nullopt;
}

std::vector<std::optional<uint64_t>>
KernelSymbols::scan_vmlinux_symbols(std::initializer_list<std::string_view> names) const {
  std::vector<std::optional<uint64_t>> found(names.size());
  for (size_t i = 0; i < addr_.size(); i++) {
    if (!name_ok_[i] || !addr_ok_[i]) continue;
    const size_t len = name_off_[i + 1] - name_off_[i];
    size_t k = 0;
    for (std::string_view name : names) {
      // The lowest address, and of equal ones the first: vmlinux_symbol()'s order.
      if (name.size() == len && (!found[k] || addr_[i] < *found[k]) && vmlinux_name(i) == name)
        found[k] = addr_[i];
      k++;
    }
  }
  return found;
}

bool KernelSymbols::is_ksym_addr(uint64_t a) const {
  if (kallsyms_all_) return (a >= stext_ && a < end_) || (a >= init_begin_ && a < init_end_);
  return (a >= stext_ && a < etext_) || (a >= sinittext_ && a < einittext_);
}

// get_symbol_pos(), step for step.
std::optional<KernelSymbols::Symbol> KernelSymbols::lookup_vmlinux(uint64_t a, bool& known) const {
  const size_t n = addr_.size();
  size_t low = 0, high = n;
  while (high - low > 1) {
    size_t mid = low + (high - low) / 2;
    if (addr_[mid] <= a)
      low = mid;
    else
      high = mid;
  }
  while (low && addr_[low - 1] == addr_[low])
    --low;
  const uint64_t start = addr_[low];
  uint64_t end = 0;
  size_t last = n - 1;
  for (size_t i = low + 1; i < n; i++)
    if (addr_[i] > start) {
      end = addr_[i];
      last = i;
      break;
    }
  if (!end) {
    if (a >= sinittext_ && a < einittext_)
      end = einittext_;
    else
      end = kallsyms_all_ ? end_ : etext_;
  }
  // Every entry the answer depends on must have been readable.
  for (size_t i = low ? low - 1 : 0; i <= last; i++)
    if (!addr_ok_[i]) return known = false, std::nullopt;
  if (!name_ok_[low]) return known = false, std::nullopt;
  return Symbol{vmlinux_name(low), a - start, end - start, {}, false};
}

// --- lookups ---------------------------------------------------------------------------------

std::optional<KernelSymbols::Symbol> KernelSymbols::lookup(uint64_t a) const {
  bool known;
  return lookup(a, known);
}

std::optional<KernelSymbols::Symbol> KernelSymbols::lookup(uint64_t a, bool& known) const {
  known = true;
  // kallsyms_lookup_buildid(): vmlinux decides alone for its own addresses.
  if (vmlinux_ok_ && is_ksym_addr(a)) return lookup_vmlinux(a, known);
  if (auto s = lookup_module(a, known)) return s;
  for (const Range& r : bpf_) // bpf_tree_comp(): the end is inclusive
    if (a >= r.start && a <= r.end) return Symbol{r.name, a - r.start, r.end - r.start, {}, false};
  for (const Range& r : ftrace_)
    if (a >= r.start && a < r.end)
      return Symbol{r.name, a - r.start, r.end - r.start, r.module, true};
  // Nothing found: the kernel's answer too, unless what was lost could have held a.
  if (vmlinux_damaged_ || lists_damaged_) known = false;
  return std::nullopt;
}

bool KernelSymbols::append_ps(std::string& out, uint64_t addr) const {
  bool known;
  auto s = lookup(addr, known);
  if (!s) {
    fmt::format_to(std::back_inserter(out), "0x{:x}", addr);
    return known;
  }
  out.append(s->name);
  fmt::format_to(std::back_inserter(out), "+{:#x}/{:#x}", s->offset, s->size);
  if (s->in_module) {
    out.append(" [");
    out.append(s->module);
    out.push_back(']');
  }
  return known;
}

std::string KernelSymbols::format_ps(uint64_t addr) const {
  std::string out;
  append_ps(out, addr);
  return out;
}

std::optional<uint64_t> KernelSymbols::address_of(std::string_view name) const {
  if (name.empty()) return std::nullopt;
  if (auto a = vmlinux_symbol(name)) return a;
  // module_kallsyms_lookup_name(): "mod:sym" names one module, otherwise the first module that
  // defines it, by symtab order.
  std::string_view only;
  if (auto colon = name.find(':'); colon != std::string_view::npos) {
    only = name.substr(0, colon);
    name = name.substr(colon + 1);
  }
  for (const Module& mod : modules_) {
    if (!only.empty() && mod.name != only) continue;
    const ModSym* found = nullptr;
    for (const ModSym& s : mod.syms)
      if (std::string_view(mod.names).substr(s.name_off, s.name_len) == name &&
          (!found || s.index < found->index))
        found = &s;
    if (found) return found->value;
  }
  return std::nullopt;
}

std::vector<uint64_t> KernelSymbols::addresses_of(std::string_view name) const {
  std::vector<uint64_t> out;
  const std::vector<uint32_t>& sorted = by_name();
  auto it = std::lower_bound(sorted.begin(), sorted.end(), name,
                             [&](uint32_t i, std::string_view v) { return vmlinux_name(i) < v; });
  for (; it != sorted.end() && vmlinux_name(*it) == name; ++it)
    if (name_ok_[*it] && addr_ok_[*it]) out.push_back(addr_[*it]);
  for (const Module& mod : modules_)
    for (const ModSym& s : mod.syms)
      if (std::string_view(mod.names).substr(s.name_off, s.name_len) == name)
        out.push_back(s.value);
  return out;
}

} // namespace powner
