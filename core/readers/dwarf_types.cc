// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/readers/dwarf_types.h"

#include "dwarf_index.h"
#include "powner/readers/elf_image.h"
#include "powner/status.h"

#include <cstring>
#include <dwarf.h>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace powner {
namespace {

// Bounds on what a damaged or hostile file can make us walk or compute.
constexpr int kMaxTypeChain = 64;    // typedef/qualifier/declaration hops, nested types
constexpr int kMaxAnonNesting = 16;  // anonymous struct/union levels inside one type
constexpr size_t kMaxPathParts = 16; // components of "a.b.c"
constexpr size_t kMaxArrayDims = 16;
constexpr uint64_t kMaxObjectSize = uint64_t{1} << 48;
constexpr uint64_t kMaxBitfieldBytes = 16;

using Kind = DwarfIndex::Kind;
using Entry = DwarfIndex::Entry;

struct Facts {
  TypeKind kind = TypeKind::Other;
  uint64_t size = 0;
  uint64_t array_length = 0;
  uint64_t element_size = 0;
};

bool checked_add(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out) && *out <= kMaxObjectSize * 8;
}

bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out) && *out <= kMaxObjectSize;
}

// A constant-class attribute as an unsigned value (udata, data1..8; sdata reinterpreted).
std::optional<uint64_t> attr_udata(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, name, &attr) == nullptr) return std::nullopt;
  switch (dwarf_whatform(&attr)) {
  case DW_FORM_data1:
  case DW_FORM_data2:
  case DW_FORM_data4:
  case DW_FORM_data8:
  case DW_FORM_udata:
  case DW_FORM_sdata:
  case DW_FORM_implicit_const: {
    Dwarf_Word value;
    if (dwarf_formudata(&attr, &value) != 0) return std::nullopt;
    return value;
  }
  default:
    return std::nullopt;
  }
}

std::optional<uint64_t> attr_size(Dwarf_Die* die, unsigned name) {
  auto value = attr_udata(die, name);
  if (!value || *value > kMaxObjectSize) return std::nullopt;
  return value;
}

// DW_AT_data_member_location: a constant, or (DWARF 2) an expression that in practice is
// one DW_OP_plus_uconst. 0 when absent (union members).
std::optional<uint64_t> member_location(Dwarf_Die* member) {
  Dwarf_Attribute attr;
  if (dwarf_attr(member, DW_AT_data_member_location, &attr) == nullptr) return 0;
  if (auto value = attr_size(member, DW_AT_data_member_location)) return value;
  Dwarf_Op* ops;
  size_t nops;
  if (dwarf_getlocation(&attr, &ops, &nops) != 0 || nops != 1 || ops[0].atom != DW_OP_plus_uconst ||
      ops[0].number > kMaxObjectSize) {
    return std::nullopt;
  }
  return ops[0].number;
}

bool type_of(Dwarf_Die* die, Dwarf_Die* out) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, DW_AT_type, &attr) == nullptr) return false;
  return dwarf_formref_die(&attr, out) != nullptr;
}

// "struct page" -> (Struct, "page"); "unsigned long" -> (Typedef, "unsigned long").
std::optional<std::pair<Kind, std::string>> parse_type_name(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t')
      ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  if (words.empty() || words.size() > 8) return std::nullopt;
  if (words.size() == 2) {
    if (words[0] == "struct") return std::pair{Kind::Struct, std::string(words[1])};
    if (words[0] == "union") return std::pair{Kind::Union, std::string(words[1])};
    if (words[0] == "enum") return std::pair{Kind::Enum, std::string(words[1])};
  }
  std::string joined;
  for (auto w : words) {
    if (!joined.empty()) joined.push_back(' ');
    joined.append(w);
  }
  return std::pair{Kind::Typedef, std::move(joined)};
}

// gcc's spelling of C integer type names.
std::string_view gcc_base_name(std::string_view c_name) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"unsigned long", "long unsigned int"},
      {"unsigned long int", "long unsigned int"},
      {"long", "long int"},
      {"signed long", "long int"},
      {"unsigned long long", "long long unsigned int"},
      {"long long", "long long int"},
      {"unsigned", "unsigned int"},
      {"unsigned short", "short unsigned int"},
      {"short", "short int"},
      {"signed", "int"},
  };
  for (auto [c, g] : kNames) {
    if (c == c_name) return g;
  }
  return {};
}

