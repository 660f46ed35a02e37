// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/sort_command.h"

#include "powner/engine.h"
#include "powner/host/command_options.h"
#include "powner/host/exit_status.h"
#include "powner/host/opened_dump.h"
#include "powner/host/output_file.h"
#include "powner/status.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <optional>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace powner {
namespace {

constexpr const char* kSee = " (see powner sort --help)";

constexpr const char* kFooter = R"(
page_owner_sort's options, with its meanings. -t (the default) sorts by times seen, -m by pages,
both descending; -a by allocation time, -p pid, -P tgid, -n name, -s stack, ascending: one at
most. In Linux 7.3 that one also replaces a --sort list, which is only checked; powner sort does
as the tool does. Select keys: pid, tgid, name (comma lists). Cull keys: pid|p, tgid|tg, name|n,
stacktrace|st, allocator|ator.

Examples:
  powner sort page_owner.txt sorted.txt            the tool's default: identical records counted
  powner sort -m --cull stacktrace page_owner.txt  pages by stack, most first
  powner sort --core vmcore --symbols vmlinux --cull pid,name
                                                   a dump's records, by task, straight from the dump
)";

// Options taking a value, which getopt_long() takes from the next argument whatever it starts
// with ("--sort -pid"): joined to it so that CLI11 does not read it as options.
bool takes_value(const std::string& arg) {
  for (const char* name : {"--sort", "--cull", "--pid", "--tgid", "--name", "--core", "--symbols"})
    if (arg == name) return true;
  return false;
}

// The input's bytes: mapped when it is a regular file, read otherwise.
class InputText {
public:
  explicit InputText(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw Error(Status::Unreadable,
                  fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      size_ = static_cast<size_t>(st.st_size);
      void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (map != MAP_FAILED) { // NOLINT(performance-no-int-to-ptr): MAP_FAILED is libc's
        map_ = map;
        ::close(fd);
        return;
      }
    }
    char chunk[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n == 0) break;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        throw Error(Status::Unreadable, fmt::format("reading {}: {}", path, std::strerror(err)));
      }
      read_.append(chunk, static_cast<size_t>(n));
    }
    ::close(fd);
    size_ = read_.size();
  }
  ~InputText() {
    if (map_) ::munmap(map_, size_);
  }
  InputText(const InputText&) = delete;
  InputText& operator=(const InputText&) = delete;

  std::string_view text() const {
    return map_ ? std::string_view(static_cast<const char*>(map_), size_) : read_;
  }

private:
  void* map_ = nullptr;
  size_t size_ = 0;
  std::string read_;
};

// The page_owner text of a dump, as `powner -c VMCORE [-s VMLINUX]` prints it.
std::string text_of_dump(const SortCommand& cmd) {
  DumpCommand dump;
  dump.vmcore = cmd.core;
  dump.vmlinux = cmd.vmlinux;
  dump.force = cmd.force;
  OpenedDump opened = open_dump(dump, [](const std::string& warning) {
    std::fprintf(stderr, "powner: warning: %s\n", warning.c_str());
  });
  Engine* engine = opened.engine.get();
  std::string text = page_owner_text(*engine);
  for (const std::string& note : engine->notes())
    std::fprintf(stderr, "powner: %s\n", note.c_str());
  return text;
}

} // namespace

std::string page_owner_text(Engine& engine, const Progress& progress) {
  std::string text;
  engine.page_owner(
      filter_from_options({}, engine.model().memory_nodes),
      [&](std::string_view chunk) { text.append(chunk); }, progress);
  return text;
}

