#pragma once
// Time zones of the IANA database (internal), to read datetimes Python pickled with a
// zoneinfo.ZoneInfo tzinfo. Only what reading needs: the UTC offset in effect at a local
// wall-clock time, chosen exactly as CPython's zoneinfo (Modules/_zoneinfo.c) chooses it,
// `fold` included, from the same files it reads (TZif, RFC 8536, with the POSIX TZ string
// footer of versions 2+ for times after the last transition).
//
//   tz.cpp        Zone: TZif parsing and the lookup
//   posix_tz.cpp  PosixTz: the footer's rules
//   database.cpp  find_zone(): the key checked, the file found and read, a per-process cache
//
// Errors are ValueError with a message saying what is wrong (the codec puts the zone and
// the key in front).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace picklejar::tz {

// One transition date of a POSIX TZ string: Mm.w.d, Jn or n, with its /time.
struct PosixDate {
  enum class Form : std::uint8_t { month_week_day, julian, zero_based };
  Form form = Form::month_week_day;
  int month = 1;                 // M form: 1-12
  int week = 1;                  // M form: 1-5 (5: the last)
  int weekday = 0;               // M form: 0 (Sunday) - 6
  int day = 0;                   // Jn: 1-365 without Feb 29; n: 0-365
  std::int64_t time = 2 * 3600;  // seconds after local midnight (signed, RFC 8536 §3.3.1)
  // The transition in `year`, as seconds since 1970-01-01 00:00 on the local clock.
  std::int64_t local_seconds(int year) const;
};

// A POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"): standard time, and daylight time
// between two dates each year. Offsets are seconds east of UTC.
struct PosixTz {
  std::int64_t std_offset = 0;
  bool has_dst = false;
  std::int64_t dst_offset = 0;
  PosixDate start;
  PosixDate end;
  // The offset at local time `local` (seconds since 1970 on the local clock) in `year`.
  std::int64_t offset_at_local(std::int64_t local, int year, bool fold) const;
};
PosixTz parse_posix_tz(std::string_view text);  // ValueError when malformed

class Zone {
 public:
  // Parses a TZif file of any version. ValueError when it is not one.
  static Zone from_tzif(std::string_view bytes);
  // The UTC offset (seconds east) at local wall-clock time `local` (seconds since 1970 on
  // that clock, microseconds dropped) in `year`; fold=false picks the earlier of two
  // readings of an ambiguous time and the offset before a gap, as PEP 495 says.
  std::int64_t offset_at_local(std::int64_t local, int year, bool fold) const;

 private:
  std::vector<std::int64_t> local_[2];  // the transitions on the local clock, per fold
  std::vector<std::int64_t> offsets_;   // the offset from each transition on
  std::int64_t before_ = 0;             // before the first transition
  PosixTz after_;                       // after the last one
};

// The zone `key` ("Europe/Paris") of the system's database: the first of $TZDIR (when set)
// or /usr/share/zoneinfo, /usr/lib/zoneinfo, /usr/share/lib/zoneinfo, /etc/zoneinfo (the
// directories CPython's zoneinfo searches on Debian) that has it. Keys are relative paths of
// letters, digits and "_+-." (no "." or ".." parts), so a pickle cannot name another file.
// Parsed zones are cached for the life of the process (thread-safe). ValueError when the
// key is malformed or no directory holds a valid zone file for it.
std::shared_ptr<const Zone> find_zone(std::string_view key);

}  // namespace picklejar::tz