struct DwarfEnd {
  void operator()(Dwarf* dwarf) const { dwarf_end(dwarf); }
};
using DwarfHandle = std::unique_ptr<Dwarf, DwarfEnd>;

// The DWARF of an opened image, after the checks that keep libdw inside the file.
DwarfHandle open_dwarf(const ElfImage& image) {
  const std::string& file = image.path();
  Elf* elf = image.elf();
  // A file cut short loses the end of .debug_info.
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    const char* name = elf_strptr(elf, image.shstrndx(), shdr.sh_name);
    if (name == nullptr) continue;
    if ((std::strcmp(name, ".debug_info") == 0 || std::strcmp(name, ".zdebug_info") == 0) &&
        shdr.sh_type != SHT_NOBITS && shdr.sh_size > 0 && elf_rawdata(scn, nullptr) == nullptr) {
      throw Error(Status::Unreadable,
                  file + ": truncated or corrupt ELF file (" + name + " cannot be read)");
    }
  }
  if (!image.has_debug_info()) throw Error(Status::NoDebugInfo, file + ": no DWARF debug info");
  DwarfHandle dwarf(dwarf_begin_elf(elf, DWARF_C_READ, nullptr));
  if (dwarf == nullptr) {
    throw Error(Status::NoDebugInfo,
                file + ": no DWARF debug info (" + dwarf_errmsg(dwarf_errno()) + ")");
  }
  // libdw hands out names as pointers into these sections without a length: a section
  // that does not end in NUL would let strlen run off its end.
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type == SHT_NOBITS) continue;
    const char* name = elf_strptr(elf, image.shstrndx(), shdr.sh_name);
    if (name == nullptr ||
        (std::strcmp(name, ".debug_str") != 0 && std::strcmp(name, ".zdebug_str") != 0 &&
         std::strcmp(name, ".debug_line_str") != 0)) {
      continue;
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data != nullptr && data->d_size > 0 &&
        (data->d_buf == nullptr || static_cast<const char*>(data->d_buf)[data->d_size - 1] != 0)) {
      throw Error(Status::NoDebugInfo, file + ": corrupt DWARF (" + name + " is not terminated)");
    }
  }
  return dwarf;
}

} // namespace

struct DwarfTypes::Impl {
  Impl(const std::string& path, uint64_t kaslr_offset)
      : kaslr(kaslr_offset), image(path), dwarf(open_dwarf(image)), names(dwarf.get()) {}

  uint64_t kaslr = 0;
  ElfImage image;
  DwarfHandle dwarf; // after image: ended before the ELF handle it reads
  DwarfIndex names;

  std::unordered_map<std::string, std::optional<MemberInfo>> members;
  std::unordered_map<std::string, std::optional<VariableInfo>> variables;

  std::optional<Entry> find(Kind kind, std::string_view name) { return names.find(kind, name); }

  // Types
  std::optional<Dwarf_Die> die_at(Dwarf_Off off);
  std::optional<Dwarf_Die> peel(Dwarf_Die die);
  std::optional<Facts> describe(Dwarf_Die* type, int depth);
  std::optional<Dwarf_Die> named_type(std::string_view text);
  bool find_member(Dwarf_Die* agg, std::string_view name, uint64_t base, int depth, Dwarf_Die* out,
                   uint64_t* out_base);
  std::optional<MemberInfo> resolve_member(std::string_view type, std::string_view member_path);
  std::optional<int64_t> enumerator_value(const Entry& entry);

  // Variables
  std::optional<uint64_t> static_address(Dwarf_Die* die);
  bool usable_variable(const Entry& entry);
  std::optional<VariableInfo> resolve_variable(std::string_view name, std::string_view file);
};

std::optional<Dwarf_Die> DwarfTypes::Impl::die_at(Dwarf_Off off) {
  Dwarf_Die die;
  if (dwarf_offdie(dwarf.get(), off, &die) == nullptr) return std::nullopt;
  return die;
}

