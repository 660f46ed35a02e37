// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/filter.h"

#include "powner/status.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace powner {

namespace {

struct Region {
  unsigned start = 0, off = 0, group_len = 0, end = 0, nbits = 0;
};

bool end_of_str(char c) {
  return c == '\0' || c == '\n';
}
bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
bool end_of_region_soft(char c) {
  return is_space(c) || c == ',';
}
bool end_of_region(char c) {
  return end_of_region_soft(c) || end_of_str(c);
}

// A C-string view: the kernel's parser looks at '\0' past the end.
struct Cursor {
  std::string_view s;
  size_t pos = 0;
  char peek(size_t ahead = 0) const { return pos + ahead < s.size() ? s[pos + ahead] : '\0'; }
};

int get_num(Cursor& c, unsigned& num, unsigned lastbit) {
  if (c.peek() == 'N') {
    num = lastbit;
    c.pos++;
    return 0;
  }
  uint64_t n = 0;
  size_t len = 0;
  bool overflow = false;
  while (c.peek(len) >= '0' && c.peek(len) <= '9') {
    uint64_t digit = static_cast<uint64_t>(c.peek(len) - '0');
    if (n > (UINT64_MAX - digit) / 10) overflow = true;
    n = n * 10 + digit;
    len++;
  }
  if (!len) return -EINVAL;
  if (overflow || n != static_cast<unsigned>(n)) return -EOVERFLOW;
  num = static_cast<unsigned>(n);
  c.pos += len;
  return 0;
}

// bitmap_parse_region(): returns 1 when the string ended, 0 to go on, <0 on error.
int parse_region(Cursor& c, Region& r) {
  unsigned lastbit = r.nbits - 1;
  int err;
  bool have_end = false;
  if (c.s.size() - c.pos >= 3 && strncasecmp(c.s.data() + c.pos, "all", 3) == 0) {
    r.start = 0;
    r.end = lastbit;
    c.pos += 3;
    have_end = true;
  } else {
    if ((err = get_num(c, r.start, lastbit))) return err;
    if (end_of_region(c.peek())) {
      r.end = r.start;
      r.off = r.group_len = r.end + 1;
      return end_of_str(c.peek()) ? 1 : 0;
    }
    if (c.peek() != '-') return -EINVAL;
    c.pos++;
    if ((err = get_num(c, r.end, lastbit))) return err;
    have_end = true;
  }
  (void)have_end;
  if (end_of_region(c.peek())) {
    r.off = r.group_len = r.end + 1;
    return end_of_str(c.peek()) ? 1 : 0;
  }
  if (c.peek() != ':') return -EINVAL;
  c.pos++;
  if ((err = get_num(c, r.off, lastbit))) return err;
  if (c.peek() != '/') return -EINVAL;
  c.pos++;
  if ((err = get_num(c, r.group_len, lastbit))) return err;
  return end_of_str(c.peek()) ? 1 : 0;
}

} // namespace

int parse_nodelist(std::string_view list, unsigned nbits, std::vector<bool>& out) {
  out.assign(nbits, false);
  Cursor c{list};
  Region r;
  r.nbits = nbits;
  for (;;) {
    while (end_of_region_soft(c.peek()))
      c.pos++; // bitmap_find_region()
    if (end_of_str(c.peek())) return 0;
    int ended = parse_region(c, r);
    if (ended < 0) return ended;
    if (r.start > r.end || r.group_len == 0 || r.off > r.group_len) return -EINVAL;
    if (r.end >= r.nbits) return -ERANGE;
    for (uint64_t start = r.start; start <= r.end; start += r.group_len)
      for (uint64_t b = start; b < start + r.off && b <= r.end; b++)
        out[b] = true;
    if (ended) return 0;
  }
}

std::string_view print_mode_name(PrintMode mode) {
  switch (mode) {
  case PrintMode::Stack:
    return "stack";
  case PrintMode::Handle:
    return "handle";
  case PrintMode::StackHandle:
    return "stack_handle";
  }
  return "?";
}

std::optional<PrintMode> print_mode_from_name(std::string_view name) {
  for (PrintMode mode : {PrintMode::Stack, PrintMode::Handle, PrintMode::StackHandle})
    if (name == print_mode_name(mode)) return mode;
  return std::nullopt;
}

