// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/top_walk.h"

#include "powner/flags_format.h"
#include "powner/parallel_walk.h"
#include "powner/record_printer.h"
#include "powner/status.h"
#include "powner/triage/live_tasks.h"
#include "powner/triage/page_allocator.h"
#include "powner/triage/stack_frames.h"

#include <algorithm>
#include <fmt/format.h>
#include <unordered_map>

namespace powner {

namespace {

// A record's key before it is named: a handle, a tgid, a memcg_data and its tail bit...
struct RawKey {
  uint64_t a = 0, b = 0;
  bool operator==(const RawKey&) const = default;
};
struct RawHash {
  size_t operator()(const RawKey& k) const {
    return std::hash<uint64_t>()(k.a * 0x9e3779b97f4a7c15 ^ k.b);
  }
};

struct TopContext {
  const KernelModel& model;
  StackDepot& depot;
  MemcgLines& memcg;
  const TopSelection& select;
  uint64_t crash_ns;
};

// The memcg of a record as its memcg line names it.
struct MemcgName {
  std::string key;  // the group's: "po_c", "po_gone (offline)", "(no memcg)"...
  std::string name; // the memcg's own name, "" when not charged
  bool offline = false;
};

MemcgName memcg_name(const PageMemcg& m) {
  using State = PageMemcg::State;
  switch (m.state) {
  case State::Charged:
    return {m.online ? m.name : m.name + " (offline)", m.name, !m.online};
  case State::Slab:
    return {fmt::format("({})", state_name(m.state)), "", false};
  case State::NotInDump:
    return {fmt::format("? ({})", state_name(m.state)), "", !m.online && m.memcg};
  default:
    return {"(no memcg)", "", false};
  }
}

struct StackInfo {
  std::string text;                 // as the record prints it, or its placeholder
  std::vector<std::string> modules; // of its frames, innermost first, each once
  bool vmalloc = false;             // through __vmalloc_node_range
};

// What a chunk's records are named by, looked up once per chunk: their stacks and memcgs,
// shared by every key the walk totals.
class RecordFacts {
public:
  explicit RecordFacts(const TopContext& context) : ctx(context) {}

  uint64_t age(const PageRecord& rec) const {
    return ctx.crash_ns > rec.ts_nsec ? ctx.crash_ns - rec.ts_nsec : 0;
  }

  const StackInfo& stack(uint32_t handle) {
    auto [it, inserted] = stacks_.try_emplace(handle);
    if (inserted) {
      bool bad = false, unavailable = false;
      const std::string& text = ctx.depot.text(handle, &bad, &unavailable);
      if (unavailable)
        placeholder::append_stack(it->second.text, handle);
      else
        it->second.text = text;
      it->second.vmalloc = is_vmalloc_stack(it->second.text);
      for (std::string_view frame : stack_frames(it->second.text)) {
        std::string_view module = frame_module(frame);
        auto& mods = it->second.modules;
        if (!module.empty() && std::find(mods.begin(), mods.end(), module) == mods.end())
          mods.emplace_back(module);
      }
    }
    return it->second;
  }

  const MemcgName& memcg(const PageRecord& rec) {
    auto [it, inserted] = memcgs_.try_emplace(RawKey{rec.memcg_data, rec.page_is_tail});
    if (inserted) it->second = memcg_name(ctx.memcg.describe(rec.memcg_data, rec.page_is_tail));
    return it->second;
  }

  bool selected(const PageRecord& rec) {
    const TopSelection& s = ctx.select;
    if (s.pid && rec.pid != *s.pid) return false;
    if (s.tgid && rec.tgid != *s.tgid) return false;
    if (s.comm && rec.comm != *s.comm) return false;
    if (s.node && rec.nid != *s.node) return false;
    if (s.since_ns && age(rec) > *s.since_ns) return false;
    if (s.until_ns && age(rec) < *s.until_ns) return false;
    if (s.memcg) {
      const MemcgName& m = memcg(rec);
      if (m.name != *s.memcg && m.key != *s.memcg) return false;
    }
    if (s.module) {
      const auto& mods = stack(rec.handle).modules;
      if (std::find(mods.begin(), mods.end(), *s.module) == mods.end()) return false;
    }
    return true;
  }

  const TopContext& ctx;

private:
  std::unordered_map<uint32_t, StackInfo> stacks_;
  std::unordered_map<RawKey, MemcgName, RawHash> memcgs_;
};

// One key's groups in a chunk.
class KeyGroups {
public:
  KeyGroups(TopKey by, RecordFacts& facts) : by_(by), facts_(facts) {}

  void add(const PageRecord& rec, uint64_t pages) {
    TopTable::Totals* group = group_of(rec);
    if (!group) return;
    // A task's records come in runs (its pages side by side): count them without a lookup.
    if (group == last_group_ && rec.tgid == last_tgid_ && rec.comm == last_comm_) {
      group->pages += pages;
      group->records++;
      *last_task_ += pages;
      return;
    }
    last_task_ = &TopTable::add(*group, rec.tgid, rec.comm, pages);
    last_group_ = group;
    last_tgid_ = rec.tgid;
    last_comm_ = rec.comm;
  }

