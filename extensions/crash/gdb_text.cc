// SPDX-License-Identifier: GPL-2.0-or-later
#include "gdb_text.h"

#include <charconv>
#include <cstddef>
#include <string>
#include <utility>

namespace powner::crash {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ')
      ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ')
      ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

namespace {

// A type as far as the engine cares: its kind, whether it has no size (void, a function), and
// for a pointer whether its target has one.
struct Shape {
  TypeKind kind;
  bool unsized = false;
  bool pointee_sized = false;
};

// The index of the parenthesis closing the one at open, or npos.
size_t matching_paren(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// gdb prints abstract declarators as C writes them: leading '*'s, then "[4]" (array), "(int)"
// (function) or a parenthesised declarator ("(*)(int)": pointer to function). The '*'s apply
// first: "T *(*)(int)" is a pointer to a function returning T *.
std::optional<Shape> apply_declarator(std::string_view d, Shape base) {
  d = trim(d);
  size_t stars = 0, i = 0;
  while (i < d.size()) {
    if (d[i] == '*') {
      ++stars;
      ++i;
    } else if (d[i] == ' ') {
      ++i;
    } else if (starts_with(d.substr(i), "const")) {
      i += 5;
    } else if (starts_with(d.substr(i), "volatile") || starts_with(d.substr(i), "restrict")) {
      i += 8;
    } else {
      break;
    }
  }
  if (stars > 0) base = Shape{TypeKind::Pointer, false, !(stars == 1 && base.unsized)};
  std::string_view direct = d.substr(i);
  if (direct.empty()) return base;
  if (direct.front() == '[') return Shape{TypeKind::Array};
  if (direct.front() != '(') return std::nullopt;
  if (trim(direct.substr(1)).substr(0, 1) != "*") return Shape{TypeKind::Other, true}; // function
  size_t close = matching_paren(direct, 0);
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view outer = trim(direct.substr(close + 1));
  Shape inner_base = base;
  if (starts_with(outer, "("))
    inner_base = Shape{TypeKind::Other, true}; // a function returning base
  else if (starts_with(outer, "["))
    inner_base = Shape{TypeKind::Array};
  else if (!outer.empty())
    return std::nullopt;
  return apply_declarator(direct.substr(1, close - 1), inner_base);
}

} // namespace

std::optional<TypeShape> parse_ptype(std::string_view text) {
  text = trim(text);
  constexpr std::string_view kPrefix = "type = ";
  if (!starts_with(text, kPrefix)) return std::nullopt;
  text.remove_prefix(kPrefix.size());

  // head: the base type (a struct's body included); tail: the declarator after it.
  std::string_view head, tail;
  if (size_t open = text.find('{'); open != std::string_view::npos) {
    int depth = 0;
    size_t close = std::string_view::npos;
    for (size_t i = open; i < text.size(); ++i) {
      if (text[i] == '{') ++depth;
      if (text[i] == '}' && --depth == 0) {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos) return std::nullopt;
    head = text.substr(0, open);
    tail = text.substr(close + 1);
  } else {
    size_t decl = text.find_first_of("*([");
    head = text.substr(0, decl);
    tail = decl == std::string_view::npos ? std::string_view{} : text.substr(decl);
  }
  std::string_view name;
  for (auto w : words(trim(head))) {
    if (w != "const" && w != "volatile" && w != "restrict") {
      name = w;
      break;
    }
  }
  Shape base{TypeKind::Integer}; // char, short, int, long, _Bool and their signed forms
  if (name == "struct")
    base.kind = TypeKind::Struct;
  else if (name == "union")
    base.kind = TypeKind::Union;
  else if (name == "enum")
    base.kind = TypeKind::Enum;
  else if (name.empty() || name == "void")
    base = {TypeKind::Other, true};
  else if (name == "float" || name == "double" || name == "_Complex" || name == "complex" ||
           head.find("double") != std::string_view::npos)
    base.kind = TypeKind::Other;
  auto shape = apply_declarator(tail, base);
  if (!shape) return std::nullopt;
  return TypeShape{shape->kind, shape->kind == TypeKind::Pointer && shape->pointee_sized};
}

namespace {

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_qualifier(std::string_view w) {
  return w == "const" || w == "volatile" || w == "restrict";
}

// The C words that make up base types: anything else gdb prints there is a typedef's name.
bool is_type_keyword(std::string_view w) {
  for (std::string_view k :
       {"char", "short", "int", "long", "unsigned", "signed", "_Bool", "float", "double", "void",
        "struct", "union", "enum", "__int128", "_Complex", "complex"}) {
    if (w == k) return true;
  }
  return false;
}

// A declaration's type without its name: "unsigned long entries[64]" is "unsigned long [64]",
// "void (*func)(struct page *)" is "void (*)(struct page *)". The name is the identifier in the
// declarator (after any struct, union or enum body): inside the first "(*...)" of a pointer to a
// function or an array, else before the first '[', else the last word.
std::optional<std::pair<std::string, std::string>> split_declaration(std::string_view decl) {
  size_t from = 0;
  if (size_t open = decl.find('{'); open != std::string_view::npos) {
    from = decl.find('}', open);
    if (from == std::string_view::npos) return std::nullopt;
  }
  size_t name_end = std::string_view::npos;
  size_t paren = decl.find('(', from);
  size_t bracket = decl.find('[', from);
  if (paren != std::string_view::npos && (bracket == std::string_view::npos || paren < bracket)) {
    size_t i = paren + 1;
    while (i < decl.size() && (decl[i] == '*' || decl[i] == ' '))
      ++i;
    name_end = i;
    while (name_end < decl.size() && is_identifier_char(decl[name_end]))
      ++name_end;
  } else {
    name_end = bracket == std::string_view::npos ? decl.size() : bracket;
    while (name_end > from && decl[name_end - 1] == ' ')
      --name_end;
  }
  size_t name_start = name_end;
  while (name_start > from && is_identifier_char(decl[name_start - 1]))
    --name_start;
  if (name_start == name_end || name_start == 0) return std::nullopt;
  std::string type(trim(decl.substr(0, name_start)));
  std::string_view after = trim(decl.substr(name_end));
  if (!after.empty() && after.front() == '[' && !type.empty() && is_identifier_char(type.back()))
    type += ' ';
  type += after;
  return std::pair{std::string(decl.substr(name_start, name_end - name_start)), type};
}

// "/*     24: 3   |       4 */": the offset (with the bit in its byte, for a bitfield) and the
// size; union members print no offset, as they all start where the union does.
struct Columns {
  std::optional<uint64_t> offset;
  std::optional<uint64_t> bit;
  uint64_t size = 0;
};
std::optional<Columns> parse_columns(std::string_view comment) {
  Columns c;
  size_t bar = comment.find('|');
  std::string_view size = bar == std::string_view::npos ? comment : comment.substr(bar + 1);
  auto n = parse_u64(size);
  if (!n) return std::nullopt;
  c.size = *n;
  if (bar == std::string_view::npos) return c;
  std::string_view where = comment.substr(0, bar);
  size_t colon = where.find(':');
  c.offset = parse_u64(where.substr(0, colon));
  if (!c.offset) return std::nullopt;
  if (colon != std::string_view::npos) {
    c.bit = parse_u64(where.substr(colon + 1));
    if (!c.bit || *c.bit >= 8) return std::nullopt;
  }
  return c;
}

} // namespace

std::optional<std::string_view> typedef_name(std::string_view type) {
  if (type.find_first_of("*[({") != std::string_view::npos) return std::nullopt;
  std::optional<std::string_view> name;
  for (auto w : words(trim(type))) {
    if (is_qualifier(w)) continue;
    if (name || is_type_keyword(w)) return std::nullopt;
    name = w;
  }
  return name;
}

std::optional<int64_t> parse_enumerator(std::string_view text, std::string_view name) {
  text = trim(text);
  if (!starts_with(text, "type = ")) return std::nullopt;
  size_t open = text.find('{');
  size_t close = text.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  auto head = words(text.substr(7, open - 7));
  bool is_enum = false;
  for (auto w : head) {
    if (w == "enum") is_enum = true;
  }
  if (!is_enum) return std::nullopt;
  std::string_view list = text.substr(open + 1, close - open - 1);
  int64_t value = 0;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      std::string_view v = trim(item.substr(eq + 1));
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
      if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
      item = trim(item.substr(0, eq));
    }
    if (item == name) return value;
    ++value;
  }
  return std::nullopt;
}

const LayoutMember* Layout::find(std::string_view path) const {
  for (const auto& m : members) {
    if (m.path == path) return &m;
  }
  return nullptr;
}

std::optional<Layout> parse_layout(std::string_view text) {
  // One frame per brace level. A member's path and, for bitfields, its holder are known when
  // the frames around it close: an anonymous one passes its members up as they are, a named one
  // prefixes them with its name.
  struct Frame {
    uint64_t offset = 0;
    uint64_t size = 0;
    std::string type; // "struct list_head", "union"
    size_t first = 0; // its members' start in members
  };
  std::vector<Frame> frames;
  std::vector<LayoutMember> members;
  std::vector<bool> held; // whether members[i].holder is known
  Layout layout;
  bool closed = false;
  while (!text.empty() && !closed) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line == "<no data fields>") continue; // an empty struct's body

