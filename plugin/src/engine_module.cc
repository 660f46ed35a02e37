// SPDX-License-Identifier: GPL-2.0-or-later
// powner._engine: the powner engine for Python hosts. Memory and types come from Python
// callables (the drgn plugin passes Program.read and a types object answering through drgn);
// the engine's text goes back as bytes, its records and stacks as named fields (dicts).
#include "powner/engine.h"
#include "powner/filter.h"
#include "powner/host/diff_command.h"
#include "powner/host/dump_command.h"
#include "powner/host/kernel_types.h"
#include "powner/host/output_file.h"
#include "powner/host/sort_command.h"
#include "powner/host/top_command.h"
#include "powner/memcg.h"
#include "powner/page_owner_lookup.h"
#include "powner/reader_agreement.h"
#include "powner/readers/kdump_file.h"
#include "powner/record_printer.h"
#include "powner/stack_depot.h"
#include "powner/status.h"
#include "powner/triage/record_json.h"
#include "powner/triage/top_report.h"

#include <Python.h>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace powner {
namespace {

// Memory through a Python read(address, size, physical) -> bytes. The fault exception (and
// ValueError/OverflowError for addresses the host cannot represent) means "not in the dump";
// anything else, such as KeyboardInterrupt, propagates. With the dump file open as the powner
// command opens it, pages the file does not hold are never asked for: libkdumpfile 0.5.1, which
// drgn reads kdump-compressed dumps with, can corrupt its state after a read of one.
class PyMemory final : public Memory {
public:
  PyMemory(py::object read, py::object fault, std::unique_ptr<KdumpFile> file)
      : read_(std::move(read)), fault_(std::move(fault)), file_(std::move(file)) {}

  // From now on every read goes to the dump file, without Python, if drgn and the file agree
  // where the engine starts reading (several times faster; the workers' clones read it anyway).
  void prefer_file(const VmcoreInfo& info) {
    if (file_ && readers_agree(*file_, *this, info)) use_file_ = true;
  }

  // The walk's workers read the dump file themselves (the powner command's reader; the engine
  // checks that it reads what drgn reads), never through Python.
  std::unique_ptr<Memory> clone() override { return file_ ? file_->clone() : nullptr; }

  bool read(uint64_t addr, void* out, size_t len) override {
    if (len == 0) return true;
    if (use_file_) return file_->read(addr, out, len);
    // Worker threads reach here through the shared stack and memcg caches.
    py::gil_scoped_acquire gil;
    if (addr + len < addr) return false;
    if (file_ && !file_->holds(addr, len)) return false;
    // Ctrl-C reaches Python only between bytecodes; the engine runs none for a long time.
    if (++calls_ % 1024 == 0 && PyErr_CheckSignals() != 0) throw py::error_already_set();
    // The raw C API: a missing page is common in filtered dumps, and pybind11's exception
    // objects would format a traceback each time.
    PyObject* result =
        PyObject_CallFunction(read_.ptr(), "KnO", static_cast<unsigned long long>(addr),
                              static_cast<Py_ssize_t>(len), Py_False);
    if (result == nullptr) {
      if (PyErr_ExceptionMatches(fault_.ptr()) || PyErr_ExceptionMatches(PyExc_ValueError) ||
          PyErr_ExceptionMatches(PyExc_OverflowError)) {
        PyErr_Clear();
        return false;
      }
      throw py::error_already_set();
    }
    py::object data = py::reinterpret_steal<py::object>(result);
    char* bytes = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(data.ptr(), &bytes, &size) != 0) throw py::error_already_set();
    if (static_cast<size_t>(size) != len) return false;
    std::memcpy(out, bytes, len);
    return true;
  }

  // For the garbage collector (see Target::traverse()).
  int traverse(visitproc visit, void* arg) {
    Py_VISIT(read_.ptr());
    Py_VISIT(fault_.ptr());
    return 0;
  }
  void clear() { read_ = fault_ = py::none(); }

private:
  py::object read_, fault_;
  std::unique_ptr<KdumpFile> file_; // null: no dump file, or one this reader cannot open
  bool use_file_ = false;
  uint64_t calls_ = 0;
};

// Types through a Python object with size_of(type), member(type, path), enumerator(name) and
// variable(name, file), each returning None when it does not know.
class PyTypes final : public Types {
public:
  explicit PyTypes(py::object impl) : impl_(std::move(impl)) {}

  std::optional<uint64_t> size_of(std::string_view type) override {
    return impl_.attr("size_of")(py::str(type.data(), type.size())).cast<std::optional<uint64_t>>();
  }