// Follows typedefs and qualifiers, and replaces a declared-only struct/union/enum by its
// definition from another CU. nullopt for void.
std::optional<Dwarf_Die> DwarfTypes::Impl::peel(Dwarf_Die die) {
  for (int hop = 0; hop < kMaxTypeChain; ++hop) {
    switch (dwarf_tag(&die)) {
    case DW_TAG_typedef:
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
    case DW_TAG_restrict_type:
    case DW_TAG_atomic_type: {
      Dwarf_Die next;
      if (!type_of(&die, &next)) return std::nullopt;
      die = next;
      continue;
    }
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_enumeration_type: {
      if (!dwarf_hasattr(&die, DW_AT_declaration)) return die;
      const char* name = dwarf_diename(&die);
      if (name == nullptr) return die;
      int tag = dwarf_tag(&die);
      Kind kind = tag == DW_TAG_structure_type ? Kind::Struct
                  : tag == DW_TAG_union_type   ? Kind::Union
                                               : Kind::Enum;
      auto entry = find(kind, name);
      if (!entry) return die;
      auto def = die_at(entry->die);
      return def ? *def : die;
    }
    default:
      return die;
    }
  }
  return std::nullopt;
}

std::optional<Facts> DwarfTypes::Impl::describe(Dwarf_Die* type, int depth) {
  if (depth > kMaxTypeChain) return std::nullopt;
  Facts facts;
  if (type == nullptr) return facts; // void
  auto peeled = peel(*type);
  if (!peeled) return facts;
  Dwarf_Die die = *peeled;
  switch (dwarf_tag(&die)) {
  case DW_TAG_base_type: {
    auto encoding = attr_udata(&die, DW_AT_encoding);
    bool integral = !encoding || (*encoding != DW_ATE_float && *encoding != DW_ATE_complex_float);
    facts.kind = integral ? TypeKind::Integer : TypeKind::Other;
    facts.size = attr_size(&die, DW_AT_byte_size).value_or(0);
    return facts;
  }
  case DW_TAG_pointer_type:
  case DW_TAG_reference_type:
  case DW_TAG_rvalue_reference_type: {
    facts.kind = TypeKind::Pointer;
    facts.size = attr_size(&die, DW_AT_byte_size).value_or(image.address_size());
    Dwarf_Die pointee;
    if (type_of(&die, &pointee)) {
      if (auto inner = describe(&pointee, depth + 1)) facts.element_size = inner->size;
    }
    return facts;
  }
  case DW_TAG_array_type: {
    std::vector<uint64_t> dims;
    bool bad = false;
    for_each_child(&die, [&](Dwarf_Die& sub) {
      int tag = dwarf_tag(&sub);
      if (tag != DW_TAG_subrange_type && tag != DW_TAG_enumeration_type) return false;
      uint64_t n = 0;
      if (auto count = attr_udata(&sub, DW_AT_count)) {
        n = *count;
      } else if (auto upper = attr_udata(&sub, DW_AT_upper_bound)) {
        uint64_t lower = attr_udata(&sub, DW_AT_lower_bound).value_or(0);
        // gcc writes an upper bound of -1 for zero-length arrays.
        if (*upper != std::numeric_limits<uint64_t>::max() && *upper >= lower) {
          n = *upper - lower + 1;
        }
      }
      if (n > kMaxObjectSize) n = 0;
      dims.push_back(n);
      bad = dims.size() > kMaxArrayDims;
      return bad;
    });
    if (bad) return std::nullopt;
    Dwarf_Die elem;
    auto elem_facts = type_of(&die, &elem) ? describe(&elem, depth + 1) : std::nullopt;
    if (!elem_facts) return std::nullopt;
    uint64_t elem_size = elem_facts->size;
    for (size_t i = 1; i < dims.size(); ++i) {
      if (!checked_mul(elem_size, dims[i], &elem_size)) return std::nullopt;
    }
    facts.kind = TypeKind::Array;
    facts.array_length = dims.empty() ? 0 : dims[0];
    facts.element_size = elem_size;
    if (!checked_mul(facts.array_length, elem_size, &facts.size)) return std::nullopt;
    return facts;
  }
  case DW_TAG_structure_type:
  case DW_TAG_class_type:
    facts.kind = TypeKind::Struct;
    facts.size = attr_size(&die, DW_AT_byte_size).value_or(0);
    return facts;
  case DW_TAG_union_type:
    facts.kind = TypeKind::Union;
    facts.size = attr_size(&die, DW_AT_byte_size).value_or(0);
    return facts;
  case DW_TAG_enumeration_type:
    facts.kind = TypeKind::Enum;
    facts.size = attr_size(&die, DW_AT_byte_size).value_or(0);
    return facts;
  default:
    facts.size = attr_size(&die, DW_AT_byte_size).value_or(0);
    return facts;
  }
}

