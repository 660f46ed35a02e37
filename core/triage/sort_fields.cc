// SPDX-License-Identifier: GPL-2.0-or-later
// page_owner_sort's reading of one block and of its own option values. The tool finds each field
// with a glibc regular expression (REG_EXTENDED | REG_NEWLINE, C locale) over the whole block;
// each of its patterns has a single way to match from a given start, so a scan from each
// occurrence of the pattern's leading word finds glibc's leftmost-longest match, at a fraction of
// regexec()'s cost. Note that \s is [[:space:]], which takes newlines even under REG_NEWLINE.
#include "powner/triage/page_owner_sort.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <functional>

namespace powner {
namespace {

using std::string_view;
constexpr size_t npos = string_view::npos;

// The tool's fixed buffers: a value of 25 characters or more, or a name of 16 or more, is no
// match ("pattern too long").
constexpr size_t kFieldBuff = 25;
constexpr size_t kTaskCommLen = 16;

bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Boyer-Moore-Horspool for the allocator's long words, which are searched for through whole
// stacks: string_view::find()'s memchr() for the first byte stops at every '_' of a stack.
class LongWord { // of a string literal, which outlives it
public:
  explicit LongWord(string_view word) : searcher_(word.begin(), word.end()) {}
  size_t find(string_view s, size_t from = 0) const {
    if (from > s.size()) return npos;
    const auto at = std::search(s.begin() + static_cast<std::ptrdiff_t>(from), s.end(), searcher_);
    return at == s.end() ? npos : static_cast<size_t>(at - s.begin());
  }

private:
  std::boyer_moore_horspool_searcher<string_view::const_iterator> searcher_;
};

// s.find(word, from) for the short words of the first line, where they are found within a few
// dozen bytes: a plain loop beats a memchr() call per candidate byte.
size_t find_short(string_view s, string_view word, size_t from = 0) {
  const char first = word[0];
  for (size_t i = from; i + word.size() <= s.size(); ++i)
    if (s[i] == first && s.compare(i, word.size(), word) == 0) return i;
  return npos;
}

size_t skip_spaces(string_view s, size_t i) {
  while (i < s.size() && is_space(s[i]))
    ++i;
  return i;
}
size_t skip_digits(string_view s, size_t i) {
  while (i < s.size() && is_digit(s[i]))
    ++i;
  return i;
}

// "WORD\s*([0-9]*)," : the digits, or nullopt.
std::optional<string_view> number_then_comma(string_view s, string_view word) {
  for (size_t at = find_short(s, word); at != npos; at = find_short(s, word, at + 1)) {
    const size_t digits = skip_spaces(s, at + word.size());
    const size_t end = skip_digits(s, digits);
    if (end < s.size() && s[end] == ',') return s.substr(digits, end - digits);
  }
  return std::nullopt;
}

// "tgid\s*([0-9]*) ", first: the first "tgid": the digits, or nullopt. Without digits followed
// by a space the pattern still matches, with no digits, when the spaces after "tgid" hold a ' '.
std::optional<string_view> tgid_digits(string_view s, size_t first) {
  constexpr string_view word = "tgid";
  for (size_t at = first; at != npos; at = find_short(s, word, at + 1)) {
    const size_t spaces = at + word.size();
    const size_t digits = skip_spaces(s, spaces);
    const size_t end = skip_digits(s, digits);
    if (end > digits && end < s.size() && s[end] == ' ') return s.substr(digits, end - digits);
    if (s.substr(spaces, digits - spaces).find(' ') != npos) return s.substr(digits, 0);
  }
  return std::nullopt;
}

// "ts\s*([0-9]*)\s*ns" : the digits (their place in s), or nullopt.
std::optional<string_view> ts_digits(string_view s, size_t& where) {
  constexpr string_view word = "ts";
  for (size_t at = find_short(s, word); at != npos; at = find_short(s, word, at + 1)) {
    const size_t digits = skip_spaces(s, at + word.size());
    const size_t end = skip_digits(s, digits);
    if (s.substr(skip_spaces(s, end), 2) == "ns") {
      where = digits;
      return s.substr(digits, end - digits);
    }
  }
  return std::nullopt;
}

// "tgid\s*[0-9]*\s*\((.*)\),\s*ts", first: the first "tgid": the name. '.' stops at a newline; the
// longest match ends at the last "),\s*ts" whose ')' is on the line of the '('.
std::optional<string_view> comm_text(string_view s, size_t first) {
  constexpr string_view word = "tgid";
  for (size_t at = first; at != npos; at = find_short(s, word, at + 1)) {
    const size_t open = skip_spaces(s, skip_digits(s, skip_spaces(s, at + word.size())));
    if (open >= s.size() || s[open] != '(') continue;
    size_t line_end = s.find('\n', open + 1);
    if (line_end == npos) line_end = s.size();
    for (size_t close = line_end; close-- > open + 1;) {
      if (s[close] != ')' || close + 1 >= s.size() || s[close + 1] != ',') continue;
      if (s.substr(skip_spaces(s, close + 2), 2) == "ts")
        return s.substr(open + 1, close - open - 1);
    }
  }
  return std::nullopt;
}

// strtoull on at most 24 digits: false on overflow (ERANGE).
bool to_u64(string_view digits, uint64_t& value) {
  value = 0;
  for (char c : digits)
    if (__builtin_mul_overflow(value, 10U, &value) ||
        __builtin_add_overflow(value, static_cast<unsigned>(c - '0'), &value))
      return false;
  return true;
}

// strtol's value of a capture that the tool narrows to int: nullopt where it gives up.
std::optional<int32_t> capture_to_int(std::optional<string_view> digits) {
  uint64_t value = 0;
  if (!digits || digits->empty() || digits->size() >= kFieldBuff || !to_u64(*digits, value) ||
      value > static_cast<uint64_t>(LONG_MAX))
    return std::nullopt;
  return static_cast<int32_t>(static_cast<uint32_t>(value)); // pid_t = strtol(): modulo 2^32
}

} // namespace

SortBlockFields sort_block_fields(string_view block) {
  SortBlockFields f;
  f.pid = capture_to_int(number_then_comma(block, "pid")).value_or(-1);
  const size_t tgid = find_short(block, "tgid"); // where both of its patterns start looking
  f.tgid = capture_to_int(tgid_digits(block, tgid)).value_or(-1);
  if (const std::optional<int32_t> order = capture_to_int(number_then_comma(block, "order"));
      order && *order <= 64)
    // 1 << order_val in int, on x86's shift that takes the count modulo 32.
    f.pages = static_cast<int32_t>(1U << (static_cast<uint32_t>(*order) & 31U));
  size_t where = 0;
  if (const std::optional<string_view> ts = ts_digits(block, where)) {
    f.ts_digits_at = where;
    f.ts_digits_size = ts->size();
    uint64_t value = 0;
    if (!ts->empty() && ts->size() < kFieldBuff && to_u64(*ts, value)) f.ts_nsec = value;
  }
  if (const std::optional<string_view> comm = comm_text(block, tgid);
      comm && comm->size() < kTaskCommLen)
    f.comm = comm;
  return f;
}

int sort_block_allocator(string_view block, string_view pfn_line) {
  int allocator = 0;
  if (pfn_line.find("CMA") != npos) allocator |= kAllocatorCma;
  if (pfn_line.find("slab") != npos) allocator |= kAllocatorSlab;
  // "alloc_pages" on the line before the first "__vmalloc_node_range" or before it on its line.
  // The tool walks back two newlines from it, reading before its buffer when there are fewer: we
  // take the block's start there.
  static const LongWord vmalloc_word("__vmalloc_node_range"), alloc_pages_word("alloc_pages");
  if (const size_t vmalloc = vmalloc_word.find(block); vmalloc != npos) {
    const size_t line = block.rfind('\n', vmalloc);
    size_t first_line = 0;
    if (line != npos && line > 0) {
      const size_t before = block.rfind('\n', line - 1);
      first_line = before == npos ? 0 : before + 1;
    }
    const size_t alloc = alloc_pages_word.find(block, first_line);
    if (alloc != npos && alloc < vmalloc) allocator |= kAllocatorVmalloc;
  }
  return allocator ? allocator : kAllocatorOthers;
}

namespace {

// get_arg_type()'s names.
enum class SortArg { Pid, Tgid, Name, Stacktrace, Txt, AllocTs, Allocator, Unknown };

SortArg sort_arg(string_view arg) {
  if (arg == "pid" || arg == "p") return SortArg::Pid;
  if (arg == "tgid" || arg == "tg") return SortArg::Tgid;
  if (arg == "name" || arg == "n") return SortArg::Name;
  if (arg == "stacktrace" || arg == "st") return SortArg::Stacktrace;
  if (arg == "txt" || arg == "T") return SortArg::Txt;
  if (arg == "alloc_ts" || arg == "at") return SortArg::AllocTs;
  if (arg == "allocator" || arg == "ator") return SortArg::Allocator;
  return SortArg::Unknown;
}

// explode(): every comma splits, so "" gives one empty element and "a," two.
std::vector<string_view> explode(string_view list) {
  std::vector<string_view> out;
  for (size_t from = 0;;) {
    const size_t comma = list.find(',', from);
    out.push_back(list.substr(from, comma == npos ? npos : comma - from));
    if (comma == npos) return out;
    from = comma + 1;
  }
}

// strtol(s, &end, 10) that must take all of s: leading spaces and a sign allowed.
std::optional<long> whole_strtol(string_view s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i]))
    ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  const size_t digits = i;
  unsigned long long value = 0;
  bool overflow = false;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    const auto d = static_cast<unsigned>(s[i] - '0');
    overflow = overflow || value > (static_cast<unsigned long long>(LONG_MAX) + 1 - d) / 10;
    if (!overflow) value = value * 10 + d;
  }
  if (i == digits || i != s.size() || overflow) return std::nullopt;
  if (negative) {
    if (value > static_cast<unsigned long long>(LONG_MAX) + 1) return std::nullopt;
    return static_cast<long>(0ULL - value);
  }
  if (value > static_cast<unsigned long long>(LONG_MAX)) return std::nullopt;
  return static_cast<long>(value);
}

} // namespace

