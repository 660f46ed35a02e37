// SPDX-License-Identifier: GPL-2.0-or-later
// powner diff's matching and order, a saved powner top --json read back, and the diff's
// outputs, on synthetic groups.
#include "powner/status.h"
#include "powner/triage/saved_top.h"
#include "powner/triage/top_diff.h"
#include "powner/triage/top_diff_report.h"
#include "powner/triage/top_report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace powner {
namespace {

TopGroup group(const std::string& memcg, uint64_t pages, uint64_t records, bool offline = false) {
  TopGroup g;
  g.fields = {{"memcg", memcg}, {"offline", offline}};
  g.key = diff_key(TopKey::Memcg, g.fields);
  g.pages = pages;
  g.records = records;
  return g;
}

DiffSide side(std::vector<TopGroup> groups, std::string source) {
  DiffSide s;
  s.by = TopKey::Memcg;
  s.source = std::move(source);
  s.group_count = groups.size();
  for (const TopGroup& g : groups) {
    s.total_pages += g.pages;
    s.total_records += g.records;
  }
  s.selected_pages = s.total_pages;
  s.selected_records = s.total_records;
  s.groups = std::move(groups);
  return s;
}

std::vector<std::string> keys(const TopDiff& d) {
  std::vector<std::string> out;
  for (const DiffRow& r : d.rows)
    out.push_back(r.key);
  return out;
}

TEST(TopDiff, GrowthFirstThenShrinkageThenSame) {
  const DiffSide a = side({group("leak", 10, 10), group("steady", 50, 5), group("shrinks", 40, 4),
                           group("gone", 3, 1), group("small", 2, 2)},
                          "a");
  const DiffSide b = side({group("leak", 110, 60), group("steady", 50, 5), group("shrinks", 1, 1),
                           group("new", 20, 2), group("small", 3, 3)},
                          "b");
  const TopDiff d = diff_tops(a, b);
  EXPECT_EQ(keys(d),
            (std::vector<std::string>{"leak", "new", "small", "shrinks", "gone", "steady"}));
  EXPECT_EQ(d.rows[0].change, DiffChange::Grew);
  EXPECT_EQ(d.rows[0].delta_pages(), 100);
  EXPECT_EQ(d.rows[0].delta_records(), 50);
  EXPECT_EQ(d.rows[1].change, DiffChange::New);
  EXPECT_EQ(d.rows[1].pages_a, 0U);
  EXPECT_EQ(d.rows[3].change, DiffChange::Shrank);
  EXPECT_EQ(d.rows[3].delta_pages(), -39);
  EXPECT_EQ(d.rows[4].change, DiffChange::Gone);
  EXPECT_EQ(d.rows[4].pages_b, 0U);
  EXPECT_EQ(d.rows[5].change, DiffChange::Same);
}

TEST(TopDiff, TiesOrderByPagesThenKey) {
  const DiffSide a = side({group("x", 1, 1), group("y", 5, 1)}, "a");
  const DiffSide b = side({group("x", 2, 1), group("y", 6, 1), group("w", 1, 1)}, "b");
  // All grew by one page: the larger in B first, then by key.
  EXPECT_EQ(keys(diff_tops(a, b)), (std::vector<std::string>{"y", "x", "w"}));
}

TEST(TopDiff, ADiffOfItselfIsAllSame) {
  const DiffSide a = side({group("p", 7, 3), group("q", 9, 1), group("q", 1, 1, true)}, "a");
  const TopDiff d = diff_tops(a, a);
  ASSERT_EQ(d.rows.size(), 3U);
  for (const DiffRow& r : d.rows) {
    EXPECT_EQ(r.change, DiffChange::Same);
    EXPECT_EQ(r.delta_pages(), 0);
  }
  EXPECT_EQ(keys(d), (std::vector<std::string>{"q", "p", "q (offline)"}));
}

TEST(TopDiff, GroupsASideDoesNotListAreUnknown) {
  DiffSide a = side({group("big", 100, 1)}, "a");
  a.group_count = 3; // saved with -n 1
  const DiffSide b = side({group("big", 90, 1), group("other", 5, 1)}, "b");
  const TopDiff d = diff_tops(a, b);
  ASSERT_EQ(d.rows.size(), 2U);
  EXPECT_EQ(d.rows[0].change, DiffChange::Shrank);
  EXPECT_EQ(d.rows[1].change, DiffChange::Unknown);
  EXPECT_FALSE(d.rows[1].pages_a);
  EXPECT_FALSE(d.rows[1].delta_pages());
  EXPECT_EQ(d.rows[1].pages_b, 5U);
}

TEST(TopDiff, RefusesSidesOfOtherKeysOrPageSizes) {
  DiffSide a = side({}, "a"), b = side({}, "b");
  b.page_size = 65536;
  EXPECT_THROW(diff_tops(a, b), Error);
  b.page_size = a.page_size;
  b.by = TopKey::Stack;
  EXPECT_THROW(diff_tops(a, b), Error);
}

TEST(TopDiff, KeysFromFields) {
  EXPECT_EQ(diff_key(TopKey::Memcg, {{"memcg", std::string("po_gone")}, {"offline", true}}),
            "po_gone (offline)");
  EXPECT_EQ(diff_key(TopKey::Order, {{"order", int64_t{3}}}), "order 3");
  EXPECT_EQ(
      diff_key(TopKey::Tgid, {{"tgid", int64_t{69}}, {"comm", std::string("x")}, {"exited", true}}),
      "69");
  EXPECT_EQ(diff_key(TopKey::Age, {{"age", std::string("<1m")}, {"age_bucket", int64_t{2}}}),
            "<1m");
}

TopResult top_of(TopKey by) {
  TopResult r;
  r.by = by;
  r.total_pages = r.selected_pages = 12;
  r.total_records = r.selected_records = 4;
  r.clock.ns = 7;
  TopGroup g;
  g.key = " a+0x1/0x2\n";
  g.fields = {{"stack", g.key}};
  g.pages = 8;
  g.records = 3;
  TopGroup h = g;
  h.key = " b+0x1/0x2 [m]\n";
  h.fields = {{"stack", h.key}};
  h.pages = 4;
  h.records = 1;
  r.groups = {g, h};
  return r;
}

TEST(SavedTop, ReadsBackWhatTopWrote) {
  TopResult r = top_of(TopKey::Stack);
  const std::string text = top_json_lines(r, 0);
  const DiffSide saved = read_saved_top(text, "s.json", TopKey::Stack);
  EXPECT_TRUE(saved.saved);
  EXPECT_TRUE(saved.complete());
  EXPECT_EQ(saved.total_pages, 12U);
  EXPECT_EQ(saved.crash_time_ns, 7U);
  ASSERT_EQ(saved.groups.size(), 2U);
  EXPECT_EQ(saved.groups[1].key, " b+0x1/0x2 [m]\n");
  EXPECT_EQ(saved.groups[1].pages, 4U);
  const TopDiff d = diff_tops(saved, diff_side(std::move(r), "dump"));
  for (const DiffRow& row : d.rows)
    EXPECT_EQ(row.change, DiffChange::Same);
  EXPECT_FALSE(
      read_saved_top(top_json_lines(top_of(TopKey::Stack), 1), "s", TopKey::Stack).complete());
}

Status status_of(const std::string& text, TopKey by = TopKey::Stack) {
  try {
    read_saved_top(text, "s.json", by);
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.status();
  }
  return Status::Ok;
}

TEST(SavedTop, RefusesWhatIsNotAWholeOutput) {
  const std::string text = top_json_lines(top_of(TopKey::Stack), 0);
  EXPECT_EQ(status_of(text), Status::Ok);
  EXPECT_EQ(status_of(text, TopKey::Memcg), Status::Usage); // saved with another --by
  EXPECT_EQ(status_of(text.substr(0, text.size() - 5)), Status::NotADump); // cut short
  EXPECT_EQ(status_of(""), Status::NotADump);
  EXPECT_EQ(status_of("{\"schema\":\"powner-diff\",\"version\":1}\n"), Status::NotADump);
  EXPECT_EQ(status_of("{\"schema\":\"powner-top\",\"version\":2}\n"), Status::NotADump);
  EXPECT_EQ(status_of("[1]\n"), Status::NotADump);
  const std::string head = text.substr(0, text.find('\n') + 1);
  EXPECT_EQ(status_of(head + "{\"pages\":1,\"records\":1}\n"), Status::NotADump); // no stack
  EXPECT_EQ(status_of(head + "{\"stack\":\"\",\"pages\":-1,\"records\":1}\n"), Status::NotADump);
  EXPECT_EQ(status_of(text + "{\"stack\":\"\",\"pages\":1,\"records\":1}\n"),
            Status::NotADump); // more groups than its header says
  EXPECT_TRUE(looks_like_json("\n {\"schema\""));
  EXPECT_FALSE(looks_like_json("KDUMP   "));
  EXPECT_FALSE(looks_like_json(""));
}

TEST(TopDiffReport, JsonLinesAndTable) {
  DiffSide a = side({group("big", 100, 1), group("gone", 2, 1)}, "a");
  a.group_count = 3;
  const DiffSide b = side({group("big", 356, 2), group("other", 5, 1)}, "b");
  const TopDiff d = diff_tops(a, b);
  std::istringstream lines(diff_json_lines(d, a, b, 0));
  std::string line;
  std::vector<nlohmann::json> objects;
  while (std::getline(lines, line))
    objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 4U);
  EXPECT_EQ(objects[0]["schema"], "powner-diff");
  EXPECT_EQ(objects[0]["version"], 1);
  EXPECT_EQ(objects[0]["by"], "memcg");
  EXPECT_EQ(objects[0]["a"]["groups"], 3);
  EXPECT_EQ(objects[0]["a"]["groups_listed"], 2);
  EXPECT_EQ(objects[1]["memcg"], "big");
  EXPECT_EQ(objects[1]["delta_pages"], 256);
  EXPECT_EQ(objects[1]["delta_mib"], 1.0);
  EXPECT_EQ(objects[2]["change"], "gone");
  EXPECT_EQ(objects[3]["change"], "unknown");
  EXPECT_TRUE(objects[3]["pages_a"].is_null());
  EXPECT_TRUE(objects[3]["delta_pages"].is_null());
  const std::string table = diff_table(d, a, b, 1);
  EXPECT_NE(table.find("2 of 3 groups listed"), std::string::npos);
  EXPECT_NE(table.find("+256"), std::string::npos);
  EXPECT_NE(table.find("(2 more rows: -n 0 shows all)"), std::string::npos);
}

} // namespace
} // namespace powner
