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

std::optional<TypeShape> CrashTypes::shape_of(const std::string& expression) {
  auto text = gdb("ptype " + expression);
  if (!text) return std::nullopt;
  return parse_ptype(*text);
}

// The address (when asked for) and sizes of what expression denotes, of the given shape.
std::optional<CrashTypes::Measured> CrashTypes::measure(const std::string& expression,
                                                        const TypeShape& shape, bool address) {
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
  auto text = gdb("whatis " + expression);
  if (!text) return m;
  std::string_view declared = trim(*text);
  if (!starts_with(declared, "type = ") || declared.find('{') != std::string_view::npos) return m;
  declared.remove_prefix(7);
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
    // A type's size, not a value's: the debug info's, tail padding included.
    size = number("sizeof(" + std::string(type) + ")");
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
  if (!is_name(path, ".") || path.front() == '.' || path.back() == '.') return std::nullopt;
  auto object = null_pointer_to(type);
  if (!object) return std::nullopt;
  const std::string expression = *object + "->" + std::string(path);
  auto shape = shape_of(expression);
  if (!shape) return std::nullopt; // no such member

  // The type that holds the last member, for a bitfield's place ("ptype /o"): gdb gives
  // bitfields an address, the byte holding their first bit.
  size_t dot = path.rfind('.');
  std::string holder = dot == std::string_view::npos
                           ? "*" + *object
                           : *object + "->" + std::string(path.substr(0, dot));
  std::string_view leaf = dot == std::string_view::npos ? path : path.substr(dot + 1);
  std::optional<BitfieldPlace> place;
  if (shape->kind == TypeKind::Integer || shape->kind == TypeKind::Enum) {
    auto& layout = layouts_[holder];
    if (!layout) layout = gdb("ptype /o " + holder).value_or("");
    place = parse_ptype_offsets(*layout, leaf);
  }
  if (!place) {
    auto m = measure(expression, *shape, true);
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
  // As the DWARF reader reports it: the storage unit aligned to its size when the field fits
  // in one, bit_offset from that unit's least significant bit.
  uint64_t unit_bits = place->storage * 8;
  uint64_t unit_start = place->bit / unit_bits * unit_bits;
  if (place->bit - unit_start + place->width > unit_bits) unit_start = place->bit / 8 * 8;
  MemberInfo info;
  info.offset = base + unit_start / 8;
  info.size = place->storage;
  info.bit_offset = static_cast<uint32_t>(place->bit - unit_start);
  info.bit_size = place->width;
  info.kind = shape->kind;
  return info;
}

std::optional<int64_t> CrashTypes::enumerator(std::string_view name) {
  if (auto it = enumerators_.find(name); it != enumerators_.end()) return it->second;
  std::optional<int64_t> value;
  int64_t v = 0;
  if (is_name(name, "") && powner_crash_enumerator(std::string(name).c_str(), &v)) value = v;
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

// A variable's facts from gdb; its address from gdb too unless the symbol table gave it.
std::optional<VariableInfo> CrashTypes::variable_at(const std::string& expression,
                                                    std::optional<uint64_t> address) {
  auto shape = shape_of(expression);
  auto m = shape ? measure(expression, *shape, true) : std::nullopt;
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
  std::array<uint64_t, 4> addresses{};
  if (file.empty()) {
    // External linkage only, as the symbol table's global entries.
    int n = powner_crash_symbols(var.c_str(), 1, addresses.data(), addresses.size());
    if (n < 1) return std::nullopt;
    return variable_at(var, addresses[0]);
  }
  if (!is_name(file, "./-+")) return std::nullopt;
  // gdb's FILE::NAME scope names the compilation unit; its base name also matches.
  std::string_view base =
      file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1);
  for (std::string_view spelling : {file, base}) {
    std::string scoped = "'" + std::string(spelling) + "'::" + var;
    auto shape = shape_of(scoped);
    if (!shape) continue;
    if (auto m = measure(scoped, *shape, true)) {
      VariableInfo info;
      info.address = *m->address;
      info.kind = m->facts.kind;
      info.size = m->facts.size;
      info.array_length = m->facts.array_length;
      info.element_size = m->facts.element_size;
      return info;
    }
    // Location optimised out of the debug info: the symbol table has it if the name is unique.
    if (powner_crash_symbols(var.c_str(), 0, addresses.data(), addresses.size()) != 1)
      return std::nullopt;
    VariableInfo info;
    info.address = addresses[0];
    if (auto m = measure(scoped, *shape, false)) {
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
