#pragma once
// picklejar::Value — what a pickle decodes to and what the encoder writes: Python's built-in
// data types, plus inert records for what C++ cannot (and never does) execute.
//
// Start here. A Value is a small handle (16 bytes). None, bool, int and float live inside it;
// everything else is a node in a heap shared by all values reachable from each other:
//   - Copying a Value copies the reference, like assigning a Python name: `Value b = a;` and
//     `b.append(1)` changes the list `a` refers to. Use deep_copy() for an independent copy.
//   - Shared references and cycles are real: a list stored twice in a dict is one node; a list
//     may contain itself. Memory is reclaimed when the last handle into a heap goes away, and
//     unreachable cycles inside a live heap are collected as the heap grows. Nothing leaks.
//   - Nothing recurses on the C stack in proportion to the value's depth: destruction,
//     equality, hashing and repr() all use explicit work lists, so hostile depth is harmless.
//
// Kinds follow Python: None, bool, int (64-bit fast path, arbitrary precision beyond), float,
// str (UTF-8; lone surrogates kept as Python's "surrogatepass" codec writes them), bytes,
// bytearray, list, tuple, dict (insertion-ordered, Python key equality: 1, 1.0 and True are one
// key), set, frozenset. Two more kinds hold what a pickle references but C++ must not run:
//   - global: a `module.qualname` reference (what pickle.dumps(len) stores);
//   - object: the recipe that rebuilds a Python object (callable, args, kwargs, the BUILD
//     state, appended list/dict items) -- enough to write the same pickle back.
//
// Thread safety: a Value and every Value reachable from or sharing a heap with it must be used
// by one thread at a time (copying a handle counts as use). Independent values (separately
// constructed or decoded) may be used by different threads concurrently.

#include <picklejar/config.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace picklejar {

class Buffer;

// The kind of a Value: Python's built-in types, plus the two inert kinds.
enum class Kind : std::uint8_t {
  none,
  boolean,
  integer,
  floating,
  str,
  bytes,
  bytearray,
  list,
  tuple,
  dict,
  set,
  frozenset,
  global,
  object,
};

// Python's name for the kind ("NoneType", "bool", "int", "float", "str", ...; "global" and
// "object" for the two inert kinds).
PICKLEJAR_EXPORT std::string_view kind_name(Kind kind) noexcept;

// How a pickle constructed an object. The encoder writes the same shape back.
enum class ObjectForm : std::uint8_t {
  reduce,         // callable(*args)                    REDUCE
  newobj,         // cls.__new__(cls, *args)            NEWOBJ (protocol 2+ class instances)
  newobj_ex,      // cls.__new__(cls, *args, **kwargs)  NEWOBJ_EX
  inst,           // protocol 0 INST: class named inline, args from the MARK
  obj,            // protocol 1 OBJ: class and args from the MARK
  reconstructor,  // copyreg._reconstructor(cls, object, None): protocols 0-1 plain instances
};

// The form's name as tagged JSON and descriptions write it ("reduce", "newobj", "newobj_ex",
// "inst", "obj", "reconstructor"), and the form a name stands for (nullopt for any other).
PICKLEJAR_EXPORT std::string_view form_name(ObjectForm form) noexcept;
PICKLEJAR_EXPORT std::optional<ObjectForm> form_named(
    std::string_view name) noexcept;  // (the inverse)

// A dict remembers whether the pickle built it as collections.OrderedDict, so repr() and the
// encoder can say so. Both behave as an insertion-ordered dict.
enum class DictFlavor : std::uint8_t { dict, ordered_dict };

namespace detail {
struct Node;
// Internal representation shared by Value and container storage. Not part of the API.
enum class Tag : std::uint8_t { none, boolean, small_int, floating, node, erased };
struct Slot {
  Tag tag = Tag::none;
  std::uint32_t aux = 0;  // scratch for internal passes (the decoder's nesting depth); not data
  union {
    bool boolean;
    std::int64_t small_int;
    double floating;
    Node* node;
  } as{.small_int = 0};
};
PICKLEJAR_EXPORT void retain(Node* node) noexcept;
PICKLEJAR_EXPORT void release(Node* node) noexcept;
class ValueAccess;
}  // namespace detail

