// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/saved_top.h"

#include "powner/status.h"

#include <array>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace powner {

namespace {

using json = nlohmann::json;

enum class Kind { Text, Integer, Boolean };

struct FieldSpec {
  std::string_view name;
  Kind kind;
};

// The key fields top_report writes for each key (top_walk.cc names them), in TopKey's order.
const std::array<std::vector<FieldSpec>, 9> kKeyFields = {{
    {{"stack", Kind::Text}},
    {{"tgid", Kind::Integer}, {"comm", Kind::Text}, {"exited", Kind::Boolean}},
    {{"memcg", Kind::Text}, {"offline", Kind::Boolean}},
    {{"module", Kind::Text}},
    {{"order", Kind::Integer}},
    {{"gfp", Kind::Text}, {"gfp_mask", Kind::Integer}},
    {{"migratetype", Kind::Text}},
    {{"node", Kind::Integer}},
    {{"age", Kind::Text}, {"age_bucket", Kind::Integer}},
}};

class Reader {
public:
  explicit Reader(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(Status::NotADump, fmt::format("{}: {}", source_, why));
  }

  [[noreturn]] void fail_line(size_t line, const std::string& why) const {
    fail(fmt::format("line {}: {}", line, why));
  }

  const json& member(const json& object, std::string_view name, size_t line) const {
    auto it = object.find(name);
    if (it == object.end()) fail_line(line, fmt::format("no \"{}\"", name));
    return *it;
  }

  uint64_t count(const json& object, std::string_view name, size_t line) const {
    const json& v = member(object, name, line);
    if (!v.is_number_unsigned())
      fail_line(line, fmt::format("\"{}\" is not a whole number of 0 or more", name));
    return v.get<uint64_t>();
  }

  KeyField field(const json& object, const FieldSpec& spec, size_t line) const {
    const json& v = member(object, spec.name, line);
    KeyField f{std::string(spec.name), {}};
    switch (spec.kind) {
    case Kind::Text:
      if (!v.is_string()) fail_line(line, fmt::format("\"{}\" is not a string", spec.name));
      f.value = v.get<std::string>();
      break;
    case Kind::Integer:
      if (!v.is_number_integer())
        fail_line(line, fmt::format("\"{}\" is not an integer", spec.name));
      f.value = v.get<int64_t>();
      break;
    case Kind::Boolean:
      if (!v.is_boolean()) fail_line(line, fmt::format("\"{}\" is not a boolean", spec.name));
      f.value = v.get<bool>();
      break;
    }
    return f;
  }

private:
  const std::string& source_;
};

} // namespace

bool looks_like_json(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

DiffSide read_saved_top(std::string_view text, const std::string& source, TopKey by) {
  const Reader reader(source);
  DiffSide side;
  side.by = by;
  side.source = source;
  side.saved = true;
  size_t line_no = 0;
  bool header = true;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const bool cut = end == std::string_view::npos; // powner ends every line
    const std::string_view line = text.substr(0, end);
    text = cut ? std::string_view() : text.substr(end + 1);
    line_no++;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const json object = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded() || !object.is_object())
      reader.fail_line(line_no,
                       cut ? "not a JSON object: the file is cut short" : "not a JSON object");
    if (header) {
      header = false;
      auto schema = object.find("schema");
      if (schema == object.end() || *schema != "powner-top")
        reader.fail(fmt::format("not a powner top --json output (its schema is {})",
                                schema == object.end() ? "missing" : schema->dump()));
      const json& version = reader.member(object, "version", line_no);
      if (version != 1)
        reader.fail(
            fmt::format("powner-top version {}; this powner reads version 1", version.dump()));
      const json& saved_by = reader.member(object, "by", line_no);
      const std::string saved_name =
          saved_by.is_string() ? saved_by.get<std::string>() : saved_by.dump();
      if (saved_name != top_key_name(by))
        throw Error(Status::Usage,
                    fmt::format("{0}: saved with --by {1}, not --by {2}: give --by {1}", source,
                                saved_name, top_key_name(by)));
      side.total_pages = reader.count(object, "total_pages", line_no);
      side.total_records = reader.count(object, "total_records", line_no);
      side.selected_pages = reader.count(object, "selected_pages", line_no);
      side.selected_records = reader.count(object, "selected_records", line_no);
      side.page_size = reader.count(object, "page_size", line_no);
      side.group_count = reader.count(object, "groups", line_no);
      side.crash_time_ns = reader.count(object, "crash_time_ns", line_no);
      continue;
    }
    TopGroup g;
    for (const FieldSpec& spec : kKeyFields[static_cast<size_t>(by)])
      g.fields.push_back(reader.field(object, spec, line_no));
    g.pages = reader.count(object, "pages", line_no);
    g.records = reader.count(object, "records", line_no);
    g.key = diff_key(by, g.fields);
    side.groups.push_back(std::move(g));
  }
  if (header) reader.fail("empty: not a powner top --json output");
  if (side.groups.size() > side.group_count)
    reader.fail(fmt::format("{} groups listed, though its first line says {}", side.groups.size(),
                            side.group_count));
  return side;
}

} // namespace powner
