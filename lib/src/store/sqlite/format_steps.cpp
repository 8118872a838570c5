#include "format_steps.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include <picklejar/error.hpp>

#include "entry_rows.hpp"
#include "format.hpp"

namespace picklejar::store {
namespace {

// Format 1 -> 2 (docs/FORMAT.md "Versions"): a new random file id, and every entry that
// verifies under format 1's rule signed again under format 2's, stamped with the upgrade's
// revision (incremental readers see it changed). An entry that does not verify keeps its
// digest, so it keeps failing its check: damage stays detected and nothing is dropped.
// SHA-256 digests do not depend on the id: only the meta rows change.
void bind_to_file_id(Db& db, const Signer& key) {
  const StoreFileId id = new_file_id();
  write_meta(db, "file_id", file_id_hex(id));
  write_meta(db, "min_reader_version", std::int64_t{2});
  if (key.scheme() == IntegrityScheme::sha256) return;
  const Signer before = key.for_file(std::nullopt);
  const Signer after = key.for_file(id);
  std::vector<std::pair<std::string, Digest>> signed_again;
  {
    auto q = db.query("SELECT key, pickle, protocol, digest, revision, modified_us FROM entries");
    while (q->step()) {
      const std::string_view name = row_key(*q, 0, "entries", db.path());
      const EntryPtr entry = read_entry(*q, name, db.path());
      if (before.verify(name, entry->pickle, entry->digest.view()))
        signed_again.emplace_back(std::string(name), after.digest(name, entry->pickle));
    }
  }
  const std::int64_t revision = next_revision(db.path(), read_revision(db));
  const std::int64_t now = now_us();
  for (const auto& [name, digest] : signed_again)
    db.query("UPDATE entries SET digest = ?1, revision = ?2, modified_us = ?3 WHERE key = ?4")
        ->bind_blob(1,
                    std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()))
        .bind(2, revision)
        .bind(3, now)
        .bind_text(4, name)
        .run();
}

constexpr FormatStep kSteps[] = {{1, 2, bind_to_file_id}};

}  // namespace

std::span<const FormatStep> format_steps() noexcept { return kSteps; }

void upgrade_format(Db& db, std::int64_t from, std::int64_t to, std::span<const FormatStep> steps,
                    const Signer& key) {
  std::int64_t version = from;
  while (version < to) {
    const FormatStep* next = nullptr;
    for (const FormatStep& step : steps)
      if (step.from == version && step.to <= to) next = &step;
    if (next == nullptr)
      throw FormatError(db.path(), std::nullopt,
                        fmt::format("cannot open '{}': no upgrade from file format version {} "
                                    "to {}",
                                    db.path(), version, to));
    next->apply(db, key);
    version = next->to;
  }
  db.exec(fmt::format("PRAGMA user_version = {}", to).c_str());
  write_meta(db, "format_version", to);
  write_meta(db, "revision", next_revision(db.path(), read_revision(db)));
  write_meta(db, "modified_us", now_us());
}

}  // namespace picklejar::store