  std::optional<MemberInfo> member(std::string_view type, std::string_view path) override {
    py::object r =
        impl_.attr("member")(py::str(type.data(), type.size()), py::str(path.data(), path.size()));
    if (r.is_none()) return std::nullopt;
    auto t = r.cast<py::tuple>();
    MemberInfo m;
    m.offset = t[0].cast<uint64_t>();
    m.size = t[1].cast<uint64_t>();
    m.bit_offset = t[2].cast<uint32_t>();
    m.bit_size = t[3].cast<uint32_t>();
    m.kind = t[4].cast<TypeKind>();
    m.array_length = t[5].cast<uint64_t>();
    m.element_size = t[6].cast<uint64_t>();
    return m;
  }

  std::optional<int64_t> enumerator(std::string_view name) override {
    return impl_.attr("enumerator")(py::str(name.data(), name.size()))
        .cast<std::optional<int64_t>>();
  }

  std::optional<VariableInfo> variable(std::string_view name, std::string_view file) override {
    py::object r = impl_.attr("variable")(py::str(name.data(), name.size()),
                                          py::str(file.data(), file.size()));
    if (r.is_none()) return std::nullopt;
    auto t = r.cast<py::tuple>();
    VariableInfo v;
    v.address = t[0].cast<uint64_t>();
    v.size = t[1].cast<uint64_t>();
    v.kind = t[2].cast<TypeKind>();
    v.array_length = t[3].cast<uint64_t>();
    v.element_size = t[4].cast<uint64_t>();
    return v;
  }

  bool none() const { return impl_.is_none(); }

  int traverse(visitproc visit, void* arg) {
    Py_VISIT(impl_.ptr());
    return 0;
  }
  void clear() { impl_ = py::none(); }

private:
  py::object impl_;
};

py::bytes as_bytes(std::string_view s) {
  return {s.data(), s.size()};
}