std::optional<Dwarf_Die> DwarfTypes::Impl::named_type(std::string_view text) {
  auto parsed = parse_type_name(text);
  if (!parsed) return std::nullopt;
  std::optional<Entry> entry;
  // gcc's spelling first: a miss on the C spelling would search every CU.
  std::string_view alias = parsed->first == Kind::Typedef ? gcc_base_name(parsed->second) : "";
  if (!alias.empty()) entry = find(Kind::Typedef, alias);
  if (!entry) entry = find(parsed->first, parsed->second);
  if (!entry) return std::nullopt;
  return die_at(entry->die);
}

// A member by name in a struct/union, descending into anonymous members as C does.
// *out_base receives the offset of the struct that directly holds it.
bool DwarfTypes::Impl::find_member(Dwarf_Die* agg, std::string_view name, uint64_t base, int depth,
                                   Dwarf_Die* out, uint64_t* out_base) {
  if (depth > kMaxAnonNesting) return false;
  bool hit = false;
  for_each_child(agg, [&](Dwarf_Die& child) {
    if (dwarf_tag(&child) != DW_TAG_member) return false;
    const char* child_name = dwarf_diename(&child);
    if (child_name != nullptr) {
      if (name != child_name) return false;
      *out = child;
      *out_base = base;
      hit = true;
      return true;
    }
    Dwarf_Die type;
    if (!type_of(&child, &type)) return false;
    auto inner = peel(type);
    if (!inner) return false;
    int tag = dwarf_tag(&*inner);
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type) return false;
    auto loc = member_location(&child);
    uint64_t inner_base;
    if (!loc || !checked_add(base, *loc, &inner_base)) return false;
    hit = find_member(&*inner, name, inner_base, depth + 1, out, out_base);
    return hit;
  });
  return hit;
}

std::optional<MemberInfo> DwarfTypes::Impl::resolve_member(std::string_view type,
                                                           std::string_view member_path) {
  auto start = named_type(type);
  if (!start) return std::nullopt;
  std::vector<std::string_view> parts;
  for (size_t pos = 0;;) {
    size_t dot = member_path.find('.', pos);
    std::string_view part =
        member_path.substr(pos, dot == std::string_view::npos ? dot : dot - pos);
    if (part.empty() || parts.size() == kMaxPathParts) return std::nullopt;
    parts.push_back(part);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }

  Dwarf_Die current = *start;
  uint64_t base = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto agg = peel(current);
    if (!agg) return std::nullopt;
    int tag = dwarf_tag(&*agg);
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type) return std::nullopt;
    Dwarf_Die member;
    uint64_t holder;
    if (!find_member(&*agg, parts[i], base, 0, &member, &holder)) return std::nullopt;

    Dwarf_Die member_type;
    if (!type_of(&member, &member_type)) return std::nullopt;
    auto facts = describe(&member_type, 0);
    if (!facts) return std::nullopt;

    auto loc = member_location(&member);
    if (!loc || holder > kMaxObjectSize) return std::nullopt;

    auto bit_size = attr_udata(&member, DW_AT_bit_size);
    if (bit_size) {
      if (i + 1 != parts.size()) return std::nullopt;
      uint64_t storage = attr_size(&member, DW_AT_byte_size).value_or(facts->size);
      if (storage == 0 || storage > kMaxBitfieldBytes || *bit_size == 0 ||
          *bit_size > storage * 8) {
        return std::nullopt;
      }
      // Absolute bit position from the start of the outermost type.
      uint64_t bit = holder * 8;
      if (auto data_bit = attr_udata(&member, DW_AT_data_bit_offset)) {
        if (!checked_add(bit, *data_bit, &bit)) return std::nullopt;
      } else {
        if (!checked_add(bit, *loc * 8, &bit)) return std::nullopt;
        // DWARF 2-4: counted from the storage unit's most significant bit.
        uint64_t msb_offset = attr_udata(&member, DW_AT_bit_offset).value_or(0);
        if (msb_offset > storage * 8 || msb_offset + *bit_size > storage * 8) return std::nullopt;
        uint64_t shift = image.little_endian() ? storage * 8 - msb_offset - *bit_size : msb_offset;
        if (!checked_add(bit, shift, &bit)) return std::nullopt;
      }
      uint64_t unit_bits = storage * 8;
      uint64_t unit_start = bit / unit_bits * unit_bits;
      if (bit - unit_start + *bit_size > unit_bits) unit_start = bit / 8 * 8;
      MemberInfo info;
      info.offset = unit_start / 8;
      info.size = storage;
      info.bit_offset = static_cast<uint32_t>(bit - unit_start);
      info.bit_size = static_cast<uint32_t>(*bit_size);
      info.kind = facts->kind;
      return info;
    }

    uint64_t offset;
    if (!checked_add(holder, *loc, &offset) || offset > kMaxObjectSize) return std::nullopt;
    if (i + 1 == parts.size()) {
      MemberInfo info;
      info.offset = offset;
      info.size = facts->size;
      info.kind = facts->kind;
      info.array_length = facts->array_length;
      info.element_size = facts->element_size;
      return info;
    }
    current = member_type;
    base = offset;
  }
  return std::nullopt;
}

