// CodecError and the path that container codecs put in front of it as it travels out.

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

#include <picklejar/codec_core.hpp>
#include <picklejar/error.hpp>
#include <picklejar/repr.hpp>

namespace picklejar {
namespace {

// Keys and members longer than this are cut in the path: the path is for reading.
constexpr std::size_t kMaxShownBytes = 60;

std::string shorten(std::string text) {
  if (text.size() <= kMaxShownBytes) return text;
  std::size_t cut = kMaxShownBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "...";
}

// A str key in double quotes, as the issue's `["window"]` shows it.
std::string quoted(std::string_view utf8) {
  std::string out = "\"";
  for (const char c : utf8) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string shown(const Value& v) {
  if (v.is_str()) return quoted(shorten(std::string(v.as_str())));
  try {
    ReprOptions options;
    options.max_bytes = 4 * kMaxShownBytes;
    return shorten(repr(v, options));
  } catch (const Error&) {
    return "<" + detail::type_name(v) + ">";
  }
}

// Inside a catch block: rethrows the exception being handled with `segment` in front of its
// path (or, with `key_itself`, as a failure of the dict key at `segment`).
[[noreturn]] void rethrow_with(const std::string& segment, bool key_itself = false) {
  std::string path;
  std::string reason;
  try {
    throw;
  } catch (const CodecError& e) {
    path = e.path();
    reason = e.reason();
  } catch (const TypeError& e) {
    reason = e.what();
  } catch (const ValueError& e) {
    reason = e.what();
  } catch (const LookupError& e) {
    reason = e.what();
  }
  if (key_itself) throw CodecError(segment, "key" + path + ": " + reason);
  throw CodecError(segment + path, reason);
}

}  // namespace

CodecError::CodecError(std::string path, std::string reason)
    : TypeError(path.empty() ? reason : path + ": " + reason),
      path_(std::move(path)),
      reason_(std::move(reason)) {}

CodecError::CodecError(std::string path, std::string reason, const std::string& message)
    : TypeError(message), path_(std::move(path)), reason_(std::move(reason)) {}

namespace detail {

void rethrow_at_index(std::size_t index) { rethrow_with(fmt::format("[{}]", index)); }
void rethrow_at_key(const Value& key) { rethrow_with("[" + shown(key) + "]"); }
void rethrow_at_key_itself(const Value& key) { rethrow_with("[" + shown(key) + "]", true); }
void rethrow_in_key() { rethrow_with("", true); }
void rethrow_at_member(const Value& member) { rethrow_with("{" + shown(member) + "}"); }
void rethrow_at_attribute(std::string_view name) { rethrow_with("." + std::string(name)); }

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::object: {
      const Value callable = v.object_callable();
      if (!callable.is_global()) return "object";
      if (callable.global_module() == "builtins") return std::string(callable.global_name());
      return fmt::format("{}.{}", callable.global_module(), callable.global_name());
    }
    case Kind::global:
      return fmt::format("global {}.{}", v.global_module(), v.global_name());
    case Kind::dict:
      if (v.dict_flavor() == DictFlavor::ordered_dict) return "collections.OrderedDict";
      return "dict";
    default:
      return std::string(kind_name(v.kind()));
  }
}

void throw_expected(std::string_view what, const Value& v) {
  throw CodecError(fmt::format("expected {}, got {}", what, type_name(v)));
}

}  // namespace detail
}  // namespace picklejar