  TopTable table;

private:
  RawKey raw_key(const PageRecord& rec) {
    switch (by_) {
    case TopKey::Stack:
    case TopKey::Module:
      return {rec.handle, 0};
    case TopKey::Tgid:
      return {static_cast<uint32_t>(rec.tgid), 0};
    case TopKey::Memcg:
      return {rec.memcg_data, rec.page_is_tail};
    case TopKey::Order:
      return {rec.order, 0};
    case TopKey::Gfp:
      return {rec.gfp_mask, 0};
    case TopKey::Migratetype:
      return {static_cast<uint64_t>(gfp_migratetype(facts_.ctx.model, rec.gfp_mask)), 0};
    case TopKey::Node:
      return {static_cast<uint32_t>(rec.nid), 0};
    case TopKey::Age:
      return {age_bucket(facts_.age(rec)), 0};
    case TopKey::Allocator: {
      // The stack is looked at only when the page itself does not answer.
      PageAllocator a = page_allocator(facts_.ctx.model, rec, false);
      if (a != PageAllocator::Slab && a != PageAllocator::PageTable &&
          facts_.stack(rec.handle).vmalloc)
        a = PageAllocator::Vmalloc;
      return {static_cast<uint64_t>(a), 0};
    }
    }
    return {};
  }

  // The group a record's raw key names, made when first seen; none for a record the key leaves
  // out (--by module: a stack without a module's frame).
  TopTable::Totals* group_of(const PageRecord& rec) {
    const RawKey raw = raw_key(rec);
    auto [it, inserted] = groups_.try_emplace(raw, nullptr);
    if (!inserted) return it->second;
    std::string key;
    std::vector<KeyField> fields;
    const KernelModel& m = facts_.ctx.model;
    switch (by_) {
    case TopKey::Stack:
      key = facts_.stack(rec.handle).text;
      fields = {{"stack", key}};
      break;
    case TopKey::Module: {
      const auto& mods = facts_.stack(rec.handle).modules;
      if (mods.empty()) return nullptr;
      key = mods.front(); // the module nearest the allocation
      fields = {{"module", key}};
      break;
    }
    case TopKey::Tgid:
      key = fmt::format("{}", rec.tgid);
      fields = {{"tgid", int64_t{rec.tgid}}}; // comm and exited: once all tasks are counted
      break;
    case TopKey::Memcg: {
      const MemcgName& name = facts_.memcg(rec);
      key = name.key;
      fields = {{"memcg", name.name.empty() ? name.key : name.name}, {"offline", name.offline}};
      break;
    }
    case TopKey::Order:
      key = fmt::format("order {}", rec.order);
      fields = {{"order", int64_t{rec.order}}};
      break;
    case TopKey::Gfp: {
      std::string names;
      append_flag_names(names, rec.gfp_mask, m.gfp_names);
      key = fmt::format("{:#x}({})", rec.gfp_mask, names);
      fields = {{"gfp", key}, {"gfp_mask", int64_t{rec.gfp_mask}}};
      break;
    }
    case TopKey::Migratetype:
      key = name_or_unknown(m.migratetype_names, gfp_migratetype(m, rec.gfp_mask));
      fields = {{"migratetype", key}};
      break;
    case TopKey::Node:
      key = fmt::format("node {}", rec.nid);
      fields = {{"node", int64_t{rec.nid}}};
      break;
    case TopKey::Age: {
      const size_t bucket = raw.a;
      key = fmt::format("{} {}", bucket, kAgeBuckets[bucket].label); // sorts as the buckets do
      fields = {{"age", std::string(kAgeBuckets[bucket].label)},
                {"age_bucket", static_cast<int64_t>(bucket)}};
      break;
    }
    case TopKey::Allocator:
      key = page_allocator_name(static_cast<PageAllocator>(raw.a));
      fields = {{"allocator", key}};
      break;
    }
    it->second = &table.group(key, std::move(fields));
    return it->second;
  }

  TopKey by_;
  RecordFacts& facts_;
  std::unordered_map<RawKey, TopTable::Totals*, RawHash> groups_;
  TopTable::Totals* last_group_ = nullptr;
  int32_t last_tgid_ = 0;
  std::string last_comm_;
  uint64_t* last_task_ = nullptr;
};

// A chunk's records totalled by every key of the walk at once.
class TopChunk final : public ChunkWork {
public:
  TopChunk(const TopContext& ctx, const std::vector<TopKey>& keys) : facts_(ctx) {
    groups.reserve(keys.size());
    for (TopKey key : keys)
      groups.emplace_back(key, facts_);
  }

  void record(const PageRecord& rec) override {
    const uint64_t pages = uint64_t{1} << rec.order;
    total_pages += pages;
    total_records++;
    newest_ts = std::max(newest_ts, rec.ts_nsec);
    if (!facts_.selected(rec)) return;
    selected_pages += pages;
    selected_records++;
    for (KeyGroups& g : groups)
      g.add(rec, pages);
  }