// Text that need not be UTF-8 (a comm), as Python shows bytes it cannot decode.
py::str decoded(std::string_view s) {
  PyObject* text =
      PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "backslashreplace");
  if (text == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

// What an engine skipped and why, as the lines the powner command prints after "powner: ": the
// summary and a hint (none, when nothing was skipped). more: what the host skipped too.
std::vector<std::string> notes_of(const Engine& engine, std::string_view more = {}) {
  std::vector<std::string> notes = engine.notes();
  if (more.empty()) return notes;
  if (!notes.empty() && notes.front().starts_with("skipped: "))
    notes.front() += fmt::format(", {}", more);
  else
    notes.insert(notes.begin(), fmt::format("skipped: {}", more));
  return notes;
}

std::string skip_summary(const SkipCounts& skipped) {
  std::string out;
  for (size_t i = 0; i < skipped.counts.size(); i++) {
    if (!skipped.counts[i]) continue;
    fmt::format_to(std::back_inserter(out), "{}{} {}", out.empty() ? "skipped: " : ", ",
                   skipped.counts[i], skip_reason_text(static_cast<SkipReason>(i)));
  }
  return out;
}

// The filter of a host's -m, -n and --filter values (None: not given), each its own value.
using OptionalText = std::optional<std::string>;
Filter filter_of(const KernelModel& model, OptionalText mode, OptionalText nodes,
                 OptionalText command) {
  return filter_from_options(FilterOptions{std::move(mode), std::move(nodes), std::move(command)},
                             model.memory_nodes);
}

// Why a record has no memcg, for PageOwner.memcg_none_reason.
const char* no_memcg_reason(PageMemcg::State state) {
  switch (state) {
  case PageMemcg::State::NoMemcg:
    return "the kernel has no memory cgroups";
  case PageMemcg::State::NotCharged:
    return "not charged to a memcg";
  case PageMemcg::State::TailPage:
    return "a tail page: the kernel prints no memcg for it";
  case PageMemcg::State::Slab:
    return "a slab page: the kernel prints \"Slab cache page\" and no memcg";
  case PageMemcg::State::NotInDump:
    return "the dump lacks its memcg";
  case PageMemcg::State::Charged:
    break;
  }
  return nullptr;
}

// A walk's progress callback where the caller shows none: Ctrl-C stops the walk.
void check_signals(uint64_t /*done*/, uint64_t /*total*/) {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

// Types asked from a thread without the GIL: each question takes it (drgn's types are Python).
class GilTypes final : public Types {
public:
  explicit GilTypes(Types& types) : types_(types) {}
  std::optional<uint64_t> size_of(std::string_view type) override {
    py::gil_scoped_acquire gil;
    return types_.size_of(type);
  }
  std::optional<MemberInfo> member(std::string_view type, std::string_view path) override {
    py::gil_scoped_acquire gil;
    return types_.member(type, path);
  }
  std::optional<int64_t> enumerator(std::string_view name) override {
    py::gil_scoped_acquire gil;
    return types_.enumerator(name);
  }
  std::optional<VariableInfo> variable(std::string_view name, std::string_view file) override {
    py::gil_scoped_acquire gil;
    return types_.variable(name, file);
  }

private:
  Types& types_;
};

// The engine over one target (a drgn Program). The page_owner file and the stack views each get
// an Engine of their own, as one run of the powner command does, so that what one call skipped
// is reported by that call. Records, single pages and stacks share one Engine, made on first use.
class Target {
public:
  // dump_file: the file the target was read from ("" if none or unknown), for its page map.
  // types: None for the kernel's own BTF, as the powner command reads it without a vmlinux:
  // btf_file (the running kernel's /sys/kernel/btf/vmlinux), or if "" the .BTF in the target's
  // memory, found through its kallsyms. frame: the Python type of a stack frame, made as
  // frame(address, "%pS"). vmlinux (with types None): its DWARF, read as the powner command
  // reads it (KernelTypes: checked against the dump, force as --force), not through drgn;
  // warnings then has what the command would warn of.
  Target(py::object read, py::object fault, py::object types, const std::string& vmcoreinfo,
         const std::string& dump_file, py::object frame, const std::string& btf_file,
         const std::string& vmlinux, bool force)
      : mem_(std::move(read), std::move(fault), open_dump(dump_file)), py_types_(std::move(types)),
        info_(vmcoreinfo), frame_(std::move(frame)) {
    mem_.prefer_file(info_);
    if (!py_types_.none()) return;
    if (vmlinux.empty())
      kernel_types_ = std::make_unique<KernelTypes>(mem_, info_, btf_file);
    else
      kernel_types_ =
          std::make_unique<KernelTypes>(mem_, info_, vmlinux, force, btf_file, warnings_);
  }

  const std::vector<std::string>& warnings() const { return warnings_; }

  // Writes the page_owner file under the filter (json: its records as JSON Lines, record_json.h);
  // returns what was skipped (notes_of()). threads: the walk's workers (0: default_walk_threads()).
  // borrowed: write gets each chunk as a read-only memoryview of the engine's own buffer, valid
  // for the call only (released after it: a writer that kept it gets an error, never freed
  // memory), instead of a bytes copy; for a writer that is done with it when it returns.
  std::vector<std::string> page_owner(OptionalText mode, OptionalText nodes, OptionalText command,
                                      const py::function& write, const py::object& progress,
                                      unsigned threads, bool exact, bool json, bool borrowed) {
    Engine engine(mem_, types(), info_);
    engine.set_walk_threads(threads);
    engine.set_exact(exact);
    Filter f = filter_of(engine.model(), std::move(mode), std::move(nodes), std::move(command));
    Progress report = [&](uint64_t done, uint64_t total) {
      py::gil_scoped_acquire gil;
      if (!progress.is_none()) progress(done, total);
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    };
    {
      // Workers run while this thread waits for their chunks; they take the GIL only to read
      // through drgn (stack and memcg cache misses).
      py::gil_scoped_release nogil;
      auto sink = [&](std::string_view text) {
        py::gil_scoped_acquire gil;
        if (!borrowed) {
          write(as_bytes(text));
          return;
        }
        py::memoryview view =
            py::memoryview::from_memory(text.data(), static_cast<py::ssize_t>(text.size()));
        try {
          write(view);
        } catch (...) {
          view.attr("release")();
          throw;
        }
        view.attr("release")();
      };
      if (json)
        page_owner_json(engine, f, sink, report);
      else
        engine.page_owner(f, sink, report);
    }
    return notes_of(engine);
  }

  // (JSON Lines of powner top --json -n 0, its notes and what was skipped): args are powner
  // top's options (core/host/top_command.h), checked as the command checks them.
  std::pair<std::string, std::vector<std::string>> top(const std::vector<std::string>& args,
                                                       unsigned threads) {
    ParsedTopCommand parsed = parse_top_command(args, "powner top");
    Engine engine(mem_, types(), info_);
    engine.set_walk_threads(threads);
    TopResult result;
    {
      // Workers take the GIL to read through drgn; so do the questions top asks of drgn's types.
      GilTypes gil_types(types());
      py::gil_scoped_release nogil;
      result = run_top(engine, gil_types, parsed.command.query, check_signals);
    }
    std::vector<std::string> notes = result.notes;
    for (std::string& note : notes_of(engine))
      notes.push_back(std::move(note));
    return {top_json_lines(result, 0), notes};
  }

  // (output, notes) of powner diff with this target's dump as B: args are powner diff's options
  // and A (core/host/diff_command.h); B's notes come with "B: ".
  std::pair<py::bytes, std::vector<std::string>> diff(const std::vector<std::string>& args,
                                                      const std::string& label, unsigned threads) {
    ParsedDiffCommand parsed = parse_diff_command(args, "powner diff", /*host_dump=*/true);
    if (parsed.action == ParsedDiffCommand::Action::Print) return {as_bytes(parsed.text), {}};
    Engine engine(mem_, types(), info_);
    engine.set_walk_threads(threads);
    std::vector<std::string> notes;
    std::string text;
    {
      GilTypes gil_types(types()); // as in top(): the walk's questions take the GIL
      py::gil_scoped_release nogil;
      const HostDump host{engine, gil_types, label};
      text = run_diff(parsed.command, &host, notes, check_signals);
    }
    return {as_bytes(text), notes};
  }

  // (output, what was skipped: notes_of()) of the kernel's page_owner_sort on this target's
  // page_owner text: args are powner sort's options (core/host/sort_command.h) without files.
  std::pair<py::bytes, std::vector<std::string>> sort(const std::vector<std::string>& args,
                                                      unsigned threads) {
    ParsedSortCommand parsed = parse_sort_command(args, /*host_dump=*/true);
    if (parsed.action == ParsedSortCommand::Action::Print) return {as_bytes(parsed.text), {}};
    const SortCommand& cmd = parsed.command;
    if (!cmd.core.empty() || !cmd.input.empty())
      throw Error(Status::Usage, "sort() sorts the program's own records: no --core or INPUT "
                                 "(powner sort FILE sorts a page_owner file)");
    Engine engine(mem_, types(), info_);
    engine.set_walk_threads(threads);
    std::string out;
    {
      py::gil_scoped_release nogil;
      const std::string text = page_owner_text(engine, check_signals);
      page_owner_sort(text, text.size(), cmd.options,
                      [&](std::string_view chunk) { out.append(chunk); });
    }
    return {as_bytes(out), notes_of(engine)};
  }

  // (text, what was skipped: notes_of()) of a page_owner_stacks view.
  std::pair<py::bytes, std::vector<std::string>> stack_view(const std::string& view,
                                                            std::optional<uint64_t> threshold) {
    StackView v = stack_view_from_name(view);
    Engine engine(mem_, types(), info_);
    std::string text = engine.stacks(v, threshold);
    return {as_bytes(text), notes_of(engine)};
  }

  // (stacks, what was skipped: notes_of()): the stacks show_stacks prints, newest first, each as
  // the keyword arguments of a Stack (powner/drgn/__init__.py): handle, count (nr_base_pages)
  // and frames.
  std::pair<py::list, std::vector<std::string>> stack_list(std::optional<uint64_t> threshold) {
    Engine engine(mem_, types(), info_);
    // The handles view is show_stacks' walk of stack_list, threshold and all, naming each
    // stack as "handle: H\nnr_base_pages: N\n\n".
    std::string text = engine.stacks(StackView::Handles, threshold);
    py::list out;
    uint64_t no_stack = 0;
    for (const char* at = text.c_str(); *at;) {
      int32_t handle = 0;
      long long count = 0;
      int used = 0;
      if (std::sscanf(at, "handle: %" SCNd32 " nr_base_pages: %lld%n", &handle, &count, &used) != 2)
        throw Error(Status::Internal, "the handles view is not \"handle: H nr_base_pages: N\"");
      for (at += used; *at == '\n';)
        at++;
      py::dict entry;
      entry["handle"] = static_cast<uint32_t>(handle);
      entry["count"] = count;
      entry["frames"] = stack(static_cast<uint32_t>(handle));
      if (data().bad_stacks.contains(static_cast<uint32_t>(handle))) no_stack++;
      out.append(std::move(entry));
    }
    std::string more;
    if (no_stack)
      more = fmt::format("{} stacks whose frames are not in the dump (given with no or uncertain "
                         "frames)",
                         no_stack);
    return {out, notes_of(engine, more)};
  }

  // The records of the page_owner file as fields(), a batch (a list) per next_batch() call, None
  // once the walk is over.
  class Records {
  public:
    Records(Target& t, Filter f)
        : target_(t), cursor_(t.mem_, t.data().engine.model(), std::move(f)) {}
    py::object next_batch() {
      if (done_ || !cursor_.next(batch_)) {
        done_ = true;
        return py::none();
      }
      py::list out(batch_.size());
      for (size_t i = 0; i < batch_.size(); i++) {
        out[i] = target_.fields(batch_[i], true);
        if (target_.data().bad_stacks.contains(batch_[i].handle)) no_stack_++;
      }
      return out;
    }
    std::string skipped_summary() const {
      std::string out = skip_summary(cursor_.skipped());
      if (no_stack_)
        out += fmt::format("{}{} records whose stack is not in the dump or whose handle is "
                           "unusable (given with no or uncertain frames)",
                           out.empty() ? "skipped: " : ", ", no_stack_);
      return out;
    }

  private:
    Target& target_;
    uint64_t no_stack_ = 0;
    PageOwnerCursor cursor_;
    std::vector<PageRecord> batch_;
    bool done_ = false;
  };

  // The records of the page_owner file of these nodes (None: all).
  std::unique_ptr<Records> records(OptionalText nodes) {
    return std::make_unique<Records>(
        *this, filter_of(data().engine.model(), std::nullopt, std::move(nodes), std::nullopt));
  }

  unsigned page_shift() { return data().engine.model().page_shift; }

  // (state, fields() or None); state names PageOwnerLookup::State.
  py::tuple lookup(uint64_t pfn) {
    PageOwnerLookup r = lookup_page_owner(mem_, data().engine.model(), pfn);
    bool allocated = r.state == PageOwnerLookup::State::Allocated;
    bool has_record = allocated || r.state == PageOwnerLookup::State::Freed;
    return py::make_tuple(r.state,
                          has_record ? py::object(fields(r.record, allocated)) : py::none());
  }

  // A record as the keyword arguments of a PageOwner (powner/drgn/__init__.py): its
  // struct page_owner, and what print_page_owner() makes of it and of its page.
  py::dict fields(const PageRecord& r, bool allocated) {
    Data& d = data();
    const KernelModel& m = d.engine.model();
    py::dict f;
    f["pfn"] = r.pfn;
    int nid = d.nodes.node_of(r.page_flags, r.pfn);
    f["nid"] = nid < 0 ? py::object(py::none()) : py::int_(nid);
    f["order"] = r.order;
    f["gfp_mask"] = r.gfp_mask;
    f["gfp_mask_text"] = d.shared(d.printer.gfp_text(r.gfp_mask));
    f["migratetype"] =
        d.shared(name_or_unknown(m.migratetype_names, gfp_migratetype(m, r.gfp_mask)));
    f["pageblock_migratetype"] =
        d.shared(name_or_unknown(m.migratetype_names, r.pageblock_migratetype));
    f["page_flags"] = r.page_flags;
    f["page_flags_text"] = d.shared(d.printer.page_flags_text(r.page_flags));
    // A field the kernel's struct page_owner does not have is None (5.10 has no pid, tgid,
    // comm or timestamps; free_pid and free_tgid came after 6.1).
    auto present = [](const std::optional<uint64_t>& offset, py::object value) {
      return offset ? std::move(value) : py::object(py::none());
    };
    f["pid"] = present(m.po.pid, py::int_(r.pid));
    f["tgid"] = present(m.po.tgid, py::int_(r.tgid));
    f["comm"] = present(m.po.comm, decoded(r.comm));
    f["ts_nsec"] = present(m.po.ts_nsec, py::int_(r.ts_nsec));
    f["handle"] = r.handle;
    f["stack"] = stack(r.handle);
    f["allocated"] = allocated;
    f["free_handle"] = r.free_handle;
    f["free_pid"] = present(m.po.free_pid, py::int_(r.free_pid));
    f["free_tgid"] = present(m.po.free_tgid, py::int_(r.free_tgid));
    f["free_ts_nsec"] = present(m.po.free_ts_nsec, py::int_(r.free_ts_nsec));
    f["free_stack"] = stack(r.free_handle);
    f["last_migrate_reason"] =
        r.last_migrate_reason == m.never_migrated
            ? py::object(py::none())
            : d.shared(name_or_unknown(m.migrate_reason_names, r.last_migrate_reason));
    PageMemcg memcg = d.memcg.describe(r.memcg_data, r.page_is_tail);
    bool charged = memcg.state == PageMemcg::State::Charged;
    f["memcg"] = charged ? py::object(py::str(memcg.name)) : py::none();
    f["memcg_online"] = charged ? py::object(py::bool_(memcg.online)) : py::none();
    const char* why = no_memcg_reason(memcg.state);
    f["memcg_none_reason"] = why ? py::object(py::str(why)) : py::none();
    f["_record"] = py::cast(r);
    return f;
  }

  // What print_page_owner() prints for the record in a print mode ("stack", "handle",
  // "stack_handle"). Raises Error when the kernel would print none (a text longer than its
  // page-sized buffer) or the dump lacks what the text needs.
  py::bytes text(const PageRecord& r, const std::string& mode) {
    Data& d = data();
    Filter f = filter_of(d.engine.model(), mode, std::nullopt, std::nullopt);
    TextPieces out;
    const char* why = "";
    switch (d.printer.append(out, r, f.mode)) {
    case RecordPrinter::Result::Printed:
      return {out.flat().data(), out.flat().size()};
    case RecordPrinter::Result::TooLong:
      why = "longer than the kernel's page-sized buffer, the kernel prints no text for it";
      break;
    case RecordPrinter::Result::Incomplete:
      why = "the dump lacks its memcg";
      break;
    case RecordPrinter::Result::NoStack:
      why = "the dump lacks its stack";
      break;
    }
    throw Error(Status::Unreadable, fmt::format("the record of PFN {:#x}: {}", r.pfn, why));
  }

  // The frames stack_depot_fetch() returns for handle, as (frame(address, "%pS"), ...); the
  // same tuple for every call with the same handle.
  py::tuple stack(uint32_t handle) {
    Data& d = data();
    auto it = d.stacks.find(handle);
    if (it != d.stacks.end()) return it->second;
    bool bad = false;
    std::vector<uint64_t> entries = d.depot.fetch(handle, &bad);
    py::tuple frames(entries.size());
    for (size_t i = 0; i < entries.size(); i++) {
      std::string ps;
      // A symbol whose data the dump lacks may not be what the kernel would have printed.
      bad = !d.engine.symbols().append_ps(ps, entries[i]) || bad;
      frames[i] = frame_(entries[i], ps);
    }
    if (bad) d.bad_stacks.insert(handle);
    d.stacks.emplace(handle, frames);
    return frames;
  }

  // The Python objects a Target holds include the Program, which keeps the Target in its
  // cache: the garbage collector must see them to free both.
  int traverse(visitproc visit, void* arg) {
    if (int r = mem_.traverse(visit, arg)) return r;
    if (int r = py_types_.traverse(visit, arg)) return r;
    Py_VISIT(frame_.ptr());
    if (data_)
      for (auto& [handle, frames] : data_->stacks)
        Py_VISIT(frames.ptr());
    return 0;
  }
  void clear() {
    mem_.clear();
    py_types_.clear();
    frame_ = py::none();
    if (data_) data_->stacks.clear();
  }

private:
  static std::unique_ptr<KdumpFile> open_dump(const std::string& dump_file) {
    if (dump_file.empty()) return nullptr;
    try {
      return std::make_unique<KdumpFile>(dump_file);
    } catch (const Error&) {
      return nullptr; // drgn reads it some other way: it says what it lacks itself
    }
  }

  struct Data {
    Data(Memory& mem, Types& types, const VmcoreInfo& info)
        : engine(mem, types, info), depot(mem, engine.model(), engine.symbols()),
          memcg(mem, engine.model()), printer(engine.model(), depot, memcg),
          nodes(mem, engine.model()) {}
    // One Python string for each string the engine keeps (names, flag texts), however many
    // records show it.
    py::str shared(const std::string& s) {
      auto [it, inserted] = strings.try_emplace(&s);
      if (inserted) it->second = py::str(s);
      return it->second;
    }
    Engine engine;
    StackDepot depot;
    MemcgLines memcg;
    RecordPrinter printer;
    PageOwnerWalk nodes; // for node_of(): memdesc_nid(), as the walk's node filter reads it
    std::unordered_map<uint32_t, py::tuple> stacks;
    std::unordered_set<uint32_t> bad_stacks; // handles whose stack could not be read whole
    std::unordered_map<const std::string*, py::str> strings;
  };

  Data& data() {
    if (!data_) data_ = std::make_unique<Data>(mem_, types(), info_);
    return *data_;
  }

  Types& types() { return kernel_types_ ? kernel_types_->types() : py_types_; }

  PyMemory mem_;
  PyTypes py_types_;
  VmcoreInfo info_;
  py::object frame_;
  std::unique_ptr<KernelTypes> kernel_types_; // a vmlinux's or the kernel's BTF, not drgn's
  std::vector<std::string> warnings_;
  std::unique_ptr<Data> data_;
};

// -o FILE as the powner command writes it (powner/host/output_file.h): whole or not at all, never
// over a file being read. Dropped or discarded uncommitted, it leaves FILE as it was.
class Output {
public:
  // inputs: (what it is to the user, path) of the files the run reads.
  Output(const std::string& path, const std::vector<std::pair<std::string, std::string>>& inputs) {
    std::vector<OutputFile::Input> in;
    in.reserve(inputs.size());
    for (const auto& [role, input] : inputs)
      in.push_back({role, input});
    file_ = std::make_unique<OutputFile>(path, in);
  }
  // data: bytes, or any contiguous buffer of bytes (a memoryview of the engine's chunk).
  void write(const py::buffer& data) {
    const py::buffer_info info = data.request();
    if (info.ndim > 1 || info.itemsize != 1)
      throw Error(Status::Internal, "writing an output: not a buffer of bytes");
    const std::string_view text(static_cast<const char*>(info.ptr), static_cast<size_t>(info.size));
    if (!file_) throw Error(Status::Internal, "writing an output already closed");
    if (std::fwrite(text.data(), 1, text.size(), file_->stream()) != text.size())
      throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  }
  void commit() {
    if (!file_) throw Error(Status::Internal, "committing an output already closed");
    std::unique_ptr<OutputFile> file = std::move(file_);
    file->commit();
  }
  void discard() { file_.reset(); }

private:
  std::unique_ptr<OutputFile> file_;
};

// The Target of a Python object, or null before __init__ has made it.
Target* target_of(PyObject* self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  auto vh = inst->get_value_and_holder();
  return vh.holder_constructed() ? vh.value_ptr<Target>() : nullptr;
}

// The drgn command's command line, parsed as the powner command parses its own:
// ("print", help or version text, None) or ("run", "", the options by name).
py::tuple parse_command(const std::vector<std::string>& args, const std::string& program) {
  ParsedCommand parsed = parse_dump_command(args, program, /*live=*/false);
  if (parsed.action == ParsedCommand::Action::Print)
    return py::make_tuple("print", parsed.text, py::none());
  const DumpCommand& c = parsed.command;
  auto text_or_none = [](const std::string& s) -> py::object {
    return s.empty() ? py::object(py::none()) : py::object(py::str(s));
  };
  py::dict options;
  options["core"] = c.vmcore;
  options["symbols"] = text_or_none(c.vmlinux);
  options["mode"] = c.filter.mode;
  options["nid"] = c.filter.nodes;
  options["filter"] = c.filter.command;
  options["output"] = c.output;
  options["stacks"] = text_or_none(c.stacks);
  options["threshold"] = c.threshold;
  options["threads"] = c.threads;
  options["exact"] = c.exact;
  options["force"] = c.force;
  options["json"] = c.json;
  return py::make_tuple("run", "", options);
}

// The dump's VMCOREINFO as the powner command reads it (checked headers, libkdumpfile).
std::string dump_vmcoreinfo(const std::string& path) {
  KdumpFile dump(path);
  return dump.vmcoreinfo().text();
}

// Garbage collector support for the Target type (Target::traverse()).
void target_gc(PyHeapTypeObject* heap_type) {
  PyTypeObject* type = &heap_type->ht_type;
  type->tp_flags |= Py_TPFLAGS_HAVE_GC;
  type->tp_traverse = [](PyObject* self, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(self));
    Target* target = target_of(self);
    return target ? target->traverse(visit, arg) : 0;
  };
  type->tp_clear = [](PyObject* self) {
    if (Target* target = target_of(self)) target->clear();
    return 0;
  };
}

} // namespace
} // namespace powner

