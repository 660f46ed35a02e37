// SPDX-License-Identifier: GPL-2.0-or-later
// ParallelWalk on every fixture dump: the same records, in the same order, with the same skip
// counts as one PageOwnerWalk, whatever the number of threads and the chunk size; a reader that
// cannot be cloned walks on the caller's thread, and one thread walks with a clone when the clone
// reads what the host's reader reads; an exception from a chunk's work or its finish
// stops the workers. And the engine's text is the same with 1, 2 and 3 threads.
#include "fixture_dumps.h"
#include "powner/parallel_walk.h"

#include <atomic>
#include <gtest/gtest.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace powner {
namespace {

// Collects a chunk's records.
struct Collect final : ChunkWork {
  void record(const PageRecord& rec) override { records.push_back(rec); }
  std::vector<PageRecord> records;
};

// Every record of walk, in the order the chunks are finished.
std::vector<PageRecord> run_walk(ParallelWalk& walk, const Filter& filter,
                                 const ParallelWalk::Progress& progress = {}) {
  std::vector<PageRecord> out;
  walk.run(
      filter, [] { return std::make_unique<Collect>(); },
      [&](ChunkWork& w) {
        auto& c = static_cast<Collect&>(w);
        out.insert(out.end(), c.records.begin(), c.records.end());
      },
      progress);
  return out;
}

auto fields(const PageRecord& r) {
  return std::tie(r.pfn, r.order, r.last_migrate_reason, r.gfp_mask, r.handle, r.free_handle,
                  r.ts_nsec, r.free_ts_nsec, r.comm, r.pid, r.tgid, r.free_pid, r.free_tgid,
                  r.page_flags, r.memcg_data, r.page_is_tail, r.pageblock_migratetype);
}

// The dump, without clone(): what a debugger's reader is.
class Unclonable final : public Memory {
public:
  explicit Unclonable(Memory& inner) : inner_(inner) {}
  bool read(uint64_t addr, void* out, size_t len) override { return inner_.read(addr, out, len); }

private:
  Memory& inner_;
};

// A debugger's slow reader of the dump, counting its reads, whose clones read the dump file
// (as the crash and drgn hosts give); with wrong_root, the clones disagree about the memory
// section roots.
class HostReader final : public Memory {
public:
  HostReader(KdumpFile& file, uint64_t mem_section, bool wrong_root)
      : file_(file), mem_section_(mem_section), wrong_root_(wrong_root) {}
  bool read(uint64_t addr, void* out, size_t len) override {
    reads++;
    return file_.read(addr, out, len);
  }
  std::unique_ptr<Memory> clone() override {
    auto c = file_.clone();
    if (!wrong_root_) return c;
    struct Wrong final : Memory {
      Wrong(std::unique_ptr<Memory> in, uint64_t at) : inner(std::move(in)), root(at) {}
      bool read(uint64_t addr, void* out, size_t len) override {
        return addr != root && inner->read(addr, out, len);
      }
      std::unique_ptr<Memory> inner;
      uint64_t root;
    };
    return std::make_unique<Wrong>(std::move(c), mem_section_);
  }
  uint64_t reads = 0;

private:
  KdumpFile& file_;
  uint64_t mem_section_;
  bool wrong_root_;
};

class ParallelWalkTest : public ::testing::Test {
protected:
  void SetUp() override {
    dumps_ = testing::open_fixture_dumps();
    if (dumps_.empty()) GTEST_SKIP() << "no fixture dumps (set POWNER_FIXTURES)";
  }
  std::vector<testing::FixtureDump> dumps_;
};

TEST_F(ParallelWalkTest, SameRecordsInPfnOrder) {
  for (auto& d : dumps_) {
    const KernelModel& m = d.engine->model();
    Filter all, node1;
    ASSERT_FALSE(apply_filter_command(node1, "nid=1", m.memory_nodes));
    for (const Filter* f : {&all, &node1}) {
      std::vector<PageRecord> want;
      PageOwnerWalk one(*d.file, m);
      one.run(*f, [&](const PageRecord& r) { want.push_back(r); });
      ASSERT_GT(want.size(), 100u) << d.name;
      for (unsigned threads : {2u, 3u}) {
        for (uint64_t chunk : {1u, 4u}) {
          uint64_t last_progress = 0;
          ParallelWalk walk(*d.file, m, threads, chunk);
          std::vector<PageRecord> got = run_walk(walk, *f, [&](uint64_t done, uint64_t) {
            EXPECT_GE(done, last_progress);
            last_progress = done;
          });
          ASSERT_EQ(got.size(), want.size()) << d.name << " threads " << threads;
          for (size_t i = 0; i < want.size(); i++)
            ASSERT_EQ(fields(got[i]), fields(want[i])) << d.name << " record " << i;
          EXPECT_EQ(walk.skipped().counts, one.skipped().counts) << d.name;
          EXPECT_EQ(walk.pfns_scanned(), one.pfns_scanned()) << d.name;
        }
      }
    }
  }
}

TEST_F(ParallelWalkTest, UnclonableReaderWalksOnTheCallersThread) {
  auto& d = dumps_.front();
  Unclonable mem(*d.file);
  uint64_t want = 0;
  ParallelWalk walk(mem, d.engine->model(), 4, 1);
  size_t n = run_walk(walk, Filter{}).size();
  PageOwnerWalk(*d.file, d.engine->model()).run(Filter{}, [&](const PageRecord&) { want++; });
  EXPECT_EQ(n, want);
}

TEST_F(ParallelWalkTest, OneThreadWalksWithAClonedReaderWhenItReadsTheSame) {
  auto& d = dumps_.front();
  const KernelModel& m = d.engine->model();
  size_t want = 0;
  PageOwnerWalk(*d.file, m).run(Filter{}, [&](const PageRecord&) { want++; });
  for (bool wrong_root : {false, true}) {
    HostReader host(*d.file, m.mem_section, wrong_root);
    ParallelWalk walk(host, m, 1, 1);
    EXPECT_EQ(run_walk(walk, Filter{}).size(), want) << wrong_root;
    // Right: the host read only the root to compare. Wrong: the host walked everything.
    if (wrong_root)
      EXPECT_GT(host.reads, 2u);
    else
      EXPECT_EQ(host.reads, 1u);
  }
}

// Throws at the n-th record of all chunks together.
struct ThrowAt final : ChunkWork {
  explicit ThrowAt(std::atomic<int>& counter) : left(counter) {}
  void record(const PageRecord&) override {
    if (--left == 0) throw std::runtime_error("damaged");
  }
  std::atomic<int>& left;
};

TEST_F(ParallelWalkTest, ExceptionsStopTheWorkers) {
  for (auto& d : dumps_) {
    std::atomic<int> left = 50;
    ParallelWalk walk(*d.file, d.engine->model(), 2, 1);
    EXPECT_THROW(walk.run(
                     Filter{}, [&] { return std::make_unique<ThrowAt>(left); }, [](ChunkWork&) {}),
                 std::runtime_error)
        << d.name;
    // The third chunk's consumer fails (the first, where a dump has fewer: 64 KiB pages make
    // 512 MiB sections, and a small machine one chunk).
    int chunks = 0;
    walk.run(
        Filter{}, [] { return std::make_unique<Collect>(); }, [&](ChunkWork&) { chunks++; });
    const int fail_at = chunks >= 3 ? 3 : 1;
    int finished = 0;
    EXPECT_THROW(walk.run(
                     Filter{}, [] { return std::make_unique<Collect>(); },
                     [&](ChunkWork&) {
                       if (++finished == fail_at) throw std::runtime_error("reader went away");
                     }),
                 std::runtime_error)
        << d.name;
    EXPECT_EQ(finished, fail_at);
  }
}

TEST_F(ParallelWalkTest, EngineTextIsTheSameWithThreads) {
  for (auto& d : dumps_) {
    std::string want;
    for (unsigned threads : {1u, 2u, 3u}) {
      Engine engine(*d.file, *d.types, d.file->vmcoreinfo());
      engine.set_walk_threads(threads);
      std::string got;
      engine.page_owner(Filter{}, [&](std::string_view text) { got += text; });
      if (threads == 1)
        want = std::move(got);
      else
        ASSERT_TRUE(got == want) << d.name << " with " << threads << " threads";
    }
    EXPECT_GT(want.size(), 100000u) << d.name;
  }
}

} // namespace
} // namespace powner