  std::vector<KeyGroups> groups; // in the order of the walk's keys
  uint64_t total_pages = 0, total_records = 0, selected_pages = 0, selected_records = 0;
  uint64_t newest_ts = 0;

private:
  RecordFacts facts_;
};

// The newest record's timestamp: a walk of its own, when the crash's clock is needed before
// the grouping walk and the runqueues could not give it.
uint64_t newest_record_ts(Engine& engine, const Filter& all) {
  struct Newest final : ChunkWork {
    void record(const PageRecord& rec) override { ts = std::max(ts, rec.ts_nsec); }
    uint64_t ts = 0;
  };
  uint64_t newest = 0;
  ParallelWalk walk(engine.memory(), engine.model(), engine.walk_threads());
  walk.run(
      all, [] { return std::make_unique<Newest>(); },
      [&](ChunkWork& w) { newest = std::max(newest, static_cast<Newest&>(w).ts); });
  return newest;
}

} // namespace

void check_top_query(const KernelModel& m, const TopQuery& q) {
  const TopSelection& s = q.select;
  auto refuse = [&](std::string_view what) {
    throw Error(Status::Usage,
                fmt::format("Linux {}'s page_owner records have no {}", m.release, what));
  };
  if (!m.po.tgid && (q.by == TopKey::Tgid || s.tgid)) refuse("tgid");
  if (!m.po.pid && s.pid) refuse("pid");
  if (!m.po.comm && s.comm) refuse("comm");
  if (!m.po.ts_nsec && (q.by == TopKey::Age || s.needs_time())) refuse("timestamps");
  if (!m.memcg.present && (q.by == TopKey::Memcg || s.memcg)) refuse("memcg lines");
}

TopResult run_top(Engine& engine, Types& types, const TopQuery& query, const Progress& progress) {
  return std::move(run_top(engine, types, query.select, {query.by}, progress).front());
}

std::vector<TopResult> run_top(Engine& engine, Types& types, const TopSelection& select,
                               const std::vector<TopKey>& keys, const Progress& progress) {
  const KernelModel& m = engine.model();
  bool needs_time = select.needs_time();
  for (TopKey key : keys) {
    check_top_query(m, TopQuery{key, select});
    needs_time = needs_time || key == TopKey::Age;
  }
  TopResult first; // what every key's result shares
  first.page_size = m.page_size;
  const Filter all; // every record, as the page_owner file has them
  std::string why;
  if (auto ns = runqueues_clock(engine.memory(), types, engine.symbols(), why)) {
    first.clock.ns = *ns;
  } else {
    first.clock.source = CrashClock::Source::NewestRecord;
    first.clock.why = why;
    if (m.po.ts_nsec && needs_time) first.clock.ns = newest_record_ts(engine, all);
  }
  std::optional<LiveTasks> live;
  if (m.po.tgid) {
    std::string tasks_why;
    live = read_live_tasks(engine.memory(), types, engine.symbols(), tasks_why);
    if (!live) first.notes.push_back("exited tasks not marked: " + tasks_why);
  }
  first.exited_known = live.has_value();

  const TopContext ctx{m, engine.depot(), engine.memcg_lines(), select, first.clock.ns};
  std::vector<TopTable> tables(keys.size());
  uint64_t newest = 0;
  ParallelWalk walk(engine.memory(), m, engine.walk_threads());
  walk.run(
      all, [&] { return std::make_unique<TopChunk>(ctx, keys); },
      [&](ChunkWork& work) {
        auto& chunk = static_cast<TopChunk&>(work);
        for (size_t i = 0; i < keys.size(); i++)
          tables[i].merge(std::move(chunk.groups[i].table));
        first.total_pages += chunk.total_pages;
        first.total_records += chunk.total_records;
        first.selected_pages += chunk.selected_pages;
        first.selected_records += chunk.selected_records;
        newest = std::max(newest, chunk.newest_ts);
      },
      progress);
  engine.add_skipped(walk.skipped());
  if (first.clock.source == CrashClock::Source::NewestRecord) {
    first.clock.ns = newest;
    if (m.po.ts_nsec)
      first.notes.push_back(
          fmt::format("crash time taken from the newest record ({})", first.clock.why));
  }

  auto exited = [&](int32_t tgid) { return live && !live->tgids.contains(tgid); };
  std::vector<TopResult> results;
  for (size_t i = 0; i < keys.size(); i++) {
    TopResult& result = results.emplace_back(first);
    result.by = keys[i];
    result.groups = tables[i].groups(exited);
    if (keys[i] == TopKey::Tgid)
      for (TopGroup& g : result.groups) {
        // A thread group's name: its largest task's comm (threads may name themselves apart).
        const std::string comm = g.top_tasks.empty() ? "" : g.top_tasks.front().comm;
        const auto tgid = static_cast<int32_t>(std::get<int64_t>(g.fields.front().value));
        g.fields.push_back({"comm", comm});
        g.fields.push_back({"exited", exited(tgid)});
      }
  }
  return results;
}

} // namespace powner
