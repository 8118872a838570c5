#include "url.hpp"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include <picklejar/error.hpp>

#include "../../value/utf8.hpp"

namespace picklejar::store {
namespace {

constexpr std::string_view kSchemes[] = {"postgresql://", "postgres://"};
constexpr std::size_t kMaxNameBytes = 255;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding as Python's urllib.parse.unquote: a malformed escape stays as it is.
std::string unquote(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
        hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool strict_utf8(std::string_view text) {
  if (detail::find_invalid_utf8(text)) return false;
  for (std::size_t i = 0; i + 1 < text.size(); ++i)  // no UTF-8-encoded surrogates
    if (static_cast<unsigned char>(text[i]) == 0xED &&
        static_cast<unsigned char>(text[i + 1]) >= 0xA0)
      return false;
  return true;
}

// The parts of a URL's authority and path that name the server.
struct Where {
  std::string user;
  std::string password;
  std::string host;
  std::string port;
  std::string dbname;
};

Where where_of(std::string_view base) {
  Where w;
  const std::size_t slash = base.find('/');
  std::string_view netloc = base.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < base.size())
    w.dbname = unquote(base.substr(slash + 1));
  const std::size_t at = netloc.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view info = netloc.substr(0, at);
    const std::size_t colon = info.find(':');
    w.user = unquote(info.substr(0, colon));
    if (colon != std::string_view::npos) w.password = unquote(info.substr(colon + 1));
    netloc = netloc.substr(at + 1);
  }
  std::string_view host = netloc;
  if (netloc.starts_with('[')) {
    const std::size_t close = netloc.find(']');
    host = netloc.substr(1, close == std::string_view::npos ? close : close - 1);
    if (close != std::string_view::npos && close + 1 < netloc.size())
      w.port = std::string(netloc.substr(close + 2));
  } else if (const std::size_t colon = netloc.rfind(':');
             colon != std::string_view::npos && netloc.find(',') == std::string_view::npos) {
    host = netloc.substr(0, colon);
    w.port = std::string(netloc.substr(colon + 1));
  }
  w.host = unquote(host);
  return w;
}

// The URL as people see it: no password, no libpq parameters; "?store=NAME" when `name` is
// given.
std::string shown_of(const Where& w, std::optional<std::string_view> name) {
  std::string host = w.host;
  if (host.starts_with('/')) {
    host = url_quote(host);  // a Unix socket's directory
  } else if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return fmt::format("postgresql://{}{}{}{}{}", w.user.empty() ? "" : url_quote(w.user) + "@", host,
                     w.port.empty() ? "" : ":" + w.port,
                     w.dbname.empty() ? "" : "/" + url_quote(w.dbname),
                     name ? "?store=" + url_quote(*name) : "");
}

// A URL taken apart: the scheme's length (0: not a postgresql:// URL), the part libpq gets
// before the query, who and where, the store= values (percent-encoded) and the other
// parameters.
struct Split {
  std::size_t scheme_end = 0;
  std::string_view base;
  Where where;
  std::vector<std::string_view> names;
  std::vector<std::string_view> kept;
};

Split split_url(std::string_view url) {
  Split split;
  for (const std::string_view scheme : kSchemes)
    if (url.starts_with(scheme)) split.scheme_end = scheme.size();
  const std::string_view without_fragment = url.substr(0, url.find('#'));
  const std::size_t query_at = without_fragment.find('?');
  split.base = without_fragment.substr(0, query_at);
  split.where = where_of(split.base.substr(split.scheme_end));
  if (query_at == std::string_view::npos) return split;
  std::string_view rest = without_fragment.substr(query_at + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t equals = pair.find('=');
    if (unquote(pair.substr(0, equals)) == "store") {
      split.names.push_back(equals == std::string_view::npos ? "" : pair.substr(equals + 1));
    } else if (!pair.empty()) {
      split.kept.push_back(pair);
    }
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return split;
}

// The part of the URL libpq gets: without the store parameter.
std::string conninfo_of(const Split& split) {
  std::string conninfo(split.base);
  for (std::size_t i = 0; i < split.kept.size(); ++i) {
    conninfo += i == 0 ? '?' : '&';
    conninfo += split.kept[i];
  }
  return conninfo;
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= kMaxNameBytes && strict_utf8(name);
}

}  // namespace

std::string url_quote(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

bool is_store_url(const std::filesystem::path& path) {
  const std::string& text = path.native();
  for (const std::string_view scheme : kSchemes)
    if (text.starts_with(scheme)) return true;
  return false;
}

StoreUrl parse_store_url(std::string_view url) {
  const Split split = split_url(url);
  const std::string shown_without = shown_of(split.where, std::nullopt);
  const auto fail = [&shown_without](const std::string& why) {
    return StoreError(shown_without, std::nullopt,
                      fmt::format("cannot open '{}': {}", shown_without, why));
  };
  if (split.scheme_end == 0) throw fail("not a postgresql:// or postgres:// URL");
  if (split.names.size() != 1)
    throw fail(
        fmt::format("a PostgreSQL URL names its store with ?store=NAME exactly once ({} "
                    "found)",
                    split.names.size()));
  std::string name = unquote(split.names[0]);
  if (!valid_name(name))
    throw fail(fmt::format("the store's name must be 1 to {} bytes of UTF-8 (got {} bytes)",
                           kMaxNameBytes, name.size()));
  StoreUrl parsed;
  parsed.conninfo = conninfo_of(split);
  parsed.shown = shown_of(split.where, name);
  parsed.store = std::move(name);
  parsed.password = split.where.password;
  return parsed;
}

StoreUrl parse_database_url(std::string_view url, std::string_view doing) {
  const Split split = split_url(url);
  const std::string shown = shown_of(split.where, std::nullopt);
  if (split.scheme_end == 0)
    throw StoreError(shown, std::nullopt,
                     fmt::format("{} '{}': not a postgresql:// URL (a session file is one store)",
                                 doing, shown));
  if (!split.names.empty())
    throw StoreError(
        shown, std::nullopt,
        fmt::format("{} '{}': the URL names a database, without ?store=NAME", doing, shown));
  StoreUrl parsed;
  parsed.conninfo = conninfo_of(split);
  parsed.shown = shown;
  parsed.password = split.where.password;
  return parsed;
}

std::string shown_url(std::string_view url) {
  const Split split = split_url(url);
  std::optional<std::string> name;
  if (split.names.size() == 1) name = unquote(split.names[0]);
  if (name && !valid_name(*name)) name.reset();
  return shown_of(split.where, name ? std::optional<std::string_view>(*name) : std::nullopt);
}

}  // namespace picklejar::store
