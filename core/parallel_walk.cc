// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/parallel_walk.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <sched.h>
#include <thread>
#include <utility>
#include <vector>

namespace powner {

namespace {

// More workers than this mostly wait for the thread writing the output, and each adds a chunk of
// text (tens of MB) to what is held.
constexpr unsigned kMaxThreads = 8;

struct Slot {
  uint64_t index = ~0ULL; // the chunk whose results these are, once done
  bool done = false;
  std::unique_ptr<ChunkWork> work;
  SkipCounts skipped;
  uint64_t scanned = 0;
};

} // namespace

unsigned default_walk_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  return std::clamp<unsigned>(static_cast<unsigned>(n), 1, kMaxThreads);
}

// One section by default: enough pages to pay for handing a chunk over many times; few enough
// records that the chunks in flight stay small (a section of 128 MiB holds at most 32768).
ParallelWalk::ParallelWalk(Memory& mem, const KernelModel& model, unsigned threads,
                           uint64_t chunk_sections)
    : mem_(mem), m_(model), threads_(std::clamp<unsigned>(threads, 1, kMaxThreads)),
      chunk_sections_(std::max<uint64_t>(chunk_sections, 1)) {}

void ParallelWalk::run(const Filter& filter, const StartChunk& start_chunk,
                       const FinishChunk& finish_chunk, const Progress& progress) {
  const PfnRange all = page_owner_pfns(m_);
  const uint64_t first = all.begin, end = all.end;
  if (end <= first) return;
  const uint64_t chunk =
      std::max(uint64_t{1} << m_.pfn_section_shift, m_.max_order_nr_pages) * chunk_sections_;
  // Chunk i covers [start(i), start(i + 1)): the first from min_low_pfn, the others aligned.
  const uint64_t base = first / chunk * chunk;
  const uint64_t chunks = (end - base + chunk - 1) / chunk;
  auto start = [&](uint64_t i) { return std::clamp(base + i * chunk, first, end); };

  // One chunk's walk. A walk keeps its buffers from one chunk to the next, and counts over all
  // of them.
  auto walk_chunk = [&](PageOwnerWalk& walk, uint64_t i, Slot& out) {
    out.index = i;
    out.work = start_chunk();
    const SkipCounts skipped_before = walk.skipped();
    const uint64_t scanned_before = walk.pfns_scanned();
    walk.run({start(i), start(i + 1)}, filter,
             [&](const PageRecord& rec) { out.work->record(rec); });
    out.skipped = walk.skipped().since(skipped_before);
    out.scanned = walk.pfns_scanned() - scanned_before;
    out.done = true;
  };
  auto deliver = [&](Slot& slot, uint64_t i) {
    finish_chunk(*slot.work);
    skipped_.add(slot.skipped);
    scanned_ += slot.scanned;
    if (progress) progress(start(i + 1), end);
  };

  // The workers' readers. The caller's own stays with the caller (and the caches of stacks and
  // memcgs, which read through it under their locks). A host's own reader (crash's, drgn's) is
  // slower than a clone of the dump file, so even one thread walks with a clone when it can.
  // A clone must read what the original reads (the memory section roots, say), or a walk would
  // take its failures for pages missing from the dump.
  std::vector<std::unique_ptr<Memory>> readers;
  const unsigned wanted = chunks > 1 ? threads_ : 1;
  uint64_t want = 0;
  bool original_reads = false;
  for (unsigned i = 0; i < wanted; i++) {
    auto reader = mem_.clone();
    if (!reader) break;
    if (i == 0) original_reads = mem_.read(m_.mem_section, &want, sizeof want);
    uint64_t got = 0;
    if (original_reads && !(reader->read(m_.mem_section, &got, sizeof got) && got == want)) break;
    readers.push_back(std::move(reader));
  }
  if (readers.size() < 2) {
    PageOwnerWalk walk(readers.empty() ? mem_ : *readers.front(), m_);
    for (uint64_t i = 0; i < chunks; i++) {
      Slot slot;
      walk_chunk(walk, i, slot);
      deliver(slot, i);
    }
    return;
  }

  std::mutex mu;
  std::condition_variable cv;
  // Chunks done or being walked, at most: one per worker, the one being written included.
  std::vector<Slot> slots(readers.size());
  uint64_t claimed = 0, delivered = 0;
  bool stop = false;
  std::exception_ptr failure;

  auto work = [&](Memory& reader) {
    try {
      PageOwnerWalk walk(reader, m_);
      for (;;) {
        uint64_t i;
        {
          std::unique_lock lock(mu);
          cv.wait(lock,
                  [&] { return stop || claimed >= chunks || claimed < delivered + slots.size(); });
          if (stop || claimed >= chunks) return;
          i = claimed++;
        }
        Slot result;
        walk_chunk(walk, i, result);
        std::lock_guard lock(mu);
        slots[i % slots.size()] = std::move(result);
        cv.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(mu);
      if (!failure) failure = std::current_exception();
      stop = true;
      cv.notify_all();
    }
  };

  std::vector<std::thread> workers;
  auto stop_workers = [&] {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    for (auto& t : workers)
      t.join();
    workers.clear();
  };
  try {
    for (auto& reader : readers)
      workers.emplace_back(work, std::ref(*reader));
    for (uint64_t i = 0; i < chunks; i++) {
      Slot got;
      {
        std::unique_lock lock(mu);
        Slot& slot = slots[i % slots.size()];
        cv.wait(lock, [&] { return failure || (slot.done && slot.index == i); });
        if (failure) break;
        got = std::move(slot);
        slot = Slot{};
        delivered = i + 1;
      }
      cv.notify_all();
      deliver(got, i);
    }
  } catch (...) {
    stop_workers();
    throw;
  }
  stop_workers();
  if (failure) std::rethrow_exception(failure);
}

} // namespace powner
