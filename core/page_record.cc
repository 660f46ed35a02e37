// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/page_record.h"

#include <cstring>

namespace powner {

namespace {

template <typename T> T field(const unsigned char* base, uint64_t off) {
  T v;
  std::memcpy(&v, base + off, sizeof v);
  return v;
}

template <typename T> T field(const unsigned char* base, const std::optional<uint64_t>& off) {
  return off ? field<T>(base, *off) : T{};
}

} // namespace

void decode_owner(const KernelModel& m, const unsigned char* owner, PageRecord& rec) {
  const auto& po = m.po;
  rec.order = field<uint16_t>(owner, po.order);
  rec.last_migrate_reason = field<int16_t>(owner, po.last_migrate_reason);
  rec.gfp_mask = field<uint32_t>(owner, po.gfp_mask);
  rec.handle = field<uint32_t>(owner, po.handle);
  rec.free_handle = field<uint32_t>(owner, po.free_handle);
  rec.ts_nsec = field<uint64_t>(owner, po.ts_nsec);
  rec.free_ts_nsec = field<uint64_t>(owner, po.free_ts_nsec);
  if (po.comm) {
    const char* comm = reinterpret_cast<const char*>(owner + *po.comm);
    rec.comm.assign(comm, strnlen(comm, po.comm_len));
  } else {
    rec.comm.clear();
  }
  rec.pid = field<int32_t>(owner, po.pid);
  rec.tgid = field<int32_t>(owner, po.tgid);
  rec.free_pid = field<int32_t>(owner, po.free_pid);
  rec.free_tgid = field<int32_t>(owner, po.free_tgid);
}

void decode_page(const KernelModel& m, const unsigned char* page, PageRecord& rec) {
  rec.page_flags = field<uint64_t>(page, m.page_flags_off);
  rec.memcg_data = field<uint64_t>(page, m.page_memcg_data_off);
  rec.mapping = field<uint64_t>(page, m.page_mapping_off);
  rec.page_type = field<uint32_t>(page, m.page_type_off);
  rec.page_is_tail = field<uint64_t>(page, m.page_compound_off) & 1;
}

} // namespace powner
