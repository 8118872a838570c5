#pragma once
// numpy's recipes in their compact tagged forms, "$ndarray" and "$dtype" (docs/JSON.md, "numpy
// arrays"). A compact form writes some parts of a recipe as values and leaves the rest
// implied: reading rebuilds the implied parts afresh (the globals, the boilerplate tuples and
// constants numpy writes). to_json() uses the compact form only when reading it back gives the
// same graph: every implied part is exactly what reading builds and nothing else refers to
// it, and the globals' names are the pooled strs. A part that is shared (numpy's dtype
// objects and one-character strs are, between the arrays of one pickle) is written as a value
// instead, with its $id or $ref, in a field of its own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../numpy/recipes.hpp"
#include "../value/node.hpp"
#include "graph.hpp"

namespace picklejar::json {

// A dtype's text: numpy's dtype.str, e.g. "<f8", "|S5", "<U3", "<M8[ns]", "<m8[10s]", "<M8".
struct DTypeText {
  char endian = '<';       // one of < > | =
  std::string type;        // numpy's type string: "f8", "S5", "U3", "M8"
  std::string unit;        // datetime/timedelta: "ns", ..., or "generic"
  std::int64_t count = 1;  // datetime64[10s]: 10
  bool time() const { return type == "M8" || type == "m8"; }
  std::string text() const;
};
// Parses a dtype text of a type numpy writes (kinds b i u f c S U M m); nullopt otherwise.
std::optional<DTypeText> parse_dtype_text(std::string_view text);

// The parts of a numpy.dtype recipe written in "$dtype": its text, and the parts written as
// values because something else refers to them (null: implied).
struct DTypeForm {
  DTypeText text;
  const detail::Slot* endian = nullptr;
  const detail::Slot* metadata = nullptr;
  const detail::Slot* unit = nullptr;
};
std::optional<DTypeForm> dtype_form(detail::Node* recipe, GraphInfo& graph);

// The parts of an array or scalar recipe written in "$ndarray".
struct ArrayForm {
  numpy::RecipeKind kind = numpy::RecipeKind::none;
  numpy::Package package = numpy::Package::core;
  const detail::Slot* dtype = nullptr;
  const detail::Slot* data = nullptr;
  const detail::Slot* shape = nullptr;     // frombuffer, reconstruct
  const detail::Slot* order = nullptr;     // frombuffer
  const detail::Slot* fortran = nullptr;   // reconstruct
  const detail::Slot* typecode = nullptr;  // reconstruct, when shared (else implied b'b')
};
std::optional<ArrayForm> array_form(detail::Node* recipe, GraphInfo& graph);

}  // namespace picklejar::json
