#pragma once
// The keys a write transaction sets and erases, gathered and sent to the server a few
// statements at a time (internal): docs/FORMAT-POSTGRES.md "Writing", steps 4-5 —
// put_entries + drop_tombstones for the keys set, erase_entries for the keys erased, each
// taking its keys, pickles, protocols and digests as arrays. A save of 10,000 keys is then
// a handful of round trips, where one statement per key made it 20,000.
//
// The entries are copied into the arrays as they come (the session may change its own copies
// afterwards); a run of more than kChunkBytes is sent at once, so a large change set never
// builds one array near PostgreSQL's 1 GB limit.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../entry.hpp"
#include "connection.hpp"

namespace picklejar::store {

class WriteBatch {
 public:
  // About this many bytes of pickles go in one put_entries statement.
  static constexpr std::size_t kChunkBytes = std::size_t{32} << 20;

  WriteBatch();
  // Where the keys added next are written: store `store_id`, revision `revision` (the same
  // for every key of one transaction).
  void target(std::int64_t store_id, std::int64_t revision) noexcept;
  // Adds a key set at time `now`, the same for every key of one transaction (sending what
  // was gathered first, when it has grown past kChunkBytes). One revision's keys are
  // distinct.
  void put(PgConnection& conn, std::string_view key, const Entry& entry, std::int64_t now);
  // Adds a key erased.
  void erase(std::string_view key);
  // Sends whatever is gathered; afterwards the batch is empty. True when anything was sent.
  bool flush(PgConnection& conn);
  // Forgets what is gathered (a transaction that failed before sending it).
  void clear();

 private:
  void send_puts(PgConnection& conn);

  std::int64_t store_id_ = 0;
  std::int64_t revision_ = 0;
  std::int64_t now_ = 0;
  ArrayParam keys_;
  ArrayParam pickles_;
  ArrayParam protocols_;
  ArrayParam digests_;
  ArrayParam erased_;
};

}  // namespace picklejar::store