bool parse_cull_keys(string_view keys, unsigned& cull) {
  for (string_view key : explode(keys)) {
    switch (sort_arg(key)) {
    case SortArg::Pid:
      cull |= kCullPid;
      break;
    case SortArg::Tgid:
      cull |= kCullTgid;
      break;
    case SortArg::Name:
      cull |= kCullName;
      break;
    case SortArg::Stacktrace:
      cull |= kCullStacktrace;
      break;
    case SortArg::Allocator:
      cull |= kCullAllocator;
      break;
    default:
      return false;
    }
  }
  return true;
}

bool check_sort_keys(string_view keys) {
  for (string_view key : explode(keys)) {
    if (!key.empty() && (key[0] == '-' || key[0] == '+')) key.remove_prefix(1);
    if (sort_arg(key) == SortArg::Unknown) return false;
  }
  return true;
}

std::optional<std::vector<int32_t>> parse_id_list(string_view list) {
  std::vector<int32_t> ids;
  for (string_view item : explode(list)) {
    const std::optional<long> value = whole_strtol(item);
    if (!value) return std::nullopt;
    ids.push_back(static_cast<int32_t>(static_cast<uint32_t>(static_cast<unsigned long>(*value))));
  }
  return ids;
}

std::vector<std::string> split_names(string_view list) {
  std::vector<std::string> names;
  for (string_view name : explode(list))
    names.emplace_back(name);
  return names;
}

} // namespace powner