    std::string_view comment, decl = line;
    if (starts_with(line, "/*")) {
      size_t end = line.find("*/");
      if (end == std::string_view::npos) return std::nullopt;
      comment = trim(line.substr(2, end - 2));
      decl = trim(line.substr(end + 2));
    }
    if (starts_with(comment, "XXX")) continue; // a hole or padding
    if (starts_with(comment, "total size (bytes):")) {
      auto n = parse_u64(comment.substr(19));
      if (!n || frames.empty()) return std::nullopt;
      if (frames.size() == 1) layout.size = *n;
      continue;
    }
    if (frames.empty()) { // "/* offset      |    size */  type = struct page {"
      if (!starts_with(decl, "type = ") || decl.back() != '{') return std::nullopt;
      frames.push_back({0, 0, std::string(trim(decl.substr(7, decl.size() - 8))), 0});
      continue;
    }
    if (decl.empty()) return std::nullopt;

    if (decl.front() == '}') {
      Frame f = frames.back();
      frames.pop_back();
      std::string_view rest = trim(decl.substr(1));
      if (!rest.empty() && rest.back() == ';') rest = trim(rest.substr(0, rest.size() - 1));
      if (frames.empty()) {
        if (!rest.empty()) return std::nullopt;
        closed = true;
        continue;
      }
      if (rest.empty()) continue; // anonymous: its members are its parent's
      std::string type = f.type == "struct" || f.type == "union" ? f.type + " {...}" : f.type;
      auto named = split_declaration(type + " " + std::string(rest));
      if (!named) return std::nullopt;
      if (named->second.find_first_of("*(") != std::string::npos) {
        // A pointer to a struct printed in place: its members are not this type's.
        members.resize(f.first);
        held.resize(f.first);
      } else {
        for (size_t i = f.first; i < members.size(); ++i) {
          members[i].path = named->first + "." + members[i].path;
          if (!held[i]) members[i].holder = f.offset;
          held[i] = true;
        }
      }
      LayoutMember m;
      m.path = named->first;
      m.type = named->second;
      m.offset = f.offset;
      m.size = f.size;
      members.insert(members.begin() + static_cast<std::ptrdiff_t>(f.first), std::move(m));
      held.insert(held.begin() + static_cast<std::ptrdiff_t>(f.first), true);
      continue;
    }

