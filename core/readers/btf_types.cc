// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/readers/btf_types.h"

#include "powner/status.h"

#include <bpf/btf.h>
#include <cerrno>
#include <cstring>
#include <vector>

namespace powner {

namespace {

// vmlinux BTF is a few MB; anything far beyond is not a .BTF section.
constexpr uint64_t kMaxBtfBytes = 256ULL << 20;
// Nesting of anonymous members and of '.'-separated paths, and typedef chains: C code never
// comes close; a damaged table could loop.
constexpr int kMaxDepth = 32;

} // namespace

struct BtfTypes::Facts {
  TypeKind kind = TypeKind::Other;
  uint64_t size = 0;
  uint64_t array_length = 0;
  uint64_t element_size = 0;
};

std::unique_ptr<BtfTypes> BtfTypes::from_dump(Memory& mem, const KernelSymbols& symbols) {
  // Without a vmlinux the kallsyms tables are found through VMCOREINFO, which lists them only
  // since 5fd8fea935a1 ("vmcoreinfo: include kallsyms symbols", 6.0).
  if (symbols.size() == 0)
    throw Error(Status::NoDebugInfo,
                "the dump does not say where the kernel's kallsyms are (VMCOREINFO lists them "
                "from Linux 6.0 on), so its BTF cannot be found: give the vmlinux with -s");
  auto start = symbols.address_of("__start_BTF");
  auto stop = symbols.address_of("__stop_BTF");
  if (!start || !stop)
    throw Error(Status::NoDebugInfo,
                "the kernel's kallsyms have no __start_BTF/__stop_BTF: no BTF in this kernel");
  if (*stop <= *start || *stop - *start > kMaxBtfBytes)
    throw Error(Status::NoDebugInfo, "the kernel's .BTF bounds are impossible");
  std::vector<unsigned char> raw(*stop - *start);
  if (!mem.read(*start, raw.data(), raw.size()))
    throw Error(Status::NoDebugInfo, "the kernel's BTF is not in the dump");
  struct btf* btf = btf__new(raw.data(), static_cast<uint32_t>(raw.size()));
  if (!btf)
    throw Error(Status::NoDebugInfo,
                std::string("the kernel's BTF cannot be parsed: ") + std::strerror(errno));
  return std::unique_ptr<BtfTypes>(new BtfTypes(btf, &symbols));
}

std::unique_ptr<BtfTypes> BtfTypes::from_file(const std::string& path,
                                              const KernelSymbols* symbols) {
  struct btf* btf = btf__parse_raw(path.c_str());
  if (!btf)
    throw Error(Status::NoDebugInfo, path + ": no usable BTF (" + std::strerror(errno) + ")");
  return std::unique_ptr<BtfTypes>(new BtfTypes(btf, symbols));
}

BtfTypes::~BtfTypes() {
  btf__free(btf_);
}

uint32_t BtfTypes::type_count() const {
  return btf__type_cnt(btf_);
}

// "struct page", "union x", "enum y", or a typedef or base type name.
int32_t BtfTypes::find_type(std::string_view c_name) const {
  struct Prefix {
    std::string_view text;
    uint32_t kind;
  };
  constexpr Prefix prefixes[] = {
      {"struct ", BTF_KIND_STRUCT}, {"union ", BTF_KIND_UNION}, {"enum ", BTF_KIND_ENUM}};
  for (const Prefix& p : prefixes) {
    if (c_name.substr(0, p.text.size()) != p.text) continue;
    std::string name(c_name.substr(p.text.size()));
    int32_t id = btf__find_by_name_kind(btf_, name.c_str(), p.kind);
    if (id < 0 && p.kind == BTF_KIND_ENUM)
      id = btf__find_by_name_kind(btf_, name.c_str(), BTF_KIND_ENUM64);
    return id;
  }
  std::string name(c_name);
  int32_t id = btf__find_by_name_kind(btf_, name.c_str(), BTF_KIND_TYPEDEF);
  if (id < 0) id = btf__find_by_name_kind(btf_, name.c_str(), BTF_KIND_INT);
  return id;
}

std::optional<BtfTypes::Facts> BtfTypes::describe(uint32_t id) const {
  Facts facts;
  if (id == 0) return facts; // void
  int32_t peeled = btf__resolve_type(btf_, id);
  if (peeled < 0) return std::nullopt;
  if (peeled == 0) return facts;
  const struct btf_type* t = btf__type_by_id(btf_, static_cast<uint32_t>(peeled));
  if (!t) return std::nullopt;
  switch (btf_kind(t)) {
  case BTF_KIND_INT:
    facts.kind = TypeKind::Integer;
    facts.size = t->size;
    return facts;
  case BTF_KIND_PTR: {
    facts.kind = TypeKind::Pointer;
    facts.size = static_cast<uint64_t>(btf__pointer_size(btf_));
    int64_t pointee = t->type ? btf__resolve_size(btf_, t->type) : 0;
    facts.element_size = pointee > 0 ? static_cast<uint64_t>(pointee) : 0;
    return facts;
  }
  case BTF_KIND_ARRAY: {
    const struct btf_array* a = btf_array(t);
    int64_t elem = btf__resolve_size(btf_, a->type);
    if (elem < 0) return std::nullopt;
    facts.kind = TypeKind::Array;
    facts.array_length = a->nelems;
    facts.element_size = static_cast<uint64_t>(elem);
    facts.size = facts.array_length * facts.element_size;
    return facts;
  }
  case BTF_KIND_STRUCT:
    facts.kind = TypeKind::Struct;
    facts.size = t->size;
    return facts;
  case BTF_KIND_UNION:
    facts.kind = TypeKind::Union;
    facts.size = t->size;
    return facts;
  case BTF_KIND_ENUM:
  case BTF_KIND_ENUM64:
    facts.kind = TypeKind::Enum;
    facts.size = t->size;
    return facts;
  case BTF_KIND_FLOAT:
    facts.size = t->size;
    return facts;
  default:
    return std::nullopt;
  }
}

std::optional<uint64_t> BtfTypes::size_of(std::string_view type) {
  int32_t id = find_type(type);
  if (id <= 0) return std::nullopt;
  auto facts = describe(static_cast<uint32_t>(id));
  if (!facts) return std::nullopt;
  return facts->size;
}

std::optional<MemberInfo> BtfTypes::member(std::string_view type, std::string_view member_path) {
  int32_t id = find_type(type);
  if (id <= 0) return std::nullopt;
  uint32_t current = static_cast<uint32_t>(id);
  uint64_t base_bits = 0; // of the struct being searched, from the outermost type
  int depth = 0;
  while (!member_path.empty()) {
    if (++depth > kMaxDepth) return std::nullopt;
    size_t dot = member_path.find('.');
    std::string_view part = member_path.substr(0, dot);
    member_path = dot == std::string_view::npos ? std::string_view() : member_path.substr(dot + 1);

    // The member called part, in current or in its anonymous structs and unions (as C finds
    // it): its index in its holder, the holder, and the holder's bit offset.
    struct Found {
      const struct btf_type* holder;
      uint32_t index;
      uint64_t holder_bits;
    };
    std::optional<Found> found;
    auto search = [&](auto& self, uint32_t type_id, uint64_t bits, int level) -> void {
      if (found || level > kMaxDepth) return;
      int32_t peeled = btf__resolve_type(btf_, type_id);
      if (peeled <= 0) return;
      const struct btf_type* t = btf__type_by_id(btf_, static_cast<uint32_t>(peeled));
      if (!t || !btf_is_composite(t)) return;
      const struct btf_member* m = btf_members(t);
      for (uint32_t i = 0; i < btf_vlen(t) && !found; i++) {
        const char* n = btf__name_by_offset(btf_, m[i].name_off);
        std::string_view name = n ? n : "";
        if (name == part) {
          found = Found{t, i, bits};
        } else if (name.empty()) {
          self(self, m[i].type, bits + btf_member_bit_offset(t, i), level + 1);
        }
      }
    };
    search(search, current, base_bits, 0);
    if (!found) return std::nullopt;

    const struct btf_member& m = btf_members(found->holder)[found->index];
    auto facts = describe(m.type);
    if (!facts) return std::nullopt;
    uint64_t bit = found->holder_bits + btf_member_bit_offset(found->holder, found->index);
    uint32_t bit_size = btf_member_bitfield_size(found->holder, found->index);
    if (!bit_size && !btf_kflag(found->holder)) {
      // Without kind_flag a bitfield is an INT whose encoding says it.
      int32_t peeled = btf__resolve_type(btf_, m.type);
      const struct btf_type* mt =
          peeled > 0 ? btf__type_by_id(btf_, static_cast<uint32_t>(peeled)) : nullptr;
      if (mt && btf_is_int(mt) && btf_int_bits(mt) != mt->size * 8) {
        bit += btf_int_offset(mt);
        bit_size = btf_int_bits(mt);
      }
    }
    if (bit_size) {
      if (!member_path.empty()) return std::nullopt;
      // The storage unit holding it, as the DWARF reader reports bitfields.
      uint64_t storage = facts->size;
      if (storage == 0 || bit_size > storage * 8) return std::nullopt;
      uint64_t unit_bits = storage * 8;
      uint64_t unit_start = bit / unit_bits * unit_bits;
      if (bit - unit_start + bit_size > unit_bits) unit_start = bit / 8 * 8;
      MemberInfo info;
      info.offset = unit_start / 8;
      info.size = storage;
      info.bit_offset = static_cast<uint32_t>(bit - unit_start);
      info.bit_size = bit_size;
      info.kind = facts->kind;
      return info;
    }
    if (bit % 8) return std::nullopt;
    if (member_path.empty()) {
      MemberInfo info;
      info.offset = bit / 8;
      info.size = facts->size;
      info.kind = facts->kind;
      info.array_length = facts->array_length;
      info.element_size = facts->element_size;
      return info;
    }
    current = m.type;
    base_bits = bit;
  }
  return std::nullopt;
}

std::optional<int64_t> BtfTypes::enumerator(std::string_view name) {
  if (!enumerators_read_) {
    enumerators_read_ = true;
    for (uint32_t id = 1; id < btf__type_cnt(btf_); id++) {
      const struct btf_type* t = btf__type_by_id(btf_, id);
      if (!t) continue;
      if (btf_is_enum(t)) {
        const struct btf_enum* e = btf_enum(t);
        for (uint32_t i = 0; i < btf_vlen(t); i++) {
          const char* n = btf__name_by_offset(btf_, e[i].name_off);
          // Signed unless kind_flag says unsigned (BTF of kernels before 6.0 has no flag).
          int64_t v = btf_kflag(t) ? static_cast<int64_t>(static_cast<uint32_t>(e[i].val))
                                   : static_cast<int64_t>(e[i].val);
          if (n && *n) enumerators_.try_emplace(n, v);
        }
      } else if (btf_is_enum64(t)) {
        const struct btf_enum64* e = btf_enum64(t);
        for (uint32_t i = 0; i < btf_vlen(t); i++) {
          const char* n = btf__name_by_offset(btf_, e[i].name_off);
          if (n && *n) enumerators_.try_emplace(n, static_cast<int64_t>(btf_enum64_value(&e[i])));
        }
      }
    }
  }
  auto it = enumerators_.find(std::string(name));
  if (it == enumerators_.end()) return std::nullopt;
  return it->second;
}

std::optional<VariableInfo> BtfTypes::variable(std::string_view name, std::string_view file) {
  if (!symbols_) return std::nullopt;
  // kallsyms knows no source files: a static whose name other files reuse is ambiguous.
  auto addresses = symbols_->addresses_of(name);
  if (addresses.empty() || (!file.empty() && addresses.size() > 1)) return std::nullopt;
  VariableInfo info;
  info.address = addresses.front();
  // Its extent in kallsyms: its size, or more by the padding before the next symbol.
  if (auto sym = symbols_->lookup(info.address); sym && sym->offset == 0) info.size = sym->size;
  return info;
}

} // namespace powner
