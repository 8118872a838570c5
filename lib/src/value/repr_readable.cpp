// Which object recipes repr() renders readably, and the renderings of decimal.Decimal,
// uuid.UUID, complex, pathlib paths and plain instances (the datetime family is in
// repr_datetime.cpp).

#include "repr_readable.hpp"

#include <fmt/format.h>

#include <picklejar/repr.hpp>

#include <cmath>
#include <cstddef>

namespace picklejar::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string strip_zeros(std::string_view digits) {
  const std::size_t first = digits.find_first_not_of('0');
  return first == std::string_view::npos ? "0" : std::string(digits.substr(first));
}

std::optional<std::string> special_decimal(std::string_view sign, std::string_view s) {
  const std::string l = lower(s);
  if (l == "inf" || l == "infinity") return std::string(sign) + "Infinity";
  for (const std::string_view nan : {std::string_view("snan"), std::string_view("nan")}) {
    if (l.compare(0, nan.size(), nan) != 0) continue;
    const std::string_view payload = s.substr(nan.size());
    for (char c : payload)
      if (!is_digit(c)) return std::nullopt;
    const std::string digits = payload.empty() ? "0" : strip_zeros(payload);
    return std::string(sign) + (nan == "nan" ? "NaN" : "sNaN") + (digits == "0" ? "" : digits);
  }
  return std::nullopt;
}

// Python's repr for a complex part: float repr without its ".0" ("1", "1.5", "1e+16").
std::string complex_part(double d) {
  std::string text = float_repr(d);
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text;
}

std::optional<ReprParts> complex_repr(const Value& args) {
  if (args.size() != 2) return std::nullopt;
  double part[2];
  for (std::size_t i = 0; i < 2; ++i) {
    const Value v = args.at(i);
    if (!v.is_float()) return std::nullopt;  // CPython always pickles two floats
    part[i] = v.as_float();
  }
  std::string imag = complex_part(part[1]);
  if (part[0] == 0 && !std::signbit(part[0])) return ReprParts{{imag + "j", std::nullopt}};
  if (imag.front() != '-') imag.insert(0, "+");
  return ReprParts{{"(" + complex_part(part[0]) + imag + "j)", std::nullopt}};
}

std::optional<ReprParts> decimal_repr(const Value& args) {
  if (args.size() != 1 || !args.at(0).is_str()) return std::nullopt;
  const auto text = decimal_str(args.at(0).as_str());
  if (!text) return std::nullopt;
  return ReprParts{{"Decimal(" + str_repr(*text) + ")", std::nullopt}};
}

// uuid.UUID pickles as an instance whose state is {'int': n} (and maybe 'is_safe').
std::optional<ReprParts> uuid_repr(const Value& object) {
  const Value state = object.object_state();
  if (object.object_args().size() != 0 || !state.is_dict()) return std::nullopt;
  const std::optional<Value> number = state.find(Value("int"));
  if (!number || !number->is_int()) return std::nullopt;
  const std::vector<std::byte> bytes = number->int_to_bytes();  // little-endian two's complement
  const bool negative = !bytes.empty() && (std::to_integer<unsigned>(bytes.back()) & 0x80) != 0;
  if (negative || bytes.size() > 17 || (bytes.size() == 17 && bytes[16] != std::byte{0})) {
    return std::nullopt;
  }
  std::string text;
  for (std::size_t i = 16; i-- > 0;) {
    if (i == 11 || i == 9 || i == 7 || i == 5) text += '-';
    text += fmt::format("{:02x}", i < bytes.size() ? std::to_integer<unsigned>(bytes[i]) : 0U);
  }
  return ReprParts{{"UUID('" + text + "')", std::nullopt}};
}

// Windows paths only as CPython writes them (an anchor such as 'C:\\', then plain names);
// anything else keeps the generic form rather than imitate Windows' parsing here.
std::optional<std::string> windows_path(const Value& args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!args.at(i).is_str()) return std::nullopt;
    const std::string_view s = args.at(i).as_str();
    const bool plain = !s.empty() && s != "." && s.find_first_of("\\/:") == std::string_view::npos;
    if (i > 0 && !plain) return std::nullopt;
    if (i > 0 && !out.ends_with('\\') && !out.ends_with(':')) out += '\\';
    out += s;
  }
  for (char& c : out)
    if (c == '\\') c = '/';
  return out.empty() ? "." : out;
}

std::optional<ReprParts> path_repr(std::string_view name, const Value& args) {
  const bool posix = name == "PurePosixPath" || name == "PosixPath";
  const bool windows = name == "PureWindowsPath" || name == "WindowsPath";
  if (!posix && !windows) return std::nullopt;
  const auto text = posix ? posix_path(args) : windows_path(args);
  if (!text) return std::nullopt;
  return ReprParts{{std::string(name) + "(" + str_repr(*text) + ")", std::nullopt}};
}

