// SPDX-License-Identifier: GPL-2.0-or-later
#include "crash_types.h"

#include "crash_host.h"
#include "gdb_text.h"

#include <array>
#include <cstdlib>
#include <memory>
#include <vector>

namespace powner::crash {
namespace {

// Names go into gdb commands: only what C names and paths are made of.
bool is_name(std::string_view s, std::string_view extra) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

} // namespace

std::optional<std::string> CrashTypes::gdb(const std::string& command) {
  char* out = nullptr;
  if (!powner_crash_gdb(command.c_str(), &out)) return std::nullopt;
  std::unique_ptr<char, decltype(&std::free)> owned(out, std::free);
  return std::string(out);
}

std::optional<std::vector<uint64_t>> CrashTypes::numbers(const std::vector<std::string>& values) {
  // One request for all: each gdb request costs milliseconds.
  std::string format, args;
  for (const auto& v : values) {
    format += format.empty() ? "%lu" : " %lu";
    args += ", (unsigned long)(" + v + ")";
  }
  auto out = gdb("printf \"" + format + "\\n\"" + args);
  if (!out) return std::nullopt;
  std::vector<uint64_t> result;
  for (auto w : words(trim(*out))) {
    auto n = parse_u64(w);
    if (!n) return std::nullopt;
    result.push_back(*n);
  }
  if (result.size() != values.size()) return std::nullopt;
  return result;
}

std::optional<uint64_t> CrashTypes::number(const std::string& expression) {
  auto n = numbers({expression});
  if (!n) return std::nullopt;
  return n->front();
}

// A type gdb printed without a name: typedef names stand for the type they name, as ptype would
// print it (whatis and "ptype /o" keep them).
std::optional<TypeShape> CrashTypes::shape_of_type(std::string_view type) {
  auto name = typedef_name(type);
  if (!name) return parse_ptype("type = " + std::string(type));
  if (auto it = typedefs_.find(*name); it != typedefs_.end()) return it->second;
  std::optional<TypeShape> shape;
  if (auto text = gdb("ptype " + std::string(*name))) shape = parse_ptype(*text);
  typedefs_.emplace(std::string(*name), shape);
  return shape;
}

// The type of expression as declared: whatis, not ptype, which would print the whole body of a
// struct a pointer points to, resolving every type in it.
std::optional<CrashTypes::Declared> CrashTypes::declared_type(const std::string& expression) {
  auto text = gdb("whatis " + expression);
  if (!text) return std::nullopt;
  std::string_view type = trim(*text);
  if (!starts_with(type, "type = ")) return std::nullopt;
  type.remove_prefix(7);
  auto shape = shape_of_type(type);
  if (!shape) return std::nullopt;
  return Declared{std::string(type), *shape};
}

// A struct's or union's "ptype /o", parsed once. One request for the whole type: naming a struct
// in an expression costs gdb milliseconds (it looks the name up among the source file names too).
const Layout* CrashTypes::layout_of(const std::string& type) {
  auto it = layouts_.find(type);
  if (it == layouts_.end()) {
    std::optional<Layout> layout;
    if (auto text = gdb("ptype /o " + type)) layout = parse_layout(*text);
    it = layouts_.emplace(type, std::move(layout)).first;
  }
  return it->second ? &*it->second : nullptr;
}

// The address (when asked for) and sizes of what expression denotes, of the given shape.
std::optional<CrashTypes::Measured>
CrashTypes::measure(const std::string& expression, const Declared& declared_type, bool address) {
  const TypeShape& shape = declared_type.shape;
  std::vector<std::string> values;
  if (address) values.push_back("&" + expression);
  values.push_back("sizeof(" + expression + ")");
  bool element = shape.kind == TypeKind::Array;
  bool pointee = shape.kind == TypeKind::Pointer && shape.pointee_sized;
  if (element) values.push_back("sizeof((" + expression + ")[0])");
  if (pointee) values.push_back("sizeof(*(" + expression + "))");
  auto n = numbers(values);
  if (!n) return std::nullopt;
  Measured m;
  size_t i = 0;
  if (address) m.address = (*n)[i++];
  m.facts.kind = shape.kind;
  m.facts.size = (*n)[i++];
  if (element) {
    m.facts.element_size = (*n)[i];
    m.facts.array_length = m.facts.element_size ? m.facts.size / m.facts.element_size : 0;
  } else if (pointee) {
    m.facts.element_size = (*n)[i];
  }

  // gdb sizes a value of a struct ending in a flexible array without its tail padding (1160
  // for a 1216-byte struct mem_cgroup); the debug info's size is the type's, by its name.
  if (shape.kind != TypeKind::Struct && shape.kind != TypeKind::Union && !element && !pointee)
    return m;
  std::string_view declared = declared_type.type;
  if (declared.find('{') != std::string_view::npos) return m;
  size_t decl = declared.find_first_of("*([");
  std::string_view head = trim(declared.substr(0, decl));
  std::string_view tail =
      decl == std::string_view::npos ? std::string_view{} : trim(declared.substr(decl));
  for (std::string_view q : {"const ", "volatile "}) {
    if (starts_with(head, q)) head = trim(head.substr(q.size()));
  }
  if (head.empty() || head == "void") return m;
  if (tail.empty() && !element && !pointee) {
    if (auto size = size_of(head)) m.facts.size = *size;
  } else if (pointee && tail == "*") {
    if (auto size = size_of(head)) m.facts.element_size = *size;
  } else if (element && starts_with(tail, "[") && tail.find('[', 1) == std::string_view::npos) {
    if (auto size = size_of(head); size && m.facts.array_length) {
      m.facts.element_size = *size;
      m.facts.size = *size * m.facts.array_length;
    }
  }
  return m;
}

// A gdb convenience variable holding a null pointer to type: gdb looks a type name up in every
// compilation unit each time an expression names it (milliseconds for each), but only once for
// the variable.
std::optional<std::string> CrashTypes::null_pointer_to(std::string_view type) {
  if (auto it = pointers_.find(type); it != pointers_.end()) return it->second;
  std::optional<std::string> var;
  if (is_name(type, " ")) {
    std::string name = "$__powner_" + std::to_string(pointers_.size());
    if (gdb("set var " + name + " = (" + std::string(type) + " *)0")) var = name;
  }
  pointers_.emplace(std::string(type), var);
  return var;
}

std::optional<uint64_t> CrashTypes::size_of(std::string_view type) {
  type = trim(type);
  if (auto it = sizes_.find(type); it != sizes_.end()) return it->second;
  std::optional<uint64_t> size;
  if (!type.empty() && type.back() == '*') {
    size = number("sizeof(void *)");
  } else if (is_name(type, " ")) {
    // A type's size, not a value's: the debug info's, tail padding included. A struct's layout
    // has it, and is wanted for its members anyway.
    const Layout* layout = nullptr;
    if (starts_with(type, "struct ") || starts_with(type, "union "))
      layout = layout_of(std::string(type));
    size = layout ? layout->size : number("sizeof(" + std::string(type) + ")");
    if (size == 0) size.reset(); // declared, never defined
  }
  sizes_.emplace(std::string(type), size);
  return size;
}

std::optional<MemberInfo> CrashTypes::member(std::string_view type, std::string_view member_path) {
  std::string key = std::string(type) + '\0' + std::string(member_path);
  if (auto it = members_.find(key); it != members_.end()) return it->second;
  auto info = resolve_member(type, member_path);
  members_.emplace(std::move(key), info);
  return info;
}

std::optional<MemberInfo> CrashTypes::resolve_member(std::string_view type, std::string_view path) {
  if (!is_name(path, ".") || path.front() == '.' || path.back() == '.' || !is_name(type, " "))
    return std::nullopt;
  if (const Layout* layout = layout_of(std::string(type))) {
    if (const LayoutMember* m = layout->find(path)) {
      if (auto info = member_in_layout(*m)) return info;
    } else if (!layout->find(path.substr(0, path.find('.')))) {
      return std::nullopt; // no such member
    }
  }
  return member_by_expression(type, path);
}

// Bitfields as the DWARF reader reports them: the storage unit aligned to its size within the
// struct or union holding the field, when the field fits in one; bit_offset from that unit's
// least significant bit. bit counts from the start of the holder.
MemberInfo CrashTypes::bitfield(uint64_t holder, uint64_t bit, uint64_t storage, uint32_t width,
                                TypeKind kind) {
  uint64_t unit_bits = storage * 8;
  uint64_t unit_start = bit / unit_bits * unit_bits;
  if (bit - unit_start + width > unit_bits) unit_start = bit / 8 * 8;
  MemberInfo info;
  info.offset = holder + unit_start / 8;
  info.size = storage;
  info.bit_offset = static_cast<uint32_t>(bit - unit_start);
  info.bit_size = width;
  info.kind = kind;
  return info;
}

// A member as its struct's layout gives it; nothing when only the questions on expressions tell
// it as they always did (an array of unknown length, a pointee behind a typedef or in parentheses).
std::optional<MemberInfo> CrashTypes::member_in_layout(const LayoutMember& m) {
  auto shape = shape_of_type(m.type);
  if (!shape) return std::nullopt;
  if (m.width) {
    if (shape->kind != TypeKind::Integer && shape->kind != TypeKind::Enum) return std::nullopt;
    return bitfield(m.holder, m.bit - m.holder * 8, m.size, m.width, shape->kind);
  }
  MemberInfo info;
  info.offset = m.offset;
  info.size = m.size;
  info.kind = shape->kind;
  if (shape->kind == TypeKind::Array) {
    // The first bound is the member's length: "u8 [4][2]" holds 4 elements of "u8 [2]". An
    // array of none ("[0]", "[]") has its elements' size from their type.
    size_t open = m.type.find('[');
    size_t close = m.type.find(']', open);
    if (close == std::string::npos) return std::nullopt;
    std::string_view bound = std::string_view(m.type).substr(open + 1, close - open - 1);
    auto length = bound.empty() ? std::optional<uint64_t>(0) : parse_u64(bound);
    if (!length) return std::nullopt;
    if (*length == 0) {
      auto element = size_of(m.type.substr(0, open) + m.type.substr(close + 1));
      if (m.size != 0 || !element) return std::nullopt;
      info.element_size = *element;
    } else {
      if (m.size % *length != 0) return std::nullopt;
      info.array_length = *length;
      info.element_size = m.size / *length;
    }
  } else if (shape->kind == TypeKind::Pointer && shape->pointee_sized) {
    // "T *" points to a T, sized as a type; "T **" to a pointer.
    size_t star = m.type.find('*');
    if (star == std::string::npos || m.type.find_first_of("([") != std::string::npos)
      return std::nullopt;
    std::string_view head = trim(std::string_view(m.type).substr(0, star));
    std::string_view stars = trim(std::string_view(m.type).substr(star));
    for (std::string_view q : {"const ", "volatile "}) {
      if (starts_with(head, q)) head = trim(head.substr(q.size()));
    }
    std::optional<uint64_t> pointee;
    if (stars == "*")
      pointee = size_of(head);
    else if (stars.find_first_not_of('*') == std::string_view::npos)
      pointee = size_of("void *");
    if (!pointee) return std::nullopt;
    info.element_size = *pointee;
  }
  return info;
}

// A member from gdb's answers on an expression, "$p->css.cgroup" with $p a null pointer to type:
// for members the layout leaves out (paths through typedef'd structs) or a type with no layout
// (gdb prints none for a struct whose size depends on its contents).
std::optional<MemberInfo> CrashTypes::member_by_expression(std::string_view type,
                                                           std::string_view path) {
  auto object = null_pointer_to(type);
  if (!object) return std::nullopt;
  const std::string expression = *object + "->" + std::string(path);
  auto declared = declared_type(expression);
  if (!declared) return std::nullopt; // no such member
  const TypeKind kind = declared->shape.kind;

  // The type that holds the last member, for a bitfield's place ("ptype /o"): gdb gives
  // bitfields an address, the byte holding their first bit.
  size_t dot = path.rfind('.');
  std::string holder = dot == std::string_view::npos
                           ? "*" + *object
                           : *object + "->" + std::string(path.substr(0, dot));
  std::string_view leaf = dot == std::string_view::npos ? path : path.substr(dot + 1);
  const LayoutMember* place = nullptr;
  if (kind == TypeKind::Integer || kind == TypeKind::Enum) {
    if (const Layout* layout = layout_of(holder)) place = layout->find(leaf);
    if (place && !place->width) place = nullptr;
  }
  if (!place) {
    auto m = measure(expression, *declared, true);
    if (!m) return std::nullopt;
    MemberInfo info;
    info.offset = *m->address;
    info.size = m->facts.size;
    info.kind = m->facts.kind;
    info.array_length = m->facts.array_length;
    info.element_size = m->facts.element_size;
    return info;
  }
  uint64_t base = 0;
  if (dot != std::string_view::npos) {
    auto at = number("&" + holder);
    if (!at) return std::nullopt;
    base = *at;
  }
  return bitfield(base, place->bit, place->size, place->width, kind);
}

std::optional<int64_t> CrashTypes::enumerator(std::string_view name) {
  if (auto it = enumerators_.find(name); it != enumerators_.end()) return it->second;
  std::optional<int64_t> value;
  if (is_name(name, "")) {
    // gdb's ptype of an enumerator lists its enum with the values: one cheap request, where
    // crash's enumerator_value() first looks the name up as a struct's.
    auto text = gdb("ptype " + std::string(name));
    if (text) value = parse_enumerator(*text, name);
    int64_t v = 0;
    if (text && !value && powner_crash_enumerator(std::string(name).c_str(), &v)) value = v;
  }
  enumerators_.emplace(std::string(name), value);
  return value;
}

std::optional<VariableInfo> CrashTypes::variable(std::string_view name, std::string_view file) {
  std::string key = std::string(file) + '\0' + std::string(name);
  if (auto it = variables_.find(key); it != variables_.end()) return it->second;
  auto info = resolve_variable(name, file);
  variables_.emplace(std::move(key), info);
  return info;
}

// crash's symbol table alone (external symbols only): no gdb question.
std::optional<uint64_t> CrashTypes::address_of(std::string_view name) {
  if (!is_name(name, "")) return std::nullopt;
  uint64_t address = 0;
  if (powner_crash_symbols(std::string(name).c_str(), 1, &address, 1) < 1) return std::nullopt;
  return address;
}

// A variable's facts from gdb; its address from gdb too unless the symbol table gave it.
std::optional<VariableInfo> CrashTypes::variable_at(const std::string& expression,
                                                    std::optional<uint64_t> address) {
  auto declared = declared_type(expression);
  auto m = declared ? measure(expression, *declared, true) : std::nullopt;
  if (!address && m) address = m->address;
  if (!address) return std::nullopt;
  VariableInfo info;
  info.address = *address;
  // gdb may resolve a name to another file's static of the same name: then its type says
  // nothing about this symbol.
  if (m && m->address == address) {
    info.kind = m->facts.kind;
    info.size = m->facts.size;
    info.array_length = m->facts.array_length;
    info.element_size = m->facts.element_size;
  }
  return info;
}

std::optional<VariableInfo> CrashTypes::resolve_variable(std::string_view name,
                                                         std::string_view file) {
  if (!is_name(name, "")) return std::nullopt;
  const std::string var(name);
  if (file.empty()) {
    auto address = address_of(name);
    if (!address) return std::nullopt;
    return variable_at(var, *address);
  }
  if (!is_name(file, "./-+")) return std::nullopt;
  // gdb's FILE::NAME scope names the compilation unit; its base name also matches.
  std::string_view base =
      file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1);
  for (std::string_view spelling : {file, base}) {
    std::string scoped = "'" + std::string(spelling) + "'::" + var;
    auto declared = declared_type(scoped);
    if (!declared) continue;
    if (auto m = measure(scoped, *declared, true)) {
      VariableInfo info;
      info.address = *m->address;
      info.kind = m->facts.kind;
      info.size = m->facts.size;
      info.array_length = m->facts.array_length;
      info.element_size = m->facts.element_size;
      return info;
    }
    // Location optimised out of the debug info: the symbol table has it if the name is unique.
    std::array<uint64_t, 4> addresses{};
    if (powner_crash_symbols(var.c_str(), 0, addresses.data(), addresses.size()) != 1)
      return std::nullopt;
    VariableInfo info;
    info.address = addresses[0];
    if (auto m = measure(scoped, *declared, false)) {
      info.kind = m->facts.kind;
      info.size = m->facts.size;
      info.array_length = m->facts.array_length;
      info.element_size = m->facts.element_size;
    }
    return info;
  }
  return std::nullopt;
}

} // namespace powner::crash
