// C++ structs as Python class instances (PICKLEJAR_CLASS), against CPython's pickles of the
// classes in tests/gen/pjcodec/state.py at protocols 0-5, and the three ways to map a type.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/pickle.hpp>

#include "codec_support.hpp"

using picklejar::ClassPolicy;
using picklejar::ExtraAttributes;
using picklejar::from_value;
using picklejar::MissingAttributes;
using picklejar::ObjectForm;
using picklejar::to_value;
using picklejar::Value;
namespace test = picklejar::test;

namespace app {

struct Window {
  int width = 800;
  int height = 600;
  std::string title;
  friend bool operator==(const Window&, const Window&) = default;
};
PICKLEJAR_CLASS(Window, "pjcodec.state", "Window", width, height, title);

struct Session {
  Window window;
  std::vector<std::filesystem::path> recent;
  std::map<std::string, std::variant<bool, std::int64_t, double, std::string>> prefs;
  std::optional<std::chrono::sys_time<std::chrono::microseconds>> saved_at;
  friend bool operator==(const Session&, const Session&) = default;
};
PICKLEJAR_CLASS(Session, "pjcodec.state", "Session", window, recent, prefs, saved_at);

// A member listed twice: Python has one attribute of that name.
struct Twice {
  int a = 0;
};
PICKLEJAR_CLASS(Twice, "pjcodec.state", "Twice", a, a);

struct Empty {
  friend bool operator==(const Empty&, const Empty&) = default;
};
PICKLEJAR_CLASS(Empty, "pjcodec.state", "Empty");

struct Inner {
  int v = 0;
  friend bool operator==(const Inner&, const Inner&) = default;
};
PICKLEJAR_CLASS(Inner, "pjcodec.state", "Outer.Inner", v);

struct Slotted {
  int a = 0;
  std::string b;
  friend bool operator==(const Slotted&, const Slotted&) = default;
};
PICKLEJAR_CLASS(Slotted, "pjcodec.state", "Slotted", a, b);

struct SlottedWithDict {
  int a = 0;
  int extra = 0;
  friend bool operator==(const SlottedWithDict&, const SlottedWithDict&) = default;
};
PICKLEJAR_CLASS(SlottedWithDict, "pjcodec.state", "SlottedWithDict", a, extra);

struct WithArgs {
  int width = 0;
};
PICKLEJAR_CLASS(WithArgs, "pjcodec.state", "WithArgs", width);

struct Node {
  int value = 0;
  std::vector<Node> children;
  friend bool operator==(const Node&, const Node&) = default;
};
PICKLEJAR_CLASS(Node, "pjcodec.state", "Node", value, children);

// Three more views of pjcodec.state.Window, with other policies.
struct StrictWindow {
  int width = 0;
  int height = 0;
};
PICKLEJAR_CLASS_WITH(StrictWindow, (ClassPolicy{.extra = ExtraAttributes::error}), "pjcodec.state",
                     "Window", width, height);

struct LenientWindow {
  int width = 1;
  int height = 2;
  std::string title = "untitled";
  int depth = 7;
};
PICKLEJAR_CLASS_WITH(LenientWindow, ClassPolicy{.missing = MissingAttributes::keep_default},
                     "pjcodec.state", "Window", width, height, title, depth);

struct OptionalWindow {
  int width = 0;
  std::optional<int> depth = 5;
};
PICKLEJAR_CLASS(OptionalWindow, "pjcodec.state", "Window", width, depth);

struct AnyWindow {
  Value width;
};
PICKLEJAR_CLASS(AnyWindow, "pjcodec.state", "Window", width);

}  // namespace app

// Form 2 by hand: free functions in the type's namespace.
namespace geo {
struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};
Value to_pickle(const Point& p) { return Value::tuple({p.x, p.y}); }
void from_pickle(const Value& v, Point& p) {
  std::tie(p.x, p.y) = from_value<std::pair<double, double>>(v);
}

struct Label {  // written only
  std::string text;
};
Value to_pickle(const Label& l) { return to_value(l.text); }

struct Keyed {  // reads a dict with Value's own accessors, whose errors get the path too
  int id = 0;
};
void from_pickle(const Value& v, Keyed& k) { k.id = static_cast<int>(v[Value("id")].as_int()); }

struct Fussy {  // throws something that is not a mapping error
  int n = 0;
};
void from_pickle(const Value&, Fussy&) { throw std::runtime_error("disk on fire"); }
}  // namespace geo

// Form 1: a specialization for a type we pretend not to own.
namespace vendor {
struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};
}  // namespace vendor

template <>
struct picklejar::codec<vendor::Rgb> {
  static Value to_value(const vendor::Rgb& c) { return Value::tuple({c.r, c.g, c.b}); }
  static vendor::Rgb from_value(const Value& v) {
    const auto [r, g, b] =
        picklejar::from_value<std::tuple<std::uint8_t, std::uint8_t, std::uint8_t>>(v);
    return {r, g, b};
  }
};

