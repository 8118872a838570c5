// Shape checks and key handling for codec_containers.hpp.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/codec_containers.hpp>
#include <picklejar/error.hpp>

#include "../value/hash.hpp"
#include "../value/value_access.hpp"

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

Value dict_with_room(std::size_t n) {
  Value dict = Value::dict();
  as_table(ValueAccess::node(dict)).table.reserve(n);
  return dict;
}

void insert_new_key(Value& dict, const Value& key, Value item) {
  // Value::set() and two size() calls, in one probe of the table: this runs for every item of
  // every map and struct that to_value() builds.
  auto& node = as_table(require_kind(dict, Kind::dict, "insert_new_key"));
  const Slot& k = ValueAccess::slot(key);
  const Slot& v = ValueAccess::slot(item);
  const std::size_t hash = slot_hash(k);  // TypeError for an unhashable key, as set() raises
  node.heap->absorb(k);
  node.heap->absorb(v);
  auto [entry, inserted] = node.table.insert(k, hash);
  if (!inserted) throw CodecError("equal in Python to an earlier key");
  entry->value = v;
  node.heap->maybe_collect();
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
