// SPDX-License-Identifier: GPL-2.0-or-later
// The HTML report's page: the report's JSON embedded whole and unable to end its element early,
// the title escaped. (tests/html loads real reports in a browser.)
#include "powner/host/html_report.h"

#include <gtest/gtest.h>
#include <string>

namespace powner {
namespace {

std::string embedded_json(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"report\">";
  size_t at = page.find(open);
  EXPECT_NE(at, std::string::npos);
  at += open.size();
  return page.substr(at, page.find("</script>", at) - at);
}

TEST(HtmlReport, EmbedsTheReport) {
  const std::string json = R"({"schema":"powner-report","version":1,"total_pages":3})";
  std::string page = html_report("powner: vmcore", json);
  EXPECT_EQ(page.rfind("<!doctype html>\n", 0), 0u);
  EXPECT_EQ(embedded_json(page), json);
  EXPECT_NE(page.find("<title>powner: vmcore</title>"), std::string::npos);
  // Self-contained: nothing is fetched.
  EXPECT_EQ(page.find("http"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
}

// A stack or a memcg name may hold anything; "</script>" in the data must stay data.
TEST(HtmlReport, DataCannotEndTheScript) {
  const std::string json = R"({"sections":[{"by":"comm","groups":[{"label":"</script><b>"}]}]})";
  std::string page = html_report("t", json);
  EXPECT_EQ(embedded_json(page),
            R"({"sections":[{"by":"comm","groups":[{"label":"<\/script><b>"}]}]})");
}

TEST(HtmlReport, TitleIsEscaped) {
  std::string page = html_report("a<b>&\"c\"", "{}");
  EXPECT_NE(page.find("<title>a&lt;b&gt;&amp;&quot;c&quot;</title>"), std::string::npos);
}

} // namespace
} // namespace powner