TEST_CASE("codec: PICKLEJAR_CLASS builds what Python 3 pickles for a plain instance") {
  const auto py = test::cpython({"pjcodec.state.Window(3, 4, 'big')", "pjcodec.state.Window()"});
  test::check_like_cpython(app::Window{3, 4, "big"}, py[0]);
  test::check_like_cpython(app::Window{}, py[1]);
  SUBCASE("NEWOBJ with no arguments, then BUILD with the attribute dict") {
    const Value v = to_value(app::Window{3, 4, "big"});
    CHECK(v.object_form() == ObjectForm::newobj);
    CHECK(v.object_args() == Value::tuple());
    CHECK(v.object_state() == Value::dict({{"width", 3}, {"height", 4}, {"title", "big"}}));
  }
  SUBCASE("protocols 0-1 write copyreg._reconstructor, which is read the same") {
    CHECK(py[0].loaded[0]->object_form() == ObjectForm::reconstructor);
    CHECK(py[0].loaded[1]->object_form() == ObjectForm::reconstructor);
  }
}

TEST_CASE("codec: Python 2's INST and OBJ instances are read too") {
  // Written by hand as Python 2 would; CPython 3 loads them to the same Window.
  const std::string inst =
      "(ipjcodec.state\nWindow\n(dp1\nS'width'\nI3\nsS'height'\nI4\nsS'title'\nS't'\nsb.";
  const std::string obj =
      "(cpjcodec.state\nWindow\no}(U\x05widthK\x03U\x06heightK\x04U\x05titleU\x01tub.";
  const auto py = test::cpython({"pickle.loads(bytes.fromhex('" + test::hex(inst) + "'))",
                                 "pickle.loads(bytes.fromhex('" + test::hex(obj) + "'))"});
  test::check_like_cpython(app::Window{3, 4, "t"}, py[0]);
  test::check_like_cpython(app::Window{3, 4, "t"}, py[1]);
  CHECK(picklejar::loads(inst).object_form() == ObjectForm::inst);
  CHECK(picklejar::loads(obj).object_form() == ObjectForm::obj);
  CHECK(from_value<app::Window>(picklejar::loads(inst)) == app::Window{3, 4, "t"});
  CHECK(from_value<app::Window>(picklejar::loads(obj)) == app::Window{3, 4, "t"});
}

TEST_CASE("codec: a session struct nests classes, paths, variants and datetimes") {
  using namespace std::chrono;
  const auto py = test::cpython(
      {"pjcodec.state.Session(pjcodec.state.Window(1024, 768, 'main'), ['/a/b', "
       "os.fsdecode(b'/c\\xff')], {'dark': True, 'size': 12, 'ratio': 0.5, 'name': 'x'}, "
       "datetime.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=datetime.timezone.utc))",
       "pjcodec.state.Session(pjcodec.state.Window(), [], {})"});
  app::Session full{
      {1024, 768, "main"},
      {"/a/b", "/c\xff"},
      {{"dark", true}, {"size", std::int64_t{12}}, {"ratio", 0.5}, {"name", "x"}},
      sys_days(year{2024} / 5 / 6) + hours(7) + minutes(8) + seconds(9) + microseconds(10)};
  test::check_like_cpython(full, py[0]);
  test::check_like_cpython(app::Session{}, py[1]);
}

TEST_CASE("codec: a member listed twice in PICKLEJAR_CLASS is refused, not written twice") {
  CHECK(test::to_value_error(app::Twice{}) == ".a: equal in Python to an earlier key");
}

TEST_CASE("codec: a class with no attributes has no BUILD") {
  const test::CPython py = test::cpython_one("pjcodec.state.Empty()");
  test::check_like_cpython(app::Empty{}, py);
  CHECK(to_value(app::Empty{}).object_state().is_none());
}

TEST_CASE("codec: a nested qualname is a dotted global, read also through getattr") {
  const test::CPython py = test::cpython_one("pjcodec.state.Outer.Inner(5)");
  // Protocols 2-3 name the class as getattr(Outer, 'Inner'); 4+ as the dotted global.
  test::check_like_cpython(app::Inner{5}, py, 4);
  CHECK_FALSE(to_value(app::Inner{5}) == *py.loaded[3]);
}

TEST_CASE("codec: __slots__ state and recursive structs") {
  const auto py =
      test::cpython({"pjcodec.state.Slotted(1, 'x')", "pjcodec.state.SlottedWithDict(1, 2)",
                     "pjcodec.state.Node(1, [pjcodec.state.Node(2, []), "
                     "pjcodec.state.Node(3, [pjcodec.state.Node(4, [])])])"});
  // (None, slots) and (dict, slots) states are read; to_value always writes a __dict__.
  test::check_like_cpython(app::Slotted{1, "x"}, py[0], 6);
  test::check_like_cpython(app::SlottedWithDict{1, 2}, py[1], 6);
  CHECK_FALSE(py[0].loaded[1]);  // CPython cannot pickle it below protocol 2
  test::check_like_cpython(app::Node{1, {{2, {}}, {3, {{4, {}}}}}}, py[2]);
}

