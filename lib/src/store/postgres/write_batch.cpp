#include "write_batch.hpp"

#include "sql.hpp"

namespace picklejar::store {

using Type = ArrayParam::Type;

WriteBatch::WriteBatch()
    : keys_(Type::bytea),
      pickles_(Type::bytea),
      protocols_(Type::smallint),
      digests_(Type::bytea),
      erased_(Type::bytea) {}

void WriteBatch::target(std::int64_t store_id, std::int64_t revision) noexcept {
  store_id_ = store_id;
  revision_ = revision;
}

void WriteBatch::put(PgConnection& conn, std::string_view key, const Entry& entry,
                     std::int64_t now) {
  if (pickles_.size() > 0 && pickles_.bytes() + entry.pickle.size() > kChunkBytes) send_puts(conn);
  now_ = now;
  keys_.add(key);
  pickles_.add(entry.pickle);
  protocols_.add(static_cast<std::int16_t>(entry.protocol));
  digests_.add(entry.digest.view());
}

void WriteBatch::erase(std::string_view key) { erased_.add(key); }

void WriteBatch::send_puts(PgConnection& conn) {
  std::string keys = keys_.take();
  conn.exec(sql::kPutEntries, Params()
                                  .integer(store_id_)
                                  .binary(keys)
                                  .binary(pickles_.take())
                                  .binary(protocols_.take())
                                  .binary(digests_.take())
                                  .integer(revision_)
                                  .integer(now_));
  conn.exec(sql::kDropTombstones, Params().integer(store_id_).binary(std::move(keys)));
}

bool WriteBatch::flush(PgConnection& conn) {
  const bool any = keys_.size() > 0 || erased_.size() > 0;
  if (keys_.size() > 0) send_puts(conn);
  if (erased_.size() > 0)
    conn.exec(sql::kEraseEntries,
              Params().integer(store_id_).binary(erased_.take()).integer(revision_));
  return any;
}

void WriteBatch::clear() {
  keys_.take();
  pickles_.take();
  protocols_.take();
  digests_.take();
  erased_.take();
}

}  // namespace picklejar::store
