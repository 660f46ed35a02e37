// print_page_owner(): the text of one record, in the dumped kernel's own format and in the
// 7.3 print modes (stack, handle, stack_handle).
#pragma once

#include "filter.h"
#include "kernel_model.h"
#include "memcg.h"
#include "page_owner_walk.h"
#include "stack_depot.h"

#include <string>

namespace powner {

class RecordPrinter {
public:
  RecordPrinter(const KernelModel& model, StackDepot& depot, MemcgLines& memcg)
      : model_(model), depot_(depot), memcg_(memcg) {}

  enum class Result {
    Printed,
    TooLong,    // does not fit read_page_owner()'s PAGE_SIZE buffer: the live read fails (ENOMEM)
    Incomplete, // the dump lacks memory the record's text needs (a memcg, its name)
    NoStack,    // the dump lacks the record's stack (its stack record or its symbols)
  };
  // Appends the record to out, or nothing unless Printed.
  Result append(std::string& out, const PageRecord& rec, PrintMode mode);

  uint64_t bad_handles() const { return bad_handles_; }

private:
  const std::string& name_or(const std::vector<std::string>& names, int64_t index);

  const KernelModel& model_;
  StackDepot& depot_;
  MemcgLines& memcg_;
  std::string scratch_;
  uint64_t bad_handles_ = 0;
};

} // namespace powner