TEST_CASE("codec: instances of another class, or built with arguments, are refused") {
  const auto py =
      test::cpython({"pjcodec.state.Door()", "pjcodec.state.WithArgs(3)", "{'width': 1}"});
  CHECK(test::from_value_error<app::Window>(*py[0].loaded[4]) ==
        "expected pjcodec.state.Window instance, got pjcodec.state.Door");
  for (int protocol = 2; protocol < 6; ++protocol) {
    CHECK(test::from_value_error<app::WithArgs>(*py[1].loaded[protocol]) ==
          "the pjcodec.state.WithArgs instance was built with constructor arguments, which a "
          "mapped struct cannot take");
  }
  CHECK(test::from_value_error<app::Window>(*py[2].loaded[4]) ==
        "expected pjcodec.state.Window instance, got dict");
}

TEST_CASE("codec: extra attributes are ignored unless the policy refuses them") {
  const test::CPython py =
      test::cpython_one("pjcodec.state.with_attributes(pjcodec.state.Window(3, 4, 't'), extra=1)");
  for (const auto& loaded : py.loaded) {
    CHECK(from_value<app::Window>(*loaded) == app::Window{3, 4, "t"});
    CHECK(test::from_value_error<app::StrictWindow>(*loaded) ==
          ".title: attribute not in the C++ struct mapped to pjcodec.state.Window "
          "(ExtraAttributes::error)");
  }
  const test::CPython exact = test::cpython_one(
      "pjcodec.state.without_attributes(pjcodec.state.Window(3, 4, 't'), 'title')");
  const app::StrictWindow strict = from_value<app::StrictWindow>(*exact.loaded[2]);
  CHECK(strict.width == 3);
  CHECK(strict.height == 4);
}

TEST_CASE("codec: missing attributes are an error, nullopt, or the default") {
  const auto py = test::cpython(
      {"pjcodec.state.without_attributes(pjcodec.state.Window(3, 4, 't'), 'height')",
       "pjcodec.state.without_attributes(pjcodec.state.Window(), 'width', 'height', 'title')"});
  for (const auto& loaded : py[0].loaded) {
    CHECK(test::from_value_error<app::Window>(*loaded) ==
          ".height: attribute missing from the pjcodec.state.Window instance");
    const app::LenientWindow lenient = from_value<app::LenientWindow>(*loaded);
    CHECK(lenient.width == 3);
    CHECK(lenient.height == 2);
    CHECK(lenient.title == "t");
    CHECK(lenient.depth == 7);
    const app::OptionalWindow optional = from_value<app::OptionalWindow>(*loaded);
    CHECK(optional.width == 3);
    CHECK(optional.depth == std::nullopt);
  }
  SUBCASE("an empty __dict__ pickles with no state at all") {
    for (const auto& loaded : py[1].loaded) {
      CHECK(loaded->object_state().is_none());
      CHECK(test::from_value_error<app::Window>(*loaded) ==
            ".width: attribute missing from the pjcodec.state.Window instance");
      const app::LenientWindow lenient = from_value<app::LenientWindow>(*loaded);
      CHECK(lenient.title == "untitled");
    }
  }
}

TEST_CASE("codec: a Value member holds whatever the attribute is") {
  const test::CPython py = test::cpython_one("pjcodec.state.Window([1, 'two'], 4, 't')");
  const app::AnyWindow any = from_value<app::AnyWindow>(*py.loaded[4]);
  CHECK(any.width == Value::list({1, "two"}));
  CHECK(test::from_value_error<app::Window>(*py.loaded[4]) == ".width: expected int, got list");
}

TEST_CASE("codec: hand-written free functions and codec<T> specializations") {
  const auto py = test::cpython({"[(1.5, 2.0), (0.0, -1.0)]", "{'red': (255, 0, 0)}", "(1, 2, 300)",
                                 "{'id': 5}", "{'name': 5}"});
  test::check_like_cpython(std::vector<geo::Point>{{1.5, 2.0}, {0, -1}}, py[0], 0);
  test::check_like_cpython(std::map<std::string, vendor::Rgb>{{"red", {255, 0, 0}}}, py[1], 0);
  CHECK(to_value(std::vector<geo::Label>{{"a"}}) == Value::list({"a"}));
  CHECK(test::from_value_error<std::vector<vendor::Rgb>>(Value::list({*py[2].loaded[2]})) ==
        "[0][2]: int 300 out of range [0, 255]");
  SUBCASE("Value's own errors inside a codec get the path") {
    CHECK(from_value<geo::Keyed>(*py[3].loaded[2]).id == 5);
    CHECK(test::from_value_error<std::vector<geo::Keyed>>(Value::list({*py[4].loaded[2]})) ==
          "[0]: dict key 'id' not found");
    CHECK(test::from_value_error<std::vector<geo::Keyed>>(Value::list({Value(1)})) ==
          std::string("[0]: ") + [] {
            try {
              (void)Value(1)[Value("id")];
            } catch (const picklejar::TypeError& e) {
              return std::string(e.what());
            }
            return std::string();
          }());
  }
  SUBCASE("other exceptions pass through untouched") {
    CHECK_THROWS_WITH_AS(from_value<std::vector<geo::Fussy>>(Value::list({1})), "disk on fire",
                         std::runtime_error);
  }
}