std::optional<int64_t> DwarfTypes::Impl::enumerator_value(const Entry& entry) {
  auto die = die_at(entry.die);
  if (!die) return std::nullopt;
  Dwarf_Attribute attr;
  if (dwarf_attr(&*die, DW_AT_const_value, &attr) == nullptr) return std::nullopt;
  unsigned form = dwarf_whatform(&attr);
  if (form == DW_FORM_sdata || form == DW_FORM_implicit_const) {
    Dwarf_Sword value;
    if (dwarf_formsdata(&attr, &value) != 0) return std::nullopt;
    return value;
  }
  Dwarf_Word value;
  if (dwarf_formudata(&attr, &value) != 0) return std::nullopt;
  unsigned width = form == DW_FORM_data1   ? 1
                   : form == DW_FORM_data2 ? 2
                   : form == DW_FORM_data4 ? 4
                                           : 8;
  // gcc writes negative enumerators as sdata; a fixed-size form holds the value's bits,
  // negative only when it fills a signed enum's full width.
  auto parent = die_at(entry.parent);
  if (parent && width < 8) {
    uint64_t enum_size = attr_size(&*parent, DW_AT_byte_size).value_or(0);
    Dwarf_Die underlying;
    bool is_signed = false;
    if (type_of(&*parent, &underlying)) {
      auto base = peel(underlying);
      auto encoding = base ? attr_udata(&*base, DW_AT_encoding) : std::nullopt;
      is_signed = encoding && (*encoding == DW_ATE_signed || *encoding == DW_ATE_signed_char);
    }
    if (is_signed && enum_size == width) {
      uint64_t sign = uint64_t{1} << (width * 8 - 1);
      if (value & sign) value |= ~((sign << 1) - 1);
    }
  }
  return static_cast<int64_t>(value);
}

std::optional<uint64_t> DwarfTypes::Impl::static_address(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  if (dwarf_attr(die, DW_AT_location, &attr) == nullptr) return std::nullopt;
  Dwarf_Op* ops;
  size_t nops;
  if (dwarf_getlocation(&attr, &ops, &nops) != 0 || nops != 1) return std::nullopt;
  if (ops[0].atom == DW_OP_addr) return ops[0].number;
  if (ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) {
    Dwarf_Attribute addr_attr;
    Dwarf_Addr addr;
    if (dwarf_getlocation_attr(&attr, ops, &addr_attr) == 0 &&
        dwarf_formaddr(&addr_attr, &addr) == 0) {
      return addr;
    }
  }
  return std::nullopt;
}

// A DIE whose type tells everything: a definition, or a declaration whose type is
// complete (declarations of arrays often leave the length out).
bool DwarfTypes::Impl::usable_variable(const Entry& entry) {
  auto die = die_at(entry.die);
  if (!die) return false;
  if (!dwarf_hasattr(&*die, DW_AT_declaration)) return true;
  Dwarf_Die type;
  if (!type_of(&*die, &type)) return false;
  auto facts = describe(&type, 0);
  return facts && (facts->kind != TypeKind::Array || facts->array_length > 0);
}

