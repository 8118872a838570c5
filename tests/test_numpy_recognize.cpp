// numpy's recipes recognised by their exact globals (lib/src/numpy/recipes.hpp), and nothing
// else: lookalike names, other forms and bare globals stay ordinary inert recipes.

#include <doctest/doctest.h>

#include <string>

#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>

#include "numpy/recipes.hpp"
#include "numpy_support.hpp"

using picklejar::ObjectForm;
using picklejar::Value;
namespace numpy = picklejar::numpy;
namespace test = picklejar::test;

namespace {

Value call(std::string_view module, std::string_view name, ObjectForm form = ObjectForm::reduce) {
  return Value::object(Value::global(module, name), Value::tuple({Value(1)}), form);
}

}  // namespace

TEST_CASE("numpy: every pickle numpy wrote decodes to a recognised recipe") {
  for (const auto& c : test::numpy_cases()) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
      CAPTURE(c.name);
      CAPTURE(protocol);
      const Value v = picklejar::loads(c.pickle(protocol));
      REQUIRE(v.is_object());  // the decoder itself knows nothing of numpy
      const numpy::Recipe recipe = numpy::recognize(v);
      CHECK(picklejar::is_ndarray(v));
      const bool numpy2 = c.name.starts_with("np2_");
      CHECK(recipe.package == (numpy2 ? numpy::Package::underscore : numpy::Package::core));
      if (c.scalar) {
        CHECK(recipe.kind == numpy::RecipeKind::scalar);
      } else if (protocol < 5 || c.layout == "other" || c.dtype.find('M') != std::string::npos ||
                 c.dtype.find('m') != std::string::npos) {
        // numpy falls back to _reconstruct for what it cannot export as a buffer, except that
        // numpy >= 2.3 writes a transposed contiguous array with order 'K'.
        const bool k_order = numpy2 && protocol == 5 && c.name == "np2_transposed_3d";
        CHECK(recipe.kind ==
              (k_order ? numpy::RecipeKind::frombuffer : numpy::RecipeKind::reconstruct));
      } else {
        CHECK(recipe.kind == numpy::RecipeKind::frombuffer);
      }
    }
  }
}

TEST_CASE("numpy: each recipe is recognised by its exact global under both packages") {
  struct Expected {
    const char* module;
    const char* name;
    numpy::RecipeKind kind;
    numpy::Package package;
  };
  const Expected expected[] = {
      {"numpy.core.multiarray", "_reconstruct", numpy::RecipeKind::reconstruct,
       numpy::Package::core},
      {"numpy._core.multiarray", "_reconstruct", numpy::RecipeKind::reconstruct,
       numpy::Package::underscore},
      {"numpy.core.numeric", "_frombuffer", numpy::RecipeKind::frombuffer, numpy::Package::core},
      {"numpy._core.numeric", "_frombuffer", numpy::RecipeKind::frombuffer,
       numpy::Package::underscore},
      {"numpy.core.multiarray", "scalar", numpy::RecipeKind::scalar, numpy::Package::core},
      {"numpy._core.multiarray", "scalar", numpy::RecipeKind::scalar, numpy::Package::underscore},
  };
  for (const auto& e : expected) {
    CAPTURE(e.module);
    CAPTURE(e.name);
    const numpy::Recipe r = numpy::recognize(call(e.module, e.name));
    CHECK(r.kind == e.kind);
    CHECK(r.package == e.package);
    CHECK(numpy::module_of(e.kind, e.package) == e.module);
    CHECK(numpy::function_of(e.kind) == e.name);
  }
}

TEST_CASE("numpy: lookalikes, other forms and bare globals are not numpy's recipes") {
  const Value lookalikes[] = {
      call("numpy.core.multiarray", "_reconstruct_"),
      call("numpy.core.multiarray", "_frombuffer"),  // the right name in the wrong module
      call("numpy.core.numeric", "_reconstruct"),
      call("numpy.core.numeric", "scalar"),
      call("numpy.core", "multiarray._reconstruct"),
      call("numpy", "core.multiarray._reconstruct"),
      call("numpy.core.multiarray.", "_reconstruct"),
      call("Numpy.core.multiarray", "_reconstruct"),
      call("numpy._core._multiarray_umath", "scalar"),
      call("numpy.core.multiarray", "_reconstruct", ObjectForm::newobj),
      call("numpy.core.numeric", "_frombuffer", ObjectForm::newobj_ex),
      Value::global("numpy.core.multiarray", "_reconstruct"),  // named, not called
      Value::global("numpy", "ndarray"),
      Value::object(call("numpy.core.multiarray", "_reconstruct"), Value::tuple()),  // not a global
      Value("numpy.core.multiarray._reconstruct"),
      Value(),
  };
  for (const Value& v : lookalikes) {
    CAPTURE(v);
    CHECK(numpy::recognize(v).kind == numpy::RecipeKind::none);
    CHECK_FALSE(picklejar::is_ndarray(v));
  }
  CHECK(numpy::is_dtype_class(Value::global("numpy", "dtype")));
  CHECK_FALSE(numpy::is_dtype_class(Value::global("numpy.core", "dtype")));
  CHECK(numpy::is_ndarray_class(Value::global("numpy", "ndarray")));
  CHECK_FALSE(numpy::is_ndarray_class(Value::global("numpy", "matrix")));
}

TEST_CASE("numpy: decoding is unchanged: the recipe is the inert object it always was") {
  const auto& c = test::numpy_case("two_d_c");
  const Value v = picklejar::loads(c.pickle(4));
  CHECK(v.object_callable() == Value::global("numpy.core.multiarray", "_reconstruct"));
  CHECK(v.object_args()[0] == Value::global("numpy", "ndarray"));
  CHECK(v.object_state().is_tuple());
  // Re-encoding it is byte for byte what numpy wrote, at every protocol.
  for (int protocol = 2; protocol <= 5; ++protocol) {
    CAPTURE(protocol);
    picklejar::EncodeOptions options;
    options.protocol = protocol;
    CHECK(picklejar::dumps(picklejar::loads(c.pickle(protocol)), options) == c.pickle(protocol));
  }
}
