// Reading the text of the readable forms (readable_forms.hpp): dates, times, UTC offsets,
// zone keys, timedeltas and class names. Strict: anything else is nullopt, and the caller
// names the tag in its JsonError.

#include <cstdint>

#include "readable_forms.hpp"

namespace picklejar::json {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ == text_.size(); }
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  bool eat(std::string_view s) {
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  // Exactly `count` digits (or, with count 0, one or more).
  std::optional<std::int64_t> digits(std::size_t count, std::size_t max = 18) {
    std::size_t n = 0;
    std::int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9' &&
           n < (count ? count : max)) {
      value = value * 10 + (text_[pos_++] - '0');
      ++n;
    }
    if (n == 0 || (count != 0 && n != count)) return std::nullopt;
    return value;
  }
  // ".ffffff": 1 to 6 digits as microseconds; 0 when there is no '.'.
  std::optional<int> fraction() {
    if (!eat('.')) return 0;
    const std::size_t start = pos_;
    auto value = digits(0, 6);
    if (!value) return std::nullopt;
    for (std::size_t n = pos_ - start; n < 6; ++n) *value *= 10;
    return static_cast<int>(*value);
  }
  std::string_view rest() const { return text_.substr(pos_); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool read_date(Cursor& c, detail::DateTimeFields& f) {
  const auto y = c.digits(4);
  if (!y || !c.eat('-')) return false;
  const auto m = c.digits(2);
  if (!m || !c.eat('-')) return false;
  const auto d = c.digits(2);
  if (!d || *y < 1 || *m < 1 || *m > 12 || *d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*d > kDays[*m - 1] + (*m == 2 && is_leap(*y) ? 1 : 0)) return false;
  f.year = static_cast<int>(*y), f.month = static_cast<int>(*m), f.day = static_cast<int>(*d);
  return true;
}

bool read_clock(Cursor& c, detail::DateTimeFields& f) {
  const auto h = c.digits(2);
  if (!h || !c.eat(':')) return false;
  const auto m = c.digits(2);
  if (!m || !c.eat(':')) return false;
  const auto s = c.digits(2);
  const auto us = s ? c.fraction() : std::nullopt;
  if (!us || *h > 23 || *m > 59 || *s > 59) return false;
  f.hour = static_cast<int>(*h), f.minute = static_cast<int>(*m), f.second = static_cast<int>(*s);
  f.micro = *us;
  return true;
}

std::array<std::int64_t, 3> timedelta_of(std::int64_t micros) {
  std::int64_t days = micros / kMicrosPerDay, rest = micros % kMicrosPerDay;
  if (rest < 0) rest += kMicrosPerDay, --days;
  return {days, rest / 1'000'000, rest % 1'000'000};
}

bool read_zone(Cursor& c, Zone& zone, bool allow_key) {
  if (c.done()) return true;
  if (c.eat('Z')) return zone.kind = Zone::Kind::utc, c.done();
  if (allow_key && c.eat('[')) {
    const std::string_view rest = c.rest();
    if (rest.size() < 2 || rest.back() != ']' || rest.find_first_of("[]") != rest.size() - 1) {
      return false;
    }
    zone.kind = Zone::Kind::key;
    zone.key = std::string(rest.substr(0, rest.size() - 1));
    return true;
  }
  const bool negative = c.peek('-');
  if (!c.eat('+') && !c.eat('-')) return false;
  const auto h = c.digits(2);
  if (!h || !c.eat(':')) return false;
  const auto m = c.digits(2);
  if (!m) return false;
  std::int64_t s = 0;
  int us = 0;
  if (c.eat(':')) {
    const auto sec = c.digits(2);
    const auto frac = sec ? c.fraction() : std::nullopt;
    if (!frac || *sec > 59) return false;
    s = *sec, us = *frac;
  }
  if (!c.done() || *h > 23 || *m > 59) return false;
  std::int64_t micros = ((*h * 60 + *m) * 60 + s) * 1'000'000 + us;
  if (negative) micros = -micros;
  zone.kind = micros == 0 ? Zone::Kind::utc : Zone::Kind::offset;
  zone.offset = timedelta_of(micros);
  return true;
}

}  // namespace

std::optional<ParsedTime> parse_date(std::string_view text) {
  Cursor c(text);
  ParsedTime out;
  if (!read_date(c, out.fields) || !c.done()) return std::nullopt;
  return out;
}

std::optional<ParsedTime> parse_time(std::string_view text) {
  Cursor c(text);
  ParsedTime out;
  if (!read_clock(c, out.fields) || !read_zone(c, out.zone, false)) return std::nullopt;
  return out;
}

std::optional<ParsedTime> parse_datetime(std::string_view text) {
  Cursor c(text);
  ParsedTime out;
  if (!read_date(c, out.fields) || !c.eat('T') || !read_clock(c, out.fields) ||
      !read_zone(c, out.zone, true)) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::array<std::int64_t, 3>> parse_timedelta(std::string_view text) {
  Cursor c(text);
  std::int64_t days = 0;
  if (text.find(" day") != std::string_view::npos) {
    const bool negative = c.eat('-');
    const auto d = c.digits(0, 9);
    if (!d || !(c.eat(" days, ") || c.eat(" day, "))) return std::nullopt;
    days = negative ? -*d : *d;
  }
  const auto h = c.digits(0, 2);
  if (!h || !c.eat(':')) return std::nullopt;
  const auto m = c.digits(2);
  if (!m || !c.eat(':')) return std::nullopt;
  const auto s = c.digits(2);
  const auto us = s ? c.fraction() : std::nullopt;
  if (!us || !c.done() || *h > 23 || *m > 59 || *s > 59) return std::nullopt;
  return std::array<std::int64_t, 3>{days, (*h * 60 + *m) * 60 + *s, *us};
}

std::optional<std::pair<std::string, std::string>> split_class_name(std::string_view text) {
  std::size_t split = text.find(':');
  if (split == std::string_view::npos) split = text.rfind('.');
  if (split == std::string_view::npos || split == 0 || split + 1 == text.size()) {
    return std::nullopt;
  }
  return std::pair{std::string(text.substr(0, split)), std::string(text.substr(split + 1))};
}

}  // namespace picklejar::json