PYBIND11_MODULE(_engine, m) {
  using namespace powner;
  m.doc() = "The powner engine (libpowner) for Python hosts.";

  // Never destroyed: the interpreter may be gone by the time static destructors run.
  static auto* error = new py::exception<Error>(m, "Error", PyExc_RuntimeError);
  // pybind11 takes a void (*)(std::exception_ptr): the parameter cannot be a reference.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      py::handle type = *error;
      py::object exc = type(e.what());
      exc.attr("status") = py::cast(e.status());
      PyErr_SetObject(type.ptr(), exc.ptr());
    }
  });

  py::enum_<Status>(m, "Status")
      .value("OK", Status::Ok)
      .value("USAGE", Status::Usage)
      .value("UNREADABLE", Status::Unreadable)
      .value("NOT_A_DUMP", Status::NotADump)
      .value("MISMATCH", Status::Mismatch)
      .value("NO_DEBUG_INFO", Status::NoDebugInfo)
      .value("NO_PAGE_OWNER", Status::NoPageOwner)
      .value("CORRUPT", Status::Corrupt)
      .value("INTERNAL", Status::Internal);

  py::enum_<TypeKind>(m, "TypeKind")
      .value("INTEGER", TypeKind::Integer)
      .value("POINTER", TypeKind::Pointer)
      .value("ARRAY", TypeKind::Array)
      .value("STRUCT", TypeKind::Struct)
      .value("UNION", TypeKind::Union)
      .value("ENUM", TypeKind::Enum)
      .value("OTHER", TypeKind::Other);

  py::enum_<PageOwnerLookup::State>(m, "PageState")
      .value("NO_PAGE", PageOwnerLookup::State::NoPage)
      .value("NO_PAGE_EXT", PageOwnerLookup::State::NoPageExt)
      .value("NEVER_SET", PageOwnerLookup::State::NeverSet)
      .value("ALLOCATED", PageOwnerLookup::State::Allocated)
      .value("FREED", PageOwnerLookup::State::Freed)
      .value("UNREADABLE", PageOwnerLookup::State::Unreadable);

  m.def("check_dump", &KdumpFile::check_headers, py::arg("path"),
        "Raises Error (Status.UNREADABLE, NOT_A_DUMP) when the dump cannot be read or its "
        "headers are cut or damaged, as the powner command checks them.");

  m.def("parse_command", &parse_command, py::arg("args"), py::arg("program"),
        "The powner command's command line (powner/host/dump_command.h): ('print', text, None) "
        "for --help and --version, else ('run', '', options); raises Error(USAGE).");
  m.def("vmcoreinfo", &dump_vmcoreinfo, py::arg("path"),
        "The dump's VMCOREINFO text; raises Error as the powner command fails on the file.");

  py::class_<Target::Records>(m, "Records")
      .def("next_batch", &Target::Records::next_batch)
      .def("skipped_summary", &Target::Records::skipped_summary);

  py::class_<Output>(m, "OutputFile")
      .def(py::init<const std::string&, const std::vector<std::pair<std::string, std::string>>&>(),
           py::arg("path"), py::arg("inputs"))
      .def("write", &Output::write, py::arg("data"))
      .def("commit", &Output::commit)
      .def("discard", &Output::discard);

  py::class_<PageRecord> page_record(m, "PageRecord",
                                     "A record as the engine keeps it, for Target.text().");

  py::class_<Target>(m, "Target", py::custom_type_setup(target_gc))
      .def(py::init<py::object, py::object, py::object, const std::string&, const std::string&,
                    py::object, const std::string&, const std::string&, bool>(),
           py::arg("read"), py::arg("fault"), py::arg("types"), py::arg("vmcoreinfo"),
           py::arg("dump_file"), py::arg("frame"), py::arg("btf_file") = "",
           py::arg("vmlinux") = "", py::arg("force") = false)
      .def_property_readonly("warnings", &Target::warnings)
      .def("page_owner", &Target::page_owner, py::arg("mode"), py::arg("nodes"), py::arg("command"),
           py::arg("write"), py::arg("progress") = py::none(), py::arg("threads") = 0,
           py::arg("exact") = false, py::arg("json") = false, py::arg("borrowed") = false)
      .def("top", &Target::top, py::arg("args"), py::arg("threads") = 0)
      .def("sort", &Target::sort, py::arg("args"), py::arg("threads") = 0)
      .def("diff", &Target::diff, py::arg("args"), py::arg("label"), py::arg("threads") = 0)
      .def("stack_view", &Target::stack_view, py::arg("view"), py::arg("threshold") = py::none())
      .def("stack_list", &Target::stack_list, py::arg("threshold") = py::none())
      .def("records", &Target::records, py::arg("nodes"), py::keep_alive<0, 1>())
      .def_property_readonly("page_shift", &Target::page_shift)
      .def("lookup", &Target::lookup, py::arg("pfn"))
      .def("text", &Target::text, py::arg("record"), py::arg("mode"));
}