namespace {

FilterError unknown_mode(std::string_view name) {
  return {EINVAL, fmt::format("unknown print mode '{}' (stack, handle or stack_handle)", name)};
}

// A node list as "nid=" takes it; node_states[N_MEMORY] written as a list for the messages.
std::string node_list_text(const std::vector<bool>& nodes) {
  std::string out;
  for (size_t n = 0; n < nodes.size(); n++) {
    if (!nodes[n]) continue;
    size_t last = n;
    while (last + 1 < nodes.size() && nodes[last + 1])
      last++;
    fmt::format_to(std::back_inserter(out), "{}{}", out.empty() ? "" : ",", n);
    if (last > n) fmt::format_to(std::back_inserter(out), "-{}", last);
    n = last;
  }
  return out.empty() ? "none" : out;
}

std::optional<FilterError> apply_nodelist(Filter& filter, std::string_view list,
                                          const std::vector<bool>& memory_nodes) {
  const auto max_numnodes = static_cast<unsigned>(memory_nodes.size());
  std::vector<bool> nodes;
  int err = parse_nodelist(list, max_numnodes, nodes);
  if (err == -ERANGE)
    return FilterError{ERANGE,
                       fmt::format("nid={}: node beyond MAX_NUMNODES ({})", list, max_numnodes)};
  if (err) return FilterError{-err, fmt::format("nid={}: not a node list (like 0,2-3)", list)};
  bool any = false;
  for (unsigned n = 0; n < max_numnodes; n++) {
    if (!nodes[n]) continue;
    any = true;
    if (!memory_nodes[n])
      return FilterError{EINVAL,
                         fmt::format("nid={}: node {} has no memory (nodes with memory: {})", list,
                                     n, node_list_text(memory_nodes))};
  }
  if (!any) return FilterError{EINVAL, fmt::format("nid={}: the node list is empty", list)};
  filter.nodes = std::move(nodes);
  filter.nid_enabled = true;
  return std::nullopt;
}

} // namespace

std::optional<FilterError> apply_filter_command(Filter& filter, std::string_view command,
                                                const std::vector<bool>& memory_nodes) {
  const auto max_numnodes = static_cast<unsigned>(memory_nodes.size());
  if (command.size() > 32 + 6ULL * max_numnodes)
    return FilterError{
        EINVAL, fmt::format("the filter command is longer than the kernel accepts ({} bytes)",
                            32 + 6ULL * max_numnodes)};
  // memdup_user_nul(): the command ends at its first NUL.
  command = command.substr(0, command.find('\0'));
  Filter next = filter;
  size_t pos = 0;
  while (pos <= command.size()) {
    size_t end = command.find_first_of(" \t\n", pos);
    if (end == std::string_view::npos) end = command.size();
    std::string_view token = command.substr(pos, end - pos);
    pos = end + 1;
    if (token.empty()) continue;
    if (token.substr(0, 5) == "mode=") {
      auto mode = print_mode_from_name(token.substr(5));
      if (!mode) return unknown_mode(token.substr(5));
      next.mode = *mode;
    } else if (token.substr(0, 4) == "nid=") {
      if (auto err = apply_nodelist(next, token.substr(4), memory_nodes)) return err;
    } else {
      return FilterError{EINVAL,
                         fmt::format("unknown filter token '{}' (mode=... or nid=...)", token)};
    }
  }
  filter = std::move(next);
  return std::nullopt;
}

Filter filter_from_options(const FilterOptions& options, const std::vector<bool>& memory_nodes) {
  Filter filter;
  auto fail = [](const FilterError& err) {
    return Error(Status::Usage, fmt::format("{} (the kernel rejects this filter with {})",
                                            err.message, strerrorname_np(err.errnum)));
  };
  if (options.mode) {
    auto mode = print_mode_from_name(*options.mode);
    if (!mode) throw fail(unknown_mode(*options.mode));
    filter.mode = *mode;
  }
  if (options.nodes)
    if (auto err = apply_nodelist(filter, *options.nodes, memory_nodes)) throw fail(*err);
  if (options.command)
    if (auto err = apply_filter_command(filter, *options.command, memory_nodes)) throw fail(*err);
  return filter;
}

} // namespace powner
