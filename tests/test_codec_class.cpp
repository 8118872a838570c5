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

namespace wide {
// The most members PICKLEJAR_CLASS takes (its fixed-arity expansion stops at 128).
struct Wide {
  int m1 = 0;
  int m2 = 0;
  int m3 = 0;
  int m4 = 0;
  int m5 = 0;
  int m6 = 0;
  int m7 = 0;
  int m8 = 0;
  int m9 = 0;
  int m10 = 0;
  int m11 = 0;
  int m12 = 0;
  int m13 = 0;
  int m14 = 0;
  int m15 = 0;
  int m16 = 0;
  int m17 = 0;
  int m18 = 0;
  int m19 = 0;
  int m20 = 0;
  int m21 = 0;
  int m22 = 0;
  int m23 = 0;
  int m24 = 0;
  int m25 = 0;
  int m26 = 0;
  int m27 = 0;
  int m28 = 0;
  int m29 = 0;
  int m30 = 0;
  int m31 = 0;
  int m32 = 0;
  int m33 = 0;
  int m34 = 0;
  int m35 = 0;
  int m36 = 0;
  int m37 = 0;
  int m38 = 0;
  int m39 = 0;
  int m40 = 0;
  int m41 = 0;
  int m42 = 0;
  int m43 = 0;
  int m44 = 0;
  int m45 = 0;
  int m46 = 0;
  int m47 = 0;
  int m48 = 0;
  int m49 = 0;
  int m50 = 0;
  int m51 = 0;
  int m52 = 0;
  int m53 = 0;
  int m54 = 0;
  int m55 = 0;
  int m56 = 0;
  int m57 = 0;
  int m58 = 0;
  int m59 = 0;
  int m60 = 0;
  int m61 = 0;
  int m62 = 0;
  int m63 = 0;
  int m64 = 0;
  int m65 = 0;
  int m66 = 0;
  int m67 = 0;
  int m68 = 0;
  int m69 = 0;
  int m70 = 0;
  int m71 = 0;
  int m72 = 0;
  int m73 = 0;
  int m74 = 0;
  int m75 = 0;
  int m76 = 0;
  int m77 = 0;
  int m78 = 0;
  int m79 = 0;
  int m80 = 0;
  int m81 = 0;
  int m82 = 0;
  int m83 = 0;
  int m84 = 0;
  int m85 = 0;
  int m86 = 0;
  int m87 = 0;
  int m88 = 0;
  int m89 = 0;
  int m90 = 0;
  int m91 = 0;
  int m92 = 0;
  int m93 = 0;
  int m94 = 0;
  int m95 = 0;
  int m96 = 0;
  int m97 = 0;
  int m98 = 0;
  int m99 = 0;
  int m100 = 0;
  int m101 = 0;
  int m102 = 0;
  int m103 = 0;
  int m104 = 0;
  int m105 = 0;
  int m106 = 0;
  int m107 = 0;
  int m108 = 0;
  int m109 = 0;
  int m110 = 0;
  int m111 = 0;
  int m112 = 0;
  int m113 = 0;
  int m114 = 0;
  int m115 = 0;
  int m116 = 0;
  int m117 = 0;
  int m118 = 0;
  int m119 = 0;
  int m120 = 0;
  int m121 = 0;
  int m122 = 0;
  int m123 = 0;
  int m124 = 0;
  int m125 = 0;
  int m126 = 0;
  int m127 = 0;
  int m128 = 0;
};
PICKLEJAR_CLASS(Wide, "wide", "Wide", m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14,
                m15, m16, m17, m18, m19, m20, m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31,
                m32, m33, m34, m35, m36, m37, m38, m39, m40, m41, m42, m43, m44, m45, m46, m47, m48,
                m49, m50, m51, m52, m53, m54, m55, m56, m57, m58, m59, m60, m61, m62, m63, m64, m65,
                m66, m67, m68, m69, m70, m71, m72, m73, m74, m75, m76, m77, m78, m79, m80, m81, m82,
                m83, m84, m85, m86, m87, m88, m89, m90, m91, m92, m93, m94, m95, m96, m97, m98, m99,
                m100, m101, m102, m103, m104, m105, m106, m107, m108, m109, m110, m111, m112, m113,
                m114, m115, m116, m117, m118, m119, m120, m121, m122, m123, m124, m125, m126, m127,
                m128);

// A derived struct is written and read through its base's mapping, as before the mapping's
// functions became templates.
struct Derived : Wide {
  int extra = 7;
};
}  // namespace wide

TEST_CASE("codec: PICKLEJAR_CLASS maps 128 members, and a derived struct through its base") {
  wide::Wide w;
  w.m1 = 1;
  w.m64 = 64;
  w.m128 = 128;
  const Value v = to_value(w);
  CHECK(v.object_form() == ObjectForm::newobj);
  const auto back = from_value<wide::Wide>(v);
  CHECK(back.m1 == 1);
  CHECK(back.m64 == 64);
  CHECK(back.m128 == 128);
  CHECK(back.m2 == 0);
  wide::Derived d;
  d.m128 = 5;
  CHECK(picklejar::dumps(to_value(d)) ==
        picklejar::dumps(to_value(static_cast<const wide::Wide&>(d))));
  d = from_value<wide::Derived>(v);
  CHECK(d.m128 == 128);
  CHECK(d.extra == 7);
}
