#include "kallsyms.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fmt/format.h>
#include <iterator>
#include <unordered_set>
#include <utility>

namespace powner {
namespace {

constexpr size_t kNameMax = 511;                 // KSYM_NAME_LEN - 1
constexpr uint64_t kMaxSyms = 1u << 23;          // far above any real kernel
constexpr uint64_t kMaxNamesBytes = 64u << 20;   // kallsyms_names, module string tables
constexpr size_t kMaxExpandedBytes = 256u << 20; // decoded vmlinux names
constexpr uint64_t kMaxModSyms = 1u << 21;
constexpr size_t kMaxListNodes = 1u << 16; // modules, BPF images, ftrace maps and functions
constexpr uint64_t kPage = 4096;           // granularity of the fallback reads
constexpr size_t kChunk = 256u << 10;
constexpr size_t kElfSymSize = 24; // Elf64_Sym
constexpr uint64_t kModuleStateUnformed = 3;

uint64_t load_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;)
    v = (v << 8) | p[i];
  return v;
}

// Bytes read from the dump, with a note of which pages were unavailable: a damaged dump loses
// pages, not whole tables.
class Block {
public:
  explicit Block(uint64_t addr = 0) : addr_(addr) {}

  // Reads the next len bytes.
  void append(Memory& memory, size_t len) {
    uint64_t start = addr_ + bytes_.size();
    if (len == 0) return;
    size_t old = bytes_.size();
    bytes_.resize(old + len);
    if (start + len < start) return; // wraps: nothing there, and ok() says so
    page_ok_.resize(page(start + len - 1) + 1, 1);
    if (memory.read(start, bytes_.data() + old, len)) return;
    // Retry page by page so that one missing page costs only itself.
    for (uint64_t a = start; a < start + len;) {
      uint64_t next = std::min<uint64_t>((a & ~(kPage - 1)) + kPage, start + len);
      if (!memory.read(a, bytes_.data() + old + (a - start), next - a)) page_ok_[page(a)] = 0;
      a = next;
    }
  }

  void read(Memory& memory, size_t len) { append(memory, len); }

  // [off, off + len) was read and is available.
  bool ok(uint64_t off, uint64_t len) const {
    if (off > bytes_.size() || len > bytes_.size() - off) return false;
    if (len == 0) return true;
    uint64_t first = page(addr_ + off), last = page(addr_ + off + len - 1);
    if (last < first) return false;
    for (uint64_t p = first; p <= last; p++)
      if (p >= page_ok_.size() || !page_ok_[p]) return false;
    return true;
  }

  size_t size() const { return bytes_.size(); }
  const uint8_t* data() const { return bytes_.data(); }
  uint64_t u(uint64_t off, size_t n) const { return load_le(bytes_.data() + off, n); }

private:
  uint64_t page(uint64_t a) const { return (a / kPage) - (addr_ / kPage); }

  uint64_t addr_;
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> page_ok_;
};

Block read_block(Memory& memory, uint64_t addr, size_t len) {
  Block b(addr);
  b.read(memory, len);
  return b;
}

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
    if (auto v = types.variable(name)) return v->address;
    return std::nullopt;
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
    if (auto v = types.variable("kallsyms_markers")) candidates.push_back(v->address);
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
        const uint8_t* p = names.data() + off + hdr;
        size_t before = names_.size();
        bool skipped_type = false;
        for (uint64_t k = 0; k < len && names_.size() - before < kNameMax; k++) {
          std::string_view t = tokens[p[k]];
          if (!skipped_type && !t.empty()) {
            t.remove_prefix(1);
            skipped_type = true;
          }
          names_.append(t.substr(0, kNameMax - (names_.size() - before)));
        }
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

  by_name_.resize(n);
  for (size_t i = 0; i < n; i++)
    by_name_[i] = static_cast<uint32_t>(i);
  std::sort(by_name_.begin(), by_name_.end(), [&](uint32_t a, uint32_t b) {
    auto na = vmlinux_name(a), nb = vmlinux_name(b);
    if (na != nb) return na < nb;
    if (addr_[a] != addr_[b]) return addr_[a] < addr_[b];
    return a < b;
  });

  // Section bounds that is_ksym_addr() and the end of the table use.
  auto sym = [&](std::string_view name) { return vmlinux_symbol(name).value_or(0); };
  stext_ = sym("_stext");
  if (auto s = vmcoreinfo.symbol("_stext")) {
    if (stext_ && stext_ != *s) {
      warn(fmt::format("kallsyms: decoded _stext {:#x} disagrees with VMCOREINFO {:#x}", stext_,
                       *s));
      return;
    }
    stext_ = *s;
  }
  etext_ = sym("_etext");
  sinittext_ = sym("_sinittext");
  einittext_ = sym("_einittext");
  // Without KALLSYMS_ALL only text symbols (and __start_/__stop_ markers) are kept, and _end is
  // not one of them.
  end_ = sym("_end");
  kallsyms_all_ = end_ != 0;
  init_begin_ = sym("__init_begin");
  init_end_ = sym("__init_end");
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

std::optional<uint64_t> KernelSymbols::vmlinux_symbol(std::string_view name) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [&](uint32_t i, std::string_view v) { return vmlinux_name(i) < v; });
  for (; it != by_name_.end() && vmlinux_name(*it) == name; ++it)
    if (name_ok_[*it] && addr_ok_[*it]) return addr_[*it];
  return std::nullopt;
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
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [&](uint32_t i, std::string_view v) { return vmlinux_name(i) < v; });
  for (; it != by_name_.end() && vmlinux_name(*it) == name; ++it)
    if (name_ok_[*it] && addr_ok_[*it]) out.push_back(addr_[*it]);
  for (const Module& mod : modules_)
    for (const ModSym& s : mod.syms)
      if (std::string_view(mod.names).substr(s.name_off, s.name_len) == name)
        out.push_back(s.value);
  return out;
}

} // namespace powner