bool is_identifier(std::string_view s) {
  if (s.empty() || is_digit(s[0])) return false;
  for (char c : s) {
    const bool ok = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Adds " name=value" for each attribute; false when a key is not a plain identifier.
bool add_attributes(ReprParts& parts, const Value& dict) {
  if (dict.is_none()) return true;
  if (!dict.is_dict() || dict.dict_flavor() != DictFlavor::dict) return false;
  for (const auto& [key, value] : dict.items()) {
    if (!key.is_str() || !is_identifier(key.as_str())) return false;
    parts.push_back({fmt::format(" {}=", key.as_str()), value});
  }
  return true;
}

// <module.Class a=1 b=2>: an instance made without arguments (object.__reduce_ex__'s
// recipe), whose state is its __dict__, or (__dict__ or None, {slot: value}).
std::optional<ReprParts> instance_repr(const Value& object, const Value& callable) {
  const ObjectForm form = object.object_form();
  if (form == ObjectForm::reduce || !object.object_kwargs().is_none() ||
      object.object_args().size() != 0 || !object.object_listitems().empty() ||
      !object.object_dictitems().empty()) {
    return std::nullopt;
  }
  const std::string name = fmt::format("{}.{}", callable.global_module(), callable.global_name());
  if (str_repr(name) != "'" + name + "'") return std::nullopt;  // names needing escapes
  ReprParts parts{{"<" + name, std::nullopt}};
  const Value state = object.object_state();
  const bool slots = state.is_tuple() && state.size() == 2;
  if (slots ? !add_attributes(parts, state.at(0)) || !add_attributes(parts, state.at(1))
            : !add_attributes(parts, state)) {
    return std::nullopt;
  }
  parts.push_back({">", std::nullopt});
  return parts;
}

}  // namespace

// The path's parts joined as pathlib does: on POSIX a later absolute part starts anew, ""
// and "." vanish, and only a leading "//" is kept as a root apart from "/".
std::optional<std::string> posix_path(const Value& args) {
  std::string root;
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!args.at(i).is_str()) return std::nullopt;
    std::string_view s = args.at(i).as_str();
    if (s.starts_with('/')) {
      parts.clear();
      root = s.starts_with("//") && !s.starts_with("///") ? "//" : "/";
    }
    for (std::size_t start = 0; start <= s.size();) {
      std::size_t end = s.find('/', start);
      if (end == std::string_view::npos) end = s.size();
      const std::string_view part = s.substr(start, end - start);
      if (!part.empty() && part != ".") parts.emplace_back(part);
      start = end + 1;
    }
  }
  std::string out = root;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : "/") + parts[i];
  return out.empty() ? "." : out;
}

std::optional<std::string> decimal_str(std::string_view text) {
  std::string_view sign;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    if (text[0] == '-') sign = "-";
    text.remove_prefix(1);
  }
  if (text.empty() || (!is_digit(text[0]) && text[0] != '.')) return special_decimal(sign, text);
  std::size_t i = 0;
  std::string digits;
  std::int64_t exponent = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) digits += text[i];
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && is_digit(text[i]); ++i, --exponent) digits += text[i];
  }
  if (digits.empty()) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::string_view e = text.substr(i + 1);
    const bool negative = !e.empty() && e[0] == '-';
    if (!e.empty() && (e[0] == '-' || e[0] == '+')) e.remove_prefix(1);
    if (e.empty() || e.size() > 17) return std::nullopt;  // longer: leave it to Python
    std::int64_t value = 0;
    for (char c : e) {
      if (!is_digit(c)) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    exponent += negative ? -value : value;
    i = text.size();
  }
  if (i != text.size()) return std::nullopt;
  // Decimal.__str__ (the specification's to-scientific-string).
  const std::string coefficient = strip_zeros(digits);
  const auto n = static_cast<std::int64_t>(coefficient.size());
  const std::int64_t left_digits = exponent + n;
  const std::int64_t dot = exponent <= 0 && left_digits > -6 ? left_digits : 1;
  std::string out(sign);
  if (dot <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-dot), '0') + coefficient;
  } else if (dot >= n) {
    out += coefficient + std::string(static_cast<std::size_t>(dot - n), '0');
  } else {
    out += coefficient.substr(0, static_cast<std::size_t>(dot)) + "." +
           coefficient.substr(static_cast<std::size_t>(dot));
  }
  if (left_digits != dot) out += fmt::format("E{:+d}", left_digits - dot);
  return out;
}

std::optional<ReprParts> readable_object(const Value& object) {
  const Value callable = object.object_callable();
  if (!callable.is_global()) return readable_datetime(object, callable);
  const std::string_view module = callable.global_module(), name = callable.global_name();
  const bool reduce = object.object_form() == ObjectForm::reduce;
  if (module == "datetime") return readable_datetime(object, callable);
  if (reduce && module == "builtins" && name == "complex")
    return complex_repr(object.object_args());
  if (reduce && module == "decimal" && name == "Decimal") return decimal_repr(object.object_args());
  if (reduce && module == "pathlib") return path_repr(name, object.object_args());
  if (!reduce && module == "uuid" && name == "UUID") return uuid_repr(object);
  return instance_repr(object, callable);
}

}  // namespace picklejar::detail
