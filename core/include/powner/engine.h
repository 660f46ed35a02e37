// SPDX-License-Identifier: GPL-2.0-or-later
// The engine's front door for every host (CLI, crash extension, drgn plugin): give it memory,
// types and VMCOREINFO; ask for the page_owner file or a page_owner_stacks view.
#pragma once

#include "powner/filter.h"
#include "powner/kallsyms.h"
#include "powner/kernel_model.h"
#include "powner/locked_memory.h"
#include "powner/memcg.h"
#include "powner/memory.h"
#include "powner/page_owner_walk.h"
#include "powner/stack_depot.h"
#include "powner/stack_views.h"
#include "powner/text_pieces.h"
#include "powner/types.h"
#include "powner/vmcoreinfo.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace powner {

using Sink = std::function<void(std::string_view)>;
// A chunk of the output in pieces, for a writer that gathers them (host/gathered_write.h).
using PiecesSink = std::function<void(const TextPieces&)>;
using Progress = std::function<void(uint64_t done, uint64_t total)>;

class Engine {
public:
  // Throws powner::Error when the kernel cannot be read (no page_owner, missing types...).
  Engine(Memory& mem, Types& types, const VmcoreInfo& info);

  const KernelModel& model() const { return model_; }
  const KernelSymbols& symbols() const { return *symbols_; }

  // Workers for the page_owner walk (ParallelWalk), which also format the records; 1, the
  // default, works on the caller's thread; 0 takes default_walk_threads() (what -j 0, the
  // hosts' default, means). The output is the same either way.
  void set_walk_threads(unsigned threads);
  unsigned walk_threads() const { return walk_threads_; }

  // What other walks of the records (triage's) share with the printer: the dump, and the stack
  // and memcg caches (safe to use from the walk's workers).
  Memory& memory() { return mem_; }
  StackDepot& depot() { return *depot_; }
  MemcgLines& memcg_lines() { return *memcg_; }
  // Pages such a walk skipped, for skipped_summary().
  void add_skipped(const SkipCounts& skipped) { skipped_.add(skipped); }

  // Print only records whose text is the kernel's, whole (--exact), and count the others; by
  // default a detail the dump lacks is printed as a placeholder (memcg.h) in its record.
  void set_exact(bool exact) { exact_ = exact; }

  // The text of /sys/kernel/debug/page_owner under filter, streamed to sink in large chunks.
  void page_owner(const Filter& filter, const Sink& sink, const Progress& progress = {});
  // The same text in pieces that refer to the stack texts instead of copying them: for a writer
  // that gathers (writev), the stack texts (half of the output) are never copied in this process.
  void page_owner_pieces(const Filter& filter, const PiecesSink& sink,
                         const Progress& progress = {});

  // A page_owner_stacks view; threshold defaults to the dump's own count_threshold.
  std::string stacks(StackView view, std::optional<uint64_t> threshold = std::nullopt);

  // Pages skipped because the dump could not provide them or they were impossible, by reason,
  // as one line ("" when nothing was skipped).
  std::string skipped_summary() const;
  // Records printed with placeholders, by kind, as one line ("" when none).
  std::string placeholder_summary() const;
  // What would have kept the skipped records or their details, when the dump's filtering is the
  // likely cause, as one line ("" otherwise).
  std::string skipped_hint() const;
  // The lines every host prints after its output (each after "powner: " or as a note): the
  // skipped summary, the placeholder summary, the hint, each when not empty.
  std::vector<std::string> notes() const;

private:
  void print_page_owner(const Filter& filter, bool gather, const PiecesSink& sink,
                        const Progress& progress);

  Memory& mem_;
  LockedMemory shared_mem_; // for the stack and memcg caches, which workers share
  KernelModel model_;
  std::unique_ptr<KernelSymbols> symbols_;
  std::unique_ptr<StackDepot> depot_;
  std::unique_ptr<MemcgLines> memcg_;
  SkipCounts skipped_;
  uint64_t too_long_ = 0, incomplete_ = 0, no_stack_ = 0, bad_handles_ = 0, stack_problems_ = 0;
  uint64_t memcg_placeholders_ = 0, stack_placeholders_ = 0;
  bool exact_ = false;
  bool stack_list_cut_ = false;
  unsigned walk_threads_ = 1;
};

} // namespace powner
