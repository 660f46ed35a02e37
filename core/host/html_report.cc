// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/html_report.h"

namespace powner {
namespace {

// Text for HTML element content and attribute values.
std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

// JSON inside <script>: only "</" could end the element early ("<\/" is the same JSON string).
std::string escape_script(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); i++) {
    out += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += '\\';
  }
  return out;
}

// The page's style and script: plain CSS and JavaScript, no library, so the file opens anywhere
// (a customer's air-gapped laptop included).
// clang-format off
constexpr std::string_view kHead = R"style(<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
h1 { font-size: 1.4em; margin: 0 0 .2em; }
h2 { font-size: 1.15em; margin: 1.5em 0 .4em; border-bottom: 1px solid #ccc; }
.summary { color: #555; }
table { border-collapse: collapse; margin: .3em 0; }
th, td { padding: 2px 8px; text-align: right; vertical-align: top; }
th { background: #eee; }
td.label { text-align: left; font-family: monospace; white-space: pre-wrap; max-width: 70em; }
tr:nth-child(even) td { background: #f7f7f7; }
.exited { color: #b00; font-weight: bold; }
.bar { display: flex; align-items: center; margin: 2px 0; }
.bar .name { width: 22em; font-family: monospace; overflow: hidden; text-overflow: ellipsis;
             white-space: nowrap; }
.bar .fill { height: 1.1em; background: #4a7fc1; margin-right: .5em; min-width: 1px; }
#flame { position: relative; width: 100%; font: 11px monospace; }
#flame div { position: absolute; height: 17px; box-sizing: border-box; overflow: hidden;
             white-space: nowrap; border: 1px solid #fff; padding: 0 2px; cursor: default; }
</style>
)style";

constexpr std::string_view kScript = R"page(<script>
"use strict";
const report = JSON.parse(document.getElementById("report").textContent);
const pageMiB = (report.page_size || 4096) / 1048576;
const el = (tag, attrs, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
const mib = (pages) => (pages * pageMiB).toFixed(1);
const main = document.getElementById("main");
main.append(el("p", {class: "summary"},
  `${report.total_pages} pages (${mib(report.total_pages)} MiB) recorded in the dump`));

const section = (by) => (report.sections || []).find((s) => s.by === by);

// Bars of one grouping, largest first.
function bars(by, heading, limit) {
  const s = section(by);
  if (!s || !s.groups.length) return;
  main.append(el("h2", {}, heading));
  const box = el("div", {id: "bars-" + by});
  const max = Math.max(...s.groups.map((g) => g.pages));
  for (const g of s.groups.slice(0, limit)) {
    const row = el("div", {class: "bar"});
    row.append(el("span", {class: "name", title: g.label}, g.label));
    const fill = el("span", {class: "fill"});
    fill.style.width = (20 * g.pages / max) + "em";
    row.append(fill, el("span", {}, `${mib(g.pages)} MiB (${(100 * g.share).toFixed(1)}%)`));
    box.append(row);
  }
  main.append(box);
}

// The top groups of each grouping, as a table.
function table(s) {
  main.append(el("h2", {}, `Top by ${s.by}`));
  const t = el("table", {id: "top-" + s.by});
  const head = el("tr");
  for (const h of [s.by, "pages", "MiB", "share", "records"]) head.append(el("th", {}, h));
  t.append(head);
  for (const g of s.groups) {
    const tr = el("tr");
    const label = el("td", {class: "label" + (g.exited ? " exited" : "")}, g.label);
    if (g.exited) label.title = "no such task in the dump: exited";
    tr.append(label, el("td", {}, g.pages), el("td", {}, mib(g.pages)),
              el("td", {}, (100 * g.share).toFixed(1) + "%"), el("td", {}, g.records));
    t.append(tr);
  }
  main.append(t);
}

// Flame graph (icicle, root on top) of the folded stacks, widths by pages.
function flame() {
  const folded = report.folded || [];
  if (!folded.length) return;
  const root = {name: "all", pages: 0, kids: new Map()};
  for (const f of folded) {
    let node = root;
    root.pages += f.pages;
    for (const frame of f.frames) {
      if (!node.kids.has(frame)) node.kids.set(frame, {name: frame, pages: 0, kids: new Map()});
      node = node.kids.get(frame);
      node.pages += f.pages;
    }
  }
  main.append(el("h2", {}, "Flame graph (pages by stack)"));
  const box = el("div", {id: "flame"});
  main.append(box);
  const width = box.clientWidth || 1000, rowHeight = 17;
  let depth = 0;
  const color = (name) => {
    let h = 0;
    for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return `hsl(${10 + h % 40}, 75%, ${55 + h % 15}%)`;
  };
  const draw = (node, x, level) => {
    const w = width * node.pages / root.pages;
    if (w < 0.5) return;
    depth = Math.max(depth, level + 1);
    const d = el("div", {title: `${node.name}: ${node.pages} pages (${mib(node.pages)} MiB)`},
                 node.name);
    Object.assign(d.style, {left: x + "px", top: level * rowHeight + "px", width: w + "px",
                            background: color(node.name)});
    box.append(d);
    let cx = x;
    for (const kid of [...node.kids.values()].sort((a, b) => b.pages - a.pages)) {
      draw(kid, cx, level + 1);
      cx += width * kid.pages / root.pages;
    }
  };
  draw(root, 0, 0);
  box.style.height = depth * rowHeight + "px";
}

bars("node", "Pages by node", 64);
bars("memcg", "Pages by memcg", 20);
for (const s of report.sections || []) table(s);
flame();
document.body.setAttribute("data-rendered", "yes");
</script>
)page";
// clang-format on

} // namespace

std::string html_report(std::string_view title, std::string_view report_json) {
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<title>";
  out += escape_html(title);
  out += "</title>\n";
  out += kHead;
  out += "</head>\n<body>\n<h1>";
  out += escape_html(title);
  out += "</h1>\n<div id=\"main\"></div>\n<script type=\"application/json\" id=\"report\">";
  out += escape_script(report_json);
  out += "</script>\n";
  out += kScript;
  out += "</body>\n</html>\n";
  return out;
}

} // namespace powner