std::optional<VariableInfo> DwarfTypes::Impl::resolve_variable(std::string_view name,
                                                               std::string_view file) {
  std::optional<Dwarf_Die> die;
  std::optional<uint64_t> address;
  std::optional<ElfSymbol> symbol;
  if (!file.empty()) {
    // The file's own statics first, then a global it defines.
    for (const DwarfIndex::NameIndex* idx : names.file_indexes(file)) {
      for (Kind kind : {Kind::Static, Kind::Variable}) {
        auto it = idx->find(DwarfIndex::NameKey{kind, name});
        if (it == idx->end()) continue;
        die = die_at(it->second.die);
        if (die) address = static_address(&*die);
        if (address) break;
      }
      if (address) break;
    }
    if (!die) return std::nullopt;
    if (!address) {
      // Location optimised away in DWARF: the symbol table still has it.
      symbol = image.local_symbol(file, name);
      if (!symbol) return std::nullopt;
      address = symbol->value;
    }
  } else {
    std::optional<Entry> entry;
    if (image.has_symtab()) {
      symbol = image.global(name);
      if (!symbol) return std::nullopt;
      address = symbol->value;
      // With the symbol's size even a declaration without array bounds will do.
      DwarfIndex::Accept usable;
      if (symbol->size == 0) usable = [this](const Entry& e) { return usable_variable(e); };
      entry = names.find(Kind::Variable, name, usable);
    } else {
      // No .symtab: only a definition's DW_AT_location gives the address.
      entry = names.find(Kind::Variable, name, [](const Entry& e) { return !e.declaration; });
      if (!entry || entry->declaration) return std::nullopt;
    }
    if (entry) die = die_at(entry->die);
    if (!address && die) address = static_address(&*die);
    if (!address) return std::nullopt;
  }

  VariableInfo info;
  info.address = *address + kaslr;
  Dwarf_Die type;
  std::optional<Facts> facts;
  if (die && type_of(&*die, &type)) facts = describe(&type, 0);
  if (facts) {
    info.kind = facts->kind;
    info.size = facts->size;
    info.array_length = facts->array_length;
    info.element_size = facts->element_size;
  }
  if (symbol && symbol->size > 0 && symbol->size <= kMaxObjectSize) {
    if (info.kind == TypeKind::Array && info.array_length == 0 && info.element_size > 0) {
      info.array_length = symbol->size / info.element_size;
      info.size = info.array_length * info.element_size;
    }
    if (info.size == 0) info.size = symbol->size;
  }
  return info;
}

DwarfTypes::DwarfTypes(const std::string& vmlinux_path, uint64_t kaslr_offset)
    : impl_(std::make_unique<Impl>(vmlinux_path, kaslr_offset)) {}

DwarfTypes::~DwarfTypes() = default;

std::optional<uint64_t> DwarfTypes::size_of(std::string_view type) {
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.remove_suffix(1);
  if (!type.empty() && type.back() == '*') return impl_->image.address_size();
  auto die = impl_->named_type(type);
  if (!die) return std::nullopt;
  auto facts = impl_->describe(&*die, 0);
  if (!facts || facts->size == 0) return std::nullopt;
  return facts->size;
}

std::optional<MemberInfo> DwarfTypes::member(std::string_view type, std::string_view member_path) {
  std::string key;
  key.append(type).push_back('\0');
  key.append(member_path);
  auto it = impl_->members.find(key);
  if (it != impl_->members.end()) return it->second;
  auto info = impl_->resolve_member(type, member_path);
  impl_->members.emplace(std::move(key), info);
  return info;
}

std::optional<int64_t> DwarfTypes::enumerator(std::string_view name) {
  auto entry = impl_->find(Kind::Enumerator, name);
  if (!entry) return std::nullopt;
  return impl_->enumerator_value(*entry);
}

std::optional<VariableInfo> DwarfTypes::variable(std::string_view name, std::string_view file) {
  std::string key;
  key.append(file).push_back('\0');
  key.append(name);
  auto it = impl_->variables.find(key);
  if (it != impl_->variables.end()) return it->second;
  auto info = impl_->resolve_variable(name, file);
  impl_->variables.emplace(std::move(key), info);
  return info;
}

std::optional<uint64_t> DwarfTypes::address_of(std::string_view name) {
  if (!impl_->image.has_symtab()) return Types::address_of(name);
  auto symbol = impl_->image.global(name);
  if (!symbol) return std::nullopt;
  return symbol->value + impl_->kaslr;
}

std::string DwarfTypes::build_id() const {
  return impl_->image.build_id();
}

std::string DwarfTypes::release() const {
  return impl_->image.release();
}

bool DwarfTypes::walked_every_unit() const {
  return impl_->names.walked_every_unit();
}

} // namespace powner