// A character type is not a number in Python; Value('x') would be a trap, so it is refused.
template <class T>
concept PythonInteger = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                        !std::same_as<T, wchar_t> && !std::same_as<T, char8_t> &&
                        !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

// A Python value (see the top of this file): cheap to copy, sharing its node as Python does.
class PICKLEJAR_EXPORT Value {
 public:
  // ---- construction -------------------------------------------------------------------------
  Value() noexcept = default;        // None
  Value(std::nullptr_t) noexcept {}  // None
  // True or False.
  Value(bool b) noexcept { slot_.tag = detail::Tag::boolean, slot_.as.boolean = b; }
  // A pointer is not a bool: C++ would convert any pointer to one silently (`return p;` in a
  // function returning Value gives True). Only char pointers convert: they are str.
  template <class T>
  requires(!std::same_as<std::remove_cv_t<T>, char>) Value(T*)
  = delete;
  // An int.
  template <PythonInteger T>
  Value(T i) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (i > static_cast<T>(INT64_MAX)) {
        *this = from_uint64(static_cast<std::uint64_t>(i));
        return;
      }
    }
    slot_.tag = detail::Tag::small_int, slot_.as.small_int = static_cast<std::int64_t>(i);
  }
  // A float.
  template <std::floating_point T>
  Value(T f) noexcept {
    slot_.tag = detail::Tag::floating, slot_.as.floating = static_cast<double>(f);
  }
  // A str. The text must be UTF-8; encoded surrogates (U+D800..U+DFFF, as "surrogatepass"
  // writes them) are accepted. Throws ValueError naming the first bad byte.
  Value(const char* utf8);
  Value(std::string_view utf8);
  Value(const std::string& utf8) : Value(std::string_view(utf8)) {}

  // A list of `items`.
  static Value list(std::initializer_list<Value> items = {});
  static Value list(std::vector<Value> items);
  // A tuple of `items`.
  static Value tuple(std::initializer_list<Value> items = {});
  static Value tuple(std::vector<Value> items);
  // Later duplicates of an equal key replace the value but keep the first key, as in Python.
  // Throws TypeError for an unhashable key.
  static Value dict(std::initializer_list<std::pair<Value, Value>> items = {});
  static Value dict(std::vector<std::pair<Value, Value>> items);
  // A set of `members` (equal members are kept once).
  static Value set(std::initializer_list<Value> members = {});
  static Value set(std::vector<Value> members);
  // A frozenset of `members` (equal members are kept once).
  static Value frozenset(std::initializer_list<Value> members = {});
  static Value frozenset(std::vector<Value> members);
  // bytes holding a copy of `data`.
  static Value bytes(std::span<const std::byte> data);
  static Value bytes(std::string_view data);
  // A bytearray holding a copy of `data`.
  static Value bytearray(std::span<const std::byte> data);
  static Value bytearray(std::string_view data);
  // bytes (read-only buffer) or bytearray (writable) referring to the buffer's memory, no copy.
  static Value from_buffer(const Buffer& buffer);
  // Arbitrary-precision int from decimal text: optional sign, digits, nothing else.
  // Throws ValueError on bad text.
  static Value integer_from_decimal(std::string_view text);
  // Int from little-endian two's-complement bytes (pickle's LONG1/LONG4 payload; empty is 0).
  static Value integer_from_bytes(std::span<const std::byte> little_endian);
  // An inert global: a class or function by name, never resolved.
  static Value global(std::string_view module, std::string_view qualname);
  // An object recipe. `args` must be a tuple and `kwargs` a dict or None (None unless newobj_ex).
  static Value object(Value callable, Value args, ObjectForm form = ObjectForm::reduce,
                      Value kwargs = {});

  // Copies share the node, as Python names do (shallow; deep_copy() copies).
  Value(const Value& other) noexcept : slot_(other.slot_) {
    if (slot_.tag == detail::Tag::node) detail::retain(slot_.as.node);
  }
  Value(Value&& other) noexcept : slot_(other.slot_) { other.slot_ = {}; }
  Value& operator=(const Value& other) & noexcept;  // (shares, as the copy constructor)
  Value& operator=(Value&& other) & noexcept;       // (as the move constructor)
  ~Value() {
    if (slot_.tag == detail::Tag::node) detail::release(slot_.as.node);
  }

  // ---- kind ---------------------------------------------------------------------------------
  Kind kind() const noexcept;                                               // which kind of value
  bool is_none() const noexcept { return slot_.tag == detail::Tag::none; }  // None
  bool is_bool() const noexcept { return slot_.tag == detail::Tag::boolean; }  // bool
  // True for every int, small or big (not for bool, unlike Python's isinstance).
  bool is_int() const noexcept { return kind() == Kind::integer; }
  bool is_float() const noexcept { return slot_.tag == detail::Tag::floating; }  // float
  bool is_str() const noexcept { return kind() == Kind::str; }                   // str
  bool is_bytes() const noexcept { return kind() == Kind::bytes; }               // bytes
  bool is_bytearray() const noexcept { return kind() == Kind::bytearray; }       // bytearray
  bool is_list() const noexcept { return kind() == Kind::list; }                 // list
  bool is_tuple() const noexcept { return kind() == Kind::tuple; }               // tuple
  bool is_dict() const noexcept { return kind() == Kind::dict; }  // dict (OrderedDict too)
  bool is_set() const noexcept { return kind() == Kind::set; }    // set
  bool is_frozenset() const noexcept { return kind() == Kind::frozenset; }  // frozenset
  bool is_global() const noexcept { return kind() == Kind::global; }        // an inert global
  bool is_object() const noexcept { return kind() == Kind::object; }  // an inert object recipe

  // ---- scalars (each throws TypeError naming the actual kind when it does not apply) ---------
  bool as_bool() const;  // a bool; TypeError for an int
  // int or bool. Throws TypeError when the int does not fit in 64 bits.
  std::int64_t as_int() const;
  bool fits_int64() const noexcept;  // false for non-ints
  // float, or an int/bool converted with correct rounding (TypeError if too large).
  double as_float() const;
  // The str's UTF-8 bytes (surrogates as "surrogatepass" encodes them).
  std::string_view as_str() const;
  // The bytes of a bytes or bytearray value.
  std::span<const std::byte> as_bytes() const;
  std::string_view as_bytes_view() const;  // (the same, as text)
  // A bytearray's bytes, writable in place.
  std::span<std::byte> mutable_bytes();
  // An int's exact decimal text (bool gives "0"/"1").
  std::string int_to_decimal() const;
  // An int as pickle's LONG1/LONG4 payload: minimal little-endian two's complement, 0 is empty.
  std::vector<std::byte> int_to_bytes() const;

  // ---- containers ---------------------------------------------------------------------------
  // Python's len(): items of list/tuple/dict/set/frozenset, bytes of bytes/bytearray, code
  // points of a str.
  std::size_t size() const;
  bool empty() const { return size() == 0; }  // size() == 0
  // v[i] on a list or tuple (negative i counts from the end), v[key] on a dict. Throws
  // LookupError when absent. Reading only: to change an item use set().
  Value operator[](const Value& key_or_index) const;
  Value at(std::size_t index) const;  // list or tuple
  // Dict lookup; empty when the key is absent (TypeError when the key is unhashable).
  std::optional<Value> find(const Value& key) const;
  Value get(const Value& key, Value fallback) const;  // find(key), or `fallback`
  // `item in v` for dict (keys), set, frozenset, list and tuple (by ==).
  bool contains(const Value& item) const;

  void append(Value item);                           // list
  void set(const Value& key_or_index, Value value);  // dict (insert or replace), list (replace)
  void add(Value member);                            // set
  bool erase(const Value& key);                      // dict key or set member; false if absent
  void clear();                                      // list, dict, set, bytearray

  // Iterates the items of a list/tuple/set/frozenset or the keys of a dict, as Python does.
  // Changing the container while iterating invalidates the iteration (TypeError, not UB).
  class Iterator;
  Iterator begin() const;  // (the first item)
  Iterator end() const;    // (past the last)
  // A dict's (key, value) pairs in insertion order.
  std::vector<std::pair<Value, Value>> items() const;

  // ---- global and object --------------------------------------------------------------------
  std::string_view global_module() const;  // a global's module
  std::string_view global_name() const;    // a global's qualified name
  Value object_callable() const;           // what an object recipe calls
  Value object_args() const;               // a tuple
  Value object_kwargs() const;             // a dict (newobj_ex) or None
  ObjectForm object_form() const;          // how its pickle constructed it
  // The class an instance was made from: the callable for newobj/newobj_ex/inst/obj and
  // reconstructor; for reduce, the callable too (which may be a factory function).
  Value object_class() const { return object_callable(); }
  Value object_state() const;                   // what BUILD gave, None if nothing
  void set_object_state(Value state);           // (what BUILD gives)
  std::vector<Value> object_listitems() const;  // APPEND(S) on the object
  std::vector<std::pair<Value, Value>> object_dictitems() const;  // SETITEM(S) on the object
  void object_append(Value item);                                 // (APPEND on the object)
  void object_set_item(Value key, Value value);                   // (SETITEM on the object)
  DictFlavor dict_flavor() const;                                 // a dict's flavor
  void set_dict_flavor(DictFlavor flavor);                        // (a dict's)
  // An OrderedDict's instance attributes (what BUILD gave it, usually a dict), None if none.
  // Like Python's OrderedDict ==, dict equality ignores them.
  Value dict_state() const;
  void set_dict_state(Value state);  // (an OrderedDict's)

  // ---- identity, equality, hashing, text ----------------------------------------------------
  // Python's `is`: the same node, or the same immediate value.
  bool is(const Value& other) const noexcept;
  // Like Python's id() for values that are nodes (str, bytes, big int, containers, globals,
  // objects): equal for shared references, stable while the value lives. 0 for None, bool,
  // small ints and floats, which have no identity here.
  std::uintptr_t identity() const noexcept;
  // Python's ==: 1 == 1.0 == True, b'a' == bytearray(b'a'), set == frozenset, dicts ignore
  // order, nan != nan. Shared and cyclic structures compare in linear time and never overflow
  // the stack. Globals compare by name; objects compare by their recipe.
  friend PICKLEJAR_EXPORT bool operator==(const Value& a, const Value& b);
  // A hash consistent with == (1, 1.0 and True hash alike), keyed with a per-process secret
  // so that crafted dict keys cannot collide on purpose: values differ between runs. Hashes
  // of immutable nodes are cached, so a DAG of shared tuples hashes in linear time.
  // TypeError when unhashable (list, dict, set, bytearray, or a tuple containing one).
  std::size_t hash() const;
  bool is_hashable() const noexcept;  // whether hash() would succeed
  // Python's repr() for built-in values (see repr.hpp for options and the formatter).
  std::string repr() const;
  // An independent copy of the whole graph, keeping its internal sharing and cycles.
  Value deep_copy() const;

 private:
  friend class detail::ValueAccess;
  static Value from_uint64(std::uint64_t value);
  detail::Slot slot_;
};

// Iterates a list/tuple/set/frozenset's items or a dict's keys (see Value::begin()).
class PICKLEJAR_EXPORT Value::Iterator {
 public:
  using iterator_category = std::input_iterator_tag;  // (input iterator)
  using value_type = Value;                           // an item, or a dict's key
  using difference_type = std::ptrdiff_t;             // (std::ptrdiff_t)

  Iterator() = default;
  Value operator*() const;  // the current item
  Iterator& operator++();   // to the next item
  // To the next item; returns the iterator as it was.
  Iterator operator++(int) {
    Iterator copy = *this;
    ++*this;
    return copy;
  }
  // The same position.
  friend bool operator==(const Iterator& a, const Iterator& b) noexcept {
    return a.position_ == b.position_;
  }

 private:
  friend class Value;
  friend class detail::ValueAccess;
  Iterator(Value container, std::size_t position);
  void skip_erased();
  Value container_;
  std::size_t position_ = 0;
  std::uint64_t version_ = 0;  // a dict/set's layout version when iteration started
};

}  // namespace picklejar

template <>
struct std::hash<picklejar::Value> {
  std::size_t operator()(const picklejar::Value& v) const { return v.hash(); }
};
