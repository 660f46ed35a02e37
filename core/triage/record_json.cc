// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/record_json.h"

#include "powner/flags_format.h"
#include "powner/parallel_walk.h"
#include "powner/record_printer.h"
#include "powner/triage/stack_frames.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

namespace powner {

namespace {

using json = nlohmann::ordered_json;

// One chunk's records, formatted by the worker that walked them.
class JsonChunk final : public ChunkWork {
public:
  JsonChunk(const KernelModel& m, StackDepot& depot, MemcgLines& memcg)
      : m_(m), depot_(depot), memcg_(memcg), printer_(m, depot, memcg) {}

  void record(const PageRecord& rec) override {
    const auto& po = m_.po;
    json o;
    o["pfn"] = rec.pfn;
    o["order"] = rec.order;
    o["pages"] = uint64_t{1} << rec.order;
    o["gfp_mask"] = rec.gfp_mask;
    o["gfp"] = fmt::format("{:#x}({})", rec.gfp_mask, printer_.gfp_text(rec.gfp_mask));
    if (po.pid) o["pid"] = rec.pid;
    if (po.tgid) o["tgid"] = rec.tgid;
    if (po.comm) o["comm"] = rec.comm;
    if (po.ts_nsec) o["ts_nsec"] = rec.ts_nsec;
    if (po.free_ts_nsec) o["free_ts_nsec"] = rec.free_ts_nsec;
    o["node"] = rec.nid;
    o["migratetype"] = name_or_unknown(m_.migratetype_names, gfp_migratetype(m_, rec.gfp_mask));
    o["pageblock_migratetype"] = name_or_unknown(m_.migratetype_names, rec.pageblock_migratetype);
    o["page_flags"] = rec.page_flags;
    o["flags"] = printer_.page_flags_text(rec.page_flags);
    o["handle"] = rec.handle;
    o["stack"] = stack(rec.handle);
    o["last_migrate_reason"] =
        rec.last_migrate_reason == m_.never_migrated
            ? json(nullptr)
            : json(name_or_unknown(m_.migrate_reason_names, rec.last_migrate_reason));
    if (m_.memcg.present) o["memcg"] = memcg(rec);
    // A comm is whatever bytes a task named itself: never let one make the line invalid.
    text += o.dump(-1, ' ', false, json::error_handler_t::replace);
    text += '\n';
  }

  std::string text;

private:
  // The frames as the record prints them, innermost first; null when the dump lacks them.
  const json& stack(uint32_t handle) {
    auto [it, inserted] = stacks_.try_emplace(handle);
    if (inserted) {
      bool bad = false, unavailable = false;
      const std::string& t = depot_.text(handle, &bad, &unavailable);
      if (unavailable) {
        it->second = nullptr;
      } else {
        it->second = json::array();
        for (std::string_view frame : stack_frames(t))
          it->second.push_back(std::string(frame));
      }
    }
    return it->second;
  }

  json memcg(const PageRecord& rec) {
    PageMemcg d = memcg_.describe(rec.memcg_data, rec.page_is_tail);
    json o = {{"state", std::string(state_name(d.state))}};
    if (d.state == PageMemcg::State::Charged || d.state == PageMemcg::State::NotInDump) {
      o["name"] = d.state == PageMemcg::State::Charged ? json(d.name) : json(nullptr);
      o["via_objcg"] = d.via_objcg;
      if (d.state == PageMemcg::State::Charged || d.memcg) o["online"] = d.online;
      if (d.memcg) o["mem_cgroup"] = d.memcg;
    }
    return o;
  }

  const KernelModel& m_;
  StackDepot& depot_;
  MemcgLines& memcg_;
  RecordPrinter printer_; // for its caches of the gfp and page-flags texts
  std::unordered_map<uint32_t, json> stacks_;
};

} // namespace

void page_owner_json(Engine& engine, const Filter& filter, const Sink& sink,
                     const Progress& progress) {
  const KernelModel& m = engine.model();
  json head = {{"schema", "powner-records"},
               {"version", 1},
               {"release", m.release},
               {"page_size", m.page_size}};
  sink(head.dump() + "\n");
  ParallelWalk walk(engine.memory(), m, engine.walk_threads());
  walk.run(
      filter, [&] { return std::make_unique<JsonChunk>(m, engine.depot(), engine.memcg_lines()); },
      [&](ChunkWork& work) {
        auto& chunk = static_cast<JsonChunk&>(work);
        if (!chunk.text.empty()) sink(chunk.text);
      },
      progress);
  engine.add_skipped(walk.skipped());
}

} // namespace powner
