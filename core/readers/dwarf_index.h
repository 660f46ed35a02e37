// SPDX-License-Identifier: GPL-2.0-or-later
// Where a name is defined in a vmlinux's DWARF: the list of its CUs and, per CU, an index of
// the file-scope names. A few preferred CUs (mm/page_owner.c first) are indexed on demand;
// the others are walked once, together, only when a name is not found there and .debug_str
// holds it (a version probe's miss costs no pass). Lookups,
// misses included, are cached. Not thread-safe.
#pragma once

#include <deque>
#include <elfutils/libdw.h>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace powner {

// Children of a DIE in order; fn returns true to stop. Stops on errors and on offsets that do
// not move forward, so a corrupt DW_AT_sibling cannot loop.
template <class Fn> void for_each_child(Dwarf_Die* parent, Fn&& fn) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  for (;;) {
    if (fn(child)) return;
    Dwarf_Off here = dwarf_dieoffset(&child);
    Dwarf_Die next;
    if (dwarf_siblingof(&child, &next) != 0) return;
    if (dwarf_dieoffset(&next) <= here) return;
    child = next;
  }
}

class DwarfIndex {
public:
  // What a name denotes in C's namespaces; base types share the typedef (ordinary) one.
  enum class Kind : char {
    Struct = 's',
    Union = 'u',
    Enum = 'e',
    Typedef = 't',
    Enumerator = 'k',
    Variable = 'v', // external linkage
    Static = 'f',   // file-local: another file may reuse the name
  };

  // Names point into the mapped string sections, valid as long as the Dwarf handle.
  struct NameKey {
    Kind kind;
    std::string_view name;
    bool operator==(const NameKey&) const = default;
  };
  struct NameKeyHash {
    size_t operator()(const NameKey& key) const {
      return std::hash<std::string_view>{}(key.name) ^ static_cast<size_t>(key.kind);
    }
  };

  struct Entry {
    Dwarf_Off die = 0;
    Dwarf_Off parent = 0; // enumerators: their enumeration type
    bool declaration = false;
  };
  using NameIndex = std::unordered_map<NameKey, Entry, NameKeyHash>;
  using Accept = std::function<bool(const Entry&)>;

  // dwarf is not owned and must outlive the index.
  explicit DwarfIndex(Dwarf* dwarf) : dwarf_(dwarf) {}

  // The first entry for a name that `good` accepts (any entry without `good`): the preferred
  // CUs' indexes first, then the other CUs. With `good`, an entry it rejected is returned
  // when nothing better exists. Only lookups without `good` are cached.
  std::optional<Entry> find(Kind kind, std::string_view name, const Accept& good = nullptr);

  // The indexes of the CUs built from `file` ("mm/page_owner.c"): those named exactly so,
  // else those whose name ends in "/file" (out-of-tree or absolute build paths).
  std::vector<const NameIndex*> file_indexes(std::string_view file);
  // Whether a lookup has walked every CU.
  bool walked_every_unit() const { return rest_built_; }

private:
  struct Unit {
    Dwarf_Off die = 0;
    std::string name; // relative to DW_AT_comp_dir when it was absolute
    bool preferred = false;
  };

  void list_units();
  std::vector<size_t> units_for_file(std::string_view file) const;
  template <class Fn> void walk_unit(Dwarf_Off cu_die, Fn&& fn);
  const NameIndex& index(const Unit& unit);
  const NameIndex& rest_index();
  bool may_name_a_die(std::string_view name);

  Dwarf* dwarf_;
  bool units_listed_ = false;
  std::vector<Unit> units_;
  std::vector<size_t> preferred_;                    // into units_, kPreferredFiles order
  std::unordered_map<Dwarf_Off, NameIndex> indexes_; // preferred CUs
  bool strings_read_ = false;
  std::string_view strings_; // .debug_str, empty when names may not all be in it
  bool rest_built_ = false;
  NameIndex rest_; // all other CUs

  std::unordered_map<NameKey, std::optional<Entry>, NameKeyHash> found_; // misses too
  std::deque<std::string> names_;                                        // keys of `found_`
};

} // namespace powner
