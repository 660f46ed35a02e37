// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/engine.h"

#include "powner/parallel_walk.h"
#include "powner/record_printer.h"
#include "powner/status.h"

#include <algorithm>
#include <fmt/format.h>
#include <mutex>
#include <vector>

namespace powner {

Engine::Engine(Memory& mem, Types& types, const VmcoreInfo& info)
    : mem_(mem), shared_mem_(mem), model_(KernelModel::resolve(mem, types, info)) {
  if (!model_.page_owner_inited)
    throw Error(Status::NoPageOwner,
                "page_owner was not enabled in this kernel (boot with page_owner=on)");
  symbols_ = std::make_unique<KernelSymbols>(mem, info, types);
  depot_ = std::make_unique<StackDepot>(shared_mem_, model_, *symbols_);
  memcg_ = std::make_unique<MemcgLines>(shared_mem_, model_);
}

void Engine::set_walk_threads(unsigned threads) {
  walk_threads_ = threads ? threads : default_walk_threads();
}

namespace {

// Texts for the chunks, used again and again, and a new one given room as large as the largest
// chunk's so far: growing a fresh buffer of megabytes per chunk would cost as much in copies and
// page faults as the formatting itself.
class ChunkTexts {
  // Address space only, until written: a section's text, unless its records are many and long.
  static constexpr size_t kFirstReserve = size_t{32} << 20;

public:
  explicit ChunkTexts(bool gather) : gather_(gather) {}
  TextPieces take() {
    std::lock_guard lock(mu_);
    if (free_.empty()) {
      TextPieces t(gather_);
      t.reserve(std::max(largest_, kFirstReserve));
      return t;
    }
    TextPieces t = std::move(free_.back());
    free_.pop_back();
    return t;
  }
  void give(TextPieces&& t) {
    std::lock_guard lock(mu_);
    largest_ = std::max(largest_, t.own_bytes());
    t.clear();
    free_.push_back(std::move(t));
  }

private:
  const bool gather_;
  std::mutex mu_;
  std::vector<TextPieces> free_;
  size_t largest_ = 0;
};

// The text of one chunk of the walk, made on the worker that walked it.
struct PrintedChunk final : ChunkWork {
  PrintedChunk(const KernelModel& model, StackDepot& depot, MemcgLines& memcg, PrintMode print_mode,
               bool exact, TextPieces chunk_text)
      : printer(model, depot, memcg, exact), mode(print_mode), text(std::move(chunk_text)) {}
  void record(const PageRecord& rec) override {
    switch (printer.append(text, rec, mode)) {
    case RecordPrinter::Result::Printed:
      break;
    case RecordPrinter::Result::TooLong:
      too_long++;
      break;
    case RecordPrinter::Result::Incomplete:
      incomplete++;
      break;
    case RecordPrinter::Result::NoStack:
      no_stack++;
      break;
    }
  }
  RecordPrinter printer; // before text: text may refer to the printer's memcg lines
  PrintMode mode;
  TextPieces text;
  uint64_t too_long = 0, incomplete = 0, no_stack = 0;
};

} // namespace

void Engine::page_owner(const Filter& filter, const Sink& sink, const Progress& progress) {
  print_page_owner(
      filter, /*gather=*/false, [&](const TextPieces& text) { sink(text.flat()); }, progress);
}

void Engine::page_owner_pieces(const Filter& filter, const PiecesSink& sink,
                               const Progress& progress) {
  print_page_owner(filter, /*gather=*/true, sink, progress);
}

void Engine::print_page_owner(const Filter& filter, bool gather, const PiecesSink& sink,
                              const Progress& progress) {
  ParallelWalk walk(mem_, model_, walk_threads_);
  ChunkTexts texts(gather);
  walk.run(
      filter,
      [&] {
        return std::make_unique<PrintedChunk>(model_, *depot_, *memcg_, filter.mode, exact_,
                                              texts.take());
      },
      [&](ChunkWork& work) {
        auto& chunk = static_cast<PrintedChunk&>(work);
        if (!chunk.text.empty()) sink(chunk.text);
        texts.give(std::move(chunk.text));
        too_long_ += chunk.too_long;
        incomplete_ += chunk.incomplete;
        no_stack_ += chunk.no_stack;
        bad_handles_ += chunk.printer.bad_handles();
        memcg_placeholders_ += chunk.printer.memcg_placeholders();
        stack_placeholders_ += chunk.printer.stack_placeholders();
      },
      progress);
  skipped_.add(walk.skipped());
}

std::string Engine::stacks(StackView view, std::optional<uint64_t> threshold) {
  if (!model_.has_stack_views)
    throw Error(Status::Usage, fmt::format("Linux {} has no page_owner_stacks", model_.release));
  auto result =
      render_stack_view(mem_, model_, *depot_, view, threshold.value_or(model_.pages_threshold));
  stack_problems_ += result.unreadable + (result.truncated ? 1 : 0);
  stack_list_cut_ = stack_list_cut_ || result.cut_short;
  return std::move(result.text);
}

std::string Engine::skipped_hint() const {
  // A cgroup's name is in a slab page (its kernfs_node). makedumpfile older than the kernel can
  // take slab pages for user pages (1.7.2 on Linux 6.10+, where slab pages carry a page type
  // instead of PG_slab), and -d 31 then leaves them out.
  if (!incomplete_ && !memcg_placeholders_) return "";
  return "the memcg names are in slab pages this dump left out: makedumpfile -d 23, or a "
         "makedumpfile that knows this kernel's page types, keeps them";
}

std::string Engine::skipped_summary() const {
  std::string out;
  auto add = [&](uint64_t n, std::string_view what) {
    if (!n) return;
    fmt::format_to(std::back_inserter(out), "{}{} {}", out.empty() ? "" : ", ", n, what);
  };
  for (size_t i = 0; i < skipped_.counts.size(); i++)
    add(skipped_.counts[i], skip_reason_text(static_cast<SkipReason>(i)));
  add(too_long_, "records longer than the kernel's page-sized buffer");
  add(incomplete_, "records whose memcg is not in the dump");
  add(no_stack_, "records whose stack is not in the dump");
  add(bad_handles_, "records with an unusable stack handle (printed without a stack)");
  add(stack_problems_, "stack list entries unreadable");
  if (stack_list_cut_)
    out += std::string(out.empty() ? "" : ", ") +
           "the stack list is cut short (an entry is not in the dump: later stacks not shown)";
  if (out.empty()) return out;
  return "skipped: " + out;
}

std::string Engine::placeholder_summary() const {
  if (!memcg_placeholders_ && !stack_placeholders_) return "";
  std::string out = "not in the dump, printed as '?': ";
  if (memcg_placeholders_) out += fmt::format("the memcg of {} records", memcg_placeholders_);
  if (memcg_placeholders_ && stack_placeholders_) out += ", ";
  if (stack_placeholders_) out += fmt::format("the stack of {} records", stack_placeholders_);
  return out + " (--exact leaves such records out)";
}

std::vector<std::string> Engine::notes() const {
  std::vector<std::string> notes;
  for (std::string line : {skipped_summary(), placeholder_summary()})
    if (!line.empty()) notes.push_back(std::move(line));
  if (std::string hint = skipped_hint(); !hint.empty()) notes.push_back("hint: " + hint);
  return notes;
}

} // namespace powner
