// SPDX-License-Identifier: GPL-2.0-or-later
#include "gdb_text.h"

#include <charconv>
#include <string>

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

std::optional<BitfieldPlace> parse_ptype_offsets(std::string_view text, std::string_view member) {
  // One frame per brace level; a hit counts when every frame around it is anonymous.
  struct Frame {
    std::optional<BitfieldPlace> hit;
  };
  std::vector<Frame> frames;
  std::optional<BitfieldPlace> top;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);

    std::string_view comment, decl;
    line = trim(line);
    if (starts_with(line, "/*")) {
      size_t end = line.find("*/");
      if (end == std::string_view::npos) continue;
      comment = line.substr(2, end - 2);
      decl = trim(line.substr(end + 2));
    } else {
      decl = line;
    }
    if (decl.empty()) continue;
    if (decl.back() == '{') {
      frames.push_back({});
      continue;
    }
    if (decl.front() == '}') {
      if (frames.empty()) return std::nullopt;
      Frame done = frames.back();
      frames.pop_back();
      std::string_view rest = trim(decl.substr(1));
      bool anonymous = rest.empty() || rest == ";";
      if (frames.empty()) {
        top = done.hit;
      } else if (anonymous && done.hit && !frames.back().hit) {
        frames.back().hit = done.hit;
      }
      continue;
    }
    // "/*      2: 1   |       4 */        u32 offset : 10;"
    if (frames.empty() || decl.back() != ';') continue;
    size_t colon = decl.rfind(':');
    size_t bar = comment.find('|');
    size_t bit_colon = comment.find(':');
    if (colon == std::string_view::npos || bar == std::string_view::npos ||
        bit_colon == std::string_view::npos || bit_colon > bar) {
      continue;
    }
    std::string_view declarator = trim(decl.substr(0, colon));
    size_t name_start = declarator.find_last_of(" *");
    std::string_view name =
        name_start == std::string_view::npos ? declarator : declarator.substr(name_start + 1);
    if (name != member) continue;
    auto byte = parse_u64(comment.substr(0, bit_colon));
    auto bit = parse_u64(comment.substr(bit_colon + 1, bar - bit_colon - 1));
    auto storage = parse_u64(comment.substr(bar + 1));
    auto width = parse_u64(decl.substr(colon + 1, decl.size() - colon - 2));
    if (!byte || !bit || !storage || !width || *bit >= 8 || *storage == 0 || *storage > 16 ||
        *width == 0 || *width > *storage * 8 || *byte > (uint64_t{1} << 40)) {
      continue;
    }
    if (!frames.back().hit)
      frames.back().hit = BitfieldPlace{*byte * 8 + *bit, *storage, static_cast<uint32_t>(*width)};
  }
  return top;
}

} // namespace powner::crash
