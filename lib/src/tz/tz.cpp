// TZif files (RFC 8536), read as CPython's zoneinfo reads them (zoneinfo/_common.py
// load_data, Modules/_zoneinfo.c load_data/ts_to_local/find_ttinfo), and the offset in
// effect at a local time.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <picklejar/error.hpp>

#include "zone.hpp"

namespace picklejar::tz {
namespace {

[[noreturn]] void malformed(std::string_view why) {
  throw ValueError(fmt::format("not a valid TZif file: {}", why));
}

// Big-endian reads with bounds checks.
class Bytes {
 public:
  explicit Bytes(std::string_view data) : data_(data) {}
  std::size_t position() const { return pos_; }
  std::string_view take(std::size_t n) {
    if (n > data_.size() - pos_) malformed("it ends early");
    const std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::int64_t integer(std::size_t size) {  // a signed big-endian integer of 1, 4 or 8 bytes
    const std::string_view b = take(size);
    std::uint64_t v = 0;
    for (const char c : b) v = (v << 8) | static_cast<unsigned char>(c);
    if (size < 8 && (v >> (size * 8 - 1)) != 0) v |= ~std::uint64_t{0} << (size * 8);
    return static_cast<std::int64_t>(v);
  }
  std::uint32_t count() { return static_cast<std::uint32_t>(integer(4)); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  static Header read(Bytes& in) {
    if (in.take(4) != "TZif") malformed("no \"TZif\" magic");
    Header h;
    h.version = in.take(1)[0];
    if (h.version != '\0' && (h.version < '2' || h.version > '9')) malformed("unknown version");
    in.take(15);
    h.isutcnt = in.count();
    h.isstdcnt = in.count();
    h.leapcnt = in.count();
    h.timecnt = in.count();
    h.typecnt = in.count();
    h.charcnt = in.count();
    if (h.typecnt == 0) malformed("no local time types");
    return h;
  }
  // Bytes of the data block after this header, with `time_size`-byte times.
  std::uint64_t data_size(std::uint64_t time_size) const {
    return std::uint64_t{timecnt} * (time_size + 1) + std::uint64_t{typecnt} * 6 + charcnt +
           std::uint64_t{leapcnt} * (time_size + 4) + isstdcnt + isutcnt;
  }
};

struct Contents {
  std::vector<std::int64_t> transitions;  // UTC seconds, ascending
  std::vector<std::size_t> kinds;         // the local time type after each
  std::vector<std::int64_t> utcoff;       // per local time type
  std::vector<bool> isdst;
  std::string footer;  // the POSIX TZ string (versions 2+), possibly empty
};

Contents read_tzif(std::string_view data) {
  Bytes in(data);
  Header h = Header::read(in);
  std::size_t time_size = 4;
  if (h.version != '\0') {  // skip the 32-bit block: version 2+ repeats it with 64-bit times
    const std::uint64_t skip = h.data_size(4);
    if (skip > data.size()) malformed("it ends early");
    in.take(static_cast<std::size_t>(skip));
    h = Header::read(in);
    time_size = 8;
  }
  if (h.data_size(time_size) > data.size() - in.position()) malformed("it ends early");
  Contents c;
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    c.transitions.push_back(in.integer(time_size));
    if (i > 0 && c.transitions[i] < c.transitions[i - 1]) malformed("transitions out of order");
  }
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    c.kinds.push_back(static_cast<std::size_t>(in.integer(1) & 0xFF));
    if (c.kinds.back() >= h.typecnt) malformed("a transition to a missing local time type");
  }
  for (std::uint32_t i = 0; i < h.typecnt; ++i) {
    const std::int64_t utcoff = in.integer(4);
    if (utcoff <= -86'400 || utcoff >= 86'400) malformed("a UTC offset of a day or more");
    c.utcoff.push_back(utcoff);
    c.isdst.push_back(in.integer(1) != 0);
    in.take(1);  // abbreviation index: names are not needed to find an offset
  }
  in.take(h.charcnt + std::size_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt);
  if (h.version != '\0') {
    const std::string_view rest = data.substr(in.position());
    const std::size_t end = rest.find('\n', 1);
    if (rest.empty() || rest[0] != '\n' || end == std::string_view::npos)
      malformed("no TZ string footer");
    c.footer = std::string(rest.substr(1, end - 1));
  }
  return c;
}

}  // namespace

Zone Zone::from_tzif(std::string_view bytes) {
  const Contents c = read_tzif(bytes);
  Zone z;
  const std::size_t n = c.transitions.size();
  // Each transition on the local clock: fold=0 with the larger of the offsets around it,
  // fold=1 with the smaller (CPython's ts_to_local, whose first "before" is type 0).
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t first = c.utcoff[i == 0 ? 0 : c.kinds[i - 1]];
    std::int64_t second = c.utcoff[c.kinds[i]];
    if (second > first) std::swap(first, second);
    z.local_[0].push_back(c.transitions[i] + first);
    z.local_[1].push_back(c.transitions[i] + second);
    z.offsets_.push_back(c.utcoff[c.kinds[i]]);
  }
  // Before the first transition: the first standard-time type (or the first type).
  const auto standard = std::find(c.isdst.begin(), c.isdst.end(), false);
  z.before_ = c.utcoff[standard != c.isdst.end() ? standard - c.isdst.begin() : 0];
  // After the last: the footer's rules, or the last transition's type kept forever.
  if (!c.footer.empty()) {
    z.after_ = parse_posix_tz(c.footer);
  } else {
    z.after_.std_offset = n == 0 ? c.utcoff.back() : c.utcoff[c.kinds.back()];
  }
  return z;
}

std::int64_t Zone::offset_at_local(std::int64_t local, int year, bool fold) const {
  const std::vector<std::int64_t>& at = local_[fold ? 1 : 0];
  if (!at.empty() && local < at.front()) return before_;
  if (at.empty() || local > at.back()) return after_.offset_at_local(local, year, fold);
  const auto next = std::upper_bound(at.begin(), at.end(), local);
  return offsets_[static_cast<std::size_t>(next - at.begin()) - 1];
}

}  // namespace picklejar::tz