ParsedSortCommand parse_sort_command(const std::vector<std::string>& args, bool host_dump) {
  CLI::App app{"powner sort: the kernel's tools/mm/page_owner_sort (Linux 7.3), built in: "
               "page_owner records counted, culled and sorted as that tool prints them.\n"
               "  powner sort [OPTIONS] (--core VMCORE [--symbols VMLINUX] | INPUT) [OUTPUT]",
               "powner sort"};
  app.footer(kFooter);
  ParsedSortCommand parsed;
  SortCommand& cmd = parsed.command;
  using Order = PageOwnerSortOptions::Order;
  struct Flag {
    const char* name = nullptr;
    Order order = Order::Times;
    const char* help = nullptr;
    bool set = false;
  };
  Flag flags[] = {
      {"-a", Order::AllocTs, "sort by memory allocation time"},
      {"-m", Order::Pages, "sort by total memory"},
      {"-n", Order::Name, "sort by task command name"},
      {"-p", Order::Pid, "sort by pid"},
      {"-P", Order::Tgid, "sort by tgid"},
      {"-s", Order::Stacktrace, "sort by the stacktrace"},
      {"-t", Order::Times, "sort by number of times record is seen (default)"},
  };
  for (Flag& flag : flags)
    app.add_flag(flag.name, flag.set, flag.help);
  std::vector<std::string> sorts, culls, pids, tgids, names, files;
  app.add_option("--sort", sorts, "[+|-]key[,[+|-]key[,...]]: checked, then replaced (above)")
      ->type_name("KEYS")
      ->allow_extra_args(false);
  app.add_option("--cull", culls, "count records alike in these keys as one (comma list)")
      ->type_name("KEYS")
      ->allow_extra_args(false);
  app.add_option("--pid", pids, "select the records of these pids (comma list)")
      ->type_name("LIST")
      ->allow_extra_args(false);
  app.add_option("--tgid", tgids, "select the records of these tgids (comma list)")
      ->type_name("LIST")
      ->allow_extra_args(false);
  app.add_option("--name", names, "select the records of these task names (comma list)")
      ->type_name("LIST")
      ->allow_extra_args(false);
  app.add_option("--core", cmd.core, "sort the page_owner text powner prints from this dump")
      ->type_name("VMCORE");
  app.add_option("--symbols", cmd.vmlinux,
                 "the dump's vmlinux with DWARF; without it, the kernel's BTF in the dump")
      ->type_name("VMLINUX");
  app.add_flag("--force", cmd.force, "read the dump even with a vmlinux that does not match it");
  app.add_option("files", files, "INPUT (a page_owner file) and OUTPUT (default: standard output)")
      ->expected(0, 2);

  std::vector<std::string> joined;
  for (size_t i = 0; i < args.size(); ++i) {
    if (takes_value(args[i]) && i + 1 < args.size()) {
      joined.push_back(args[i] + "=" + args[i + 1]);
      ++i;
    } else {
      joined.push_back(args[i]);
    }
  }
  try {
    std::vector<std::string> reversed(joined.rbegin(), joined.rend()); // CLI11 pops from the back
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    parsed.action = ParsedSortCommand::Action::Print;
    parsed.text = app.help();
    return parsed;
  } catch (const CLI::ParseError& e) {
    throw Error(Status::Usage, parse_error_text(e) + kSee);
  }

  PageOwnerSortOptions& o = cmd.options;
  const Flag* chosen = nullptr;
  for (const Flag& flag : flags) {
    if (!flag.set) continue;
    if (chosen)
      throw Error(Status::Usage,
                  fmt::format("{} and {}: page_owner_sort takes one sort option at most{}",
                              chosen->name, flag.name, kSee));
    chosen = &flag;
  }
  if (chosen) o.order = chosen->order;
  for (const std::string& keys : sorts)
    if (!check_sort_keys(keys))
      throw Error(Status::Usage, fmt::format("wrong argument after --sort: {}{}", keys, kSee));
  for (const std::string& keys : culls)
    if (!parse_cull_keys(keys, o.cull))
      throw Error(Status::Usage, fmt::format("wrong argument after --cull: {}{}", keys, kSee));
  // The last --pid, --tgid and --name stand, as in the tool; each must parse.
  for (const std::string& list : pids)
    if (!(o.pids = parse_id_list(list)))
      throw Error(Status::Usage, fmt::format("wrong/invalid pid after --pid: {}{}", list, kSee));
  for (const std::string& list : tgids)
    if (!(o.tgids = parse_id_list(list)))
      throw Error(Status::Usage, fmt::format("wrong/invalid tgid after --tgid: {}{}", list, kSee));
  if (!names.empty()) o.names = split_names(names.back());

  if (!cmd.core.empty()) {
    if (files.size() > 1)
      throw Error(Status::Usage,
                  fmt::format("with --core, only OUTPUT follows the options, not {} and {}{}",
                              files[0], files[1], kSee));
    if (!files.empty()) cmd.output = files[0];
  } else {
    if (!cmd.vmlinux.empty() || cmd.force)
      throw Error(Status::Usage, fmt::format("--symbols and --force go with --core{}", kSee));
    if (files.empty() && host_dump) return parsed; // the host's own dump
    if (files.empty())
      throw Error(Status::Usage,
                  fmt::format("no input: a page_owner file, or --core VMCORE{}", kSee));
    cmd.input = files[0];
    if (files.size() > 1) cmd.output = files[1];
  }
  return parsed;
}

void run_sort_command(const SortCommand& cmd) {
  std::optional<InputText> input;
  std::string dump_text;
  std::string_view text;
  if (cmd.core.empty()) {
    input.emplace(cmd.input);
    text = input->text();
  } else {
    dump_text = text_of_dump(cmd);
    text = dump_text;
  }
  std::optional<OutputFile> file;
  if (!cmd.output.empty())
    file.emplace(cmd.output,
                 std::vector<OutputFile::Input>{{"the input", cmd.input},
                                                {"the dump (--core)", cmd.core},
                                                {"the vmlinux (--symbols)", cmd.vmlinux}},
                 "OUTPUT");
  std::FILE* out = file ? file->stream() : stdout;
  // The tool sizes its array by the file's size; the dump's text stands for the file it would be.
  page_owner_sort(text, text.size(), cmd.options, [&](std::string_view chunk) {
    if (std::fwrite(chunk.data(), 1, chunk.size(), out) != chunk.size())
      throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  });
  if (file)
    file->commit();
  else if (std::fflush(out) != 0)
    throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
}

int sort_command(const std::vector<std::string>& args) {
  return exit_status_of(
      [&] {
        const ParsedSortCommand parsed = parse_sort_command(args);
        if (parsed.action == ParsedSortCommand::Action::Print)
          std::fputs(parsed.text.c_str(), stdout);
        else
          run_sort_command(parsed.command);
        return 0;
      },
      "powner sort");
}

} // namespace powner