    auto columns = parse_columns(comment);
    if (!columns) return std::nullopt;
    uint64_t offset = columns->offset.value_or(frames.back().offset);
    if (decl.back() == '{') {
      frames.push_back({offset, columns->size, std::string(trim(decl.substr(0, decl.size() - 1))),
                        members.size()});
      continue;
    }
    if (decl.back() != ';') return std::nullopt;
    decl = trim(decl.substr(0, decl.size() - 1));
    LayoutMember m;
    m.offset = offset;
    m.size = columns->size;
    if (columns->bit) { // "u32 offset : 10"
      size_t colon = decl.rfind(':');
      auto width =
          colon == std::string_view::npos ? std::nullopt : parse_u64(decl.substr(colon + 1));
      if (!width || *width == 0 || m.size == 0 || m.size > 16 || *width > m.size * 8)
        return std::nullopt;
      m.bit = offset * 8 + *columns->bit;
      m.width = static_cast<uint32_t>(*width);
      decl = trim(decl.substr(0, colon));
    } else if (decl.find(" : ") != std::string_view::npos) {
      return std::nullopt; // a bitfield with no place printed
    }
    auto named = split_declaration(decl);
    if (!named) return std::nullopt;
    m.path = named->first;
    m.type = named->second;
    members.push_back(std::move(m));
    held.push_back(!columns->bit);
  }
  if (!closed || layout.size == 0) return std::nullopt;
  for (size_t i = 0; i < members.size(); ++i) {
    if (!held[i]) members[i].holder = 0;
  }
  layout.members = std::move(members);
  return layout;
}

} // namespace powner::crash
