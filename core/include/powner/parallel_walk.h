// SPDX-License-Identifier: GPL-2.0-or-later
// read_page_owner()'s walk cut into chunks of whole memory sections, on several threads. The
// chunks' walks together are the one walk (see PageOwnerCursor). Each worker walks a chunk with a
// Memory of its own (Memory::clone()) and hands its records to that chunk's ChunkWork (which may
// format them, on the worker); the chunks are finished on the calling thread in pfn order, so the
// result is the same whatever the number of threads. Only a few chunks are in flight at a time:
// memory stays bounded whatever the size of the dump.
#pragma once

#include "powner/filter.h"
#include "powner/kernel_model.h"
#include "powner/memory.h"
#include "powner/page_owner_walk.h"

#include <cstdint>
#include <functional>
#include <memory>

namespace powner {

// What is made of one chunk's records. record() runs on a worker thread, one chunk per object.
class ChunkWork {
public:
  virtual ~ChunkWork() = default;
  virtual void record(const PageRecord& rec) = 0;
};

class ParallelWalk {
public:
  using StartChunk = std::function<std::unique_ptr<ChunkWork>()>; // on any thread
  using FinishChunk = std::function<void(ChunkWork&)>;            // on the caller's, in order
  using Progress = std::function<void(uint64_t pfn, uint64_t max_pfn)>;

  // threads: workers to use. With 1, or a Memory that cannot be cloned, the chunks are walked
  // one after the other on the calling thread. chunk_sections: memory sections per chunk.
  ParallelWalk(Memory& mem, const KernelModel& model, unsigned threads,
               uint64_t chunk_sections = 1);

  // Walks every chunk under filter. An exception from a ChunkWork, finish or progress stops the
  // workers and is rethrown here.
  void run(const Filter& filter, const StartChunk& start, const FinishChunk& finish,
           const Progress& progress = {});

  const SkipCounts& skipped() const { return skipped_; }
  uint64_t pfns_scanned() const { return scanned_; }

private:
  Memory& mem_;
  const KernelModel& m_;
  unsigned threads_;
  uint64_t chunk_sections_;
  SkipCounts skipped_;
  uint64_t scanned_ = 0;
};

// The number of workers to use when the user does not say: the CPUs this process may run on.
unsigned default_walk_threads();

} // namespace powner
