// Shape checks and key handling for codec_containers.hpp.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/codec_containers.hpp>
#include <picklejar/error.hpp>

namespace picklejar::detail {

void expect_sequence(const Value& v) {
  if (!v.is_list() && !v.is_tuple()) throw_expected("list or tuple", v);
}

void expect_dict(const Value& v) {
  if (!v.is_dict()) throw_expected("dict", v);
}

void expect_set(const Value& v) {
  if (!v.is_set() && !v.is_frozenset()) throw_expected("set or frozenset", v);
}

Value hashable(Value key) {
  if (key.is_hashable()) return key;
  switch (key.kind()) {
    case Kind::list:
    case Kind::tuple: {
      std::vector<Value> items;
      items.reserve(key.size());
      for (std::size_t i = 0; i < key.size(); ++i) {
        items.push_back(at_index(i, [&] { return hashable(key.at(i)); }));
      }
      return Value::tuple(std::move(items));
    }
    case Kind::bytearray:
      return Value::bytes(key.as_bytes());
    case Kind::set:
    case Kind::frozenset: {
      std::vector<Value> members;
      members.reserve(key.size());
      for (const Value& member : key) members.push_back(hashable(member));
      return Value::frozenset(std::move(members));
    }
    default:
      throw CodecError("unhashable type: '" + type_name(key) +
                       "' cannot be a dict key or set member");
  }
}

void insert_new_key(Value& dict, const Value& key, Value item) {
  const std::size_t before = dict.size();
  dict.set(key, std::move(item));
  if (dict.size() == before) throw CodecError("equal in Python to an earlier key");
}

void add_new_member(Value& set, const Value& member) {
  const std::size_t before = set.size();
  set.add(member);
  if (set.size() == before) throw CodecError("equal in Python to an earlier member");
}

void throw_duplicate_key() { throw CodecError("maps to the same C++ key as an earlier one"); }

std::string failure_text() {
  try {
    throw;
  } catch (const TypeError& e) {
    return e.what();
  } catch (const ValueError& e) {
    return e.what();
  } catch (const LookupError& e) {
    return e.what();
  }
}

void throw_no_alternative(const Value& v, const std::string& failures) {
  throw CodecError("no alternative of the std::variant accepts " + type_name(v) + " (" + failures +
                   ")");
}

}  // namespace picklejar::detail
