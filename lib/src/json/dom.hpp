#pragma once
// JsonDom: a parsed JSON document as a flat array of elements in document order (an element's
// first child, if any, follows it directly; siblings are linked). nlohmann::json's SAX parser
// fills it; nlohmann's own DOM is not used because it cannot hold ints beyond 64 bits exactly
// and its object type either sorts keys or looks them up linearly.
//
// Everything here is iterative: parsing, and the users' walks over the array.

#include <picklejar/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace picklejar::json {

class JsonDom {
 public:
  enum class Type : std::uint8_t {
    null,
    boolean,
    integer,
    big_integer,
    floating,
    string,
    array,
    object
  };
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;

  struct Element {
    Type type = Type::null;
    bool boolean = false;
    std::uint32_t parent = kNone;
    std::uint32_t next = kNone;  // next sibling
    std::uint32_t size = 0;      // children of an array or object
    union {
      std::int64_t integer;
      double floating;
    } number{0};
    // In text(): a string's value or a big integer's digits; and the member name when the
    // parent is an object.
    std::size_t text_offset = 0, text_size = 0;
    std::size_t key_offset = 0, key_size = 0;
    // Position in the parent: the member index of an object, the index of an array.
    std::uint32_t index = 0;
  };

  // Parses `text` (RFC 8259 JSON, one value, UTF-8). Throws JsonError with the byte offset,
  // line and column of a syntax error, or when nesting exceeds options.max_depth.
  static JsonDom parse(std::string_view text, const JsonReadOptions& options);

  const Element& at(std::uint32_t i) const { return elements_[i]; }
  std::uint32_t first_child(std::uint32_t i) const { return at(i).size ? i + 1 : kNone; }
  std::string_view text(const Element& e) const {
    return {pool_.data() + e.text_offset, e.text_size};
  }
  std::string_view key(const Element& e) const { return {pool_.data() + e.key_offset, e.key_size}; }
  // The JSON Pointer of element `i`, e.g. "/items/2/$tuple".
  std::string pointer(std::uint32_t i) const;

 private:
  friend class DomBuilder;
  std::vector<Element> elements_;
  std::string pool_;  // the text of strings, big integers and member names
};

}  // namespace picklejar::json
