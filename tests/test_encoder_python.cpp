// Python loads our encoding of C++-built values and gets the expected objects, at protocols
// 0-5: python3 compares pickle.loads(dumps(v, N)) with a Python expression, type-strictly and
// with the same sharing (tests/gen/pjencode.py same()), and checks identities where the
// value shares nodes or contains itself.

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/pickle.hpp>

#include "encoder_support.hpp"

using picklejar::Value;
using namespace std::string_literals;
namespace test = picklejar::test;

namespace enc {

struct Window {
  int width = 800;
  int height = 600;
  std::string title;
};
PICKLEJAR_CLASS(Window, "pjcodec.state", "Window", width, height, title);

struct Session {
  Window window;
  std::vector<std::filesystem::path> recent;
  std::map<std::string, std::variant<bool, std::int64_t, double, std::string>> prefs;
  std::optional<std::chrono::sys_time<std::chrono::microseconds>> saved_at;
};
PICKLEJAR_CLASS(Session, "pjcodec.state", "Session", window, recent, prefs, saved_at);

struct Empty {};
PICKLEJAR_CLASS(Empty, "pjcodec.state", "Empty");

struct Inner {
  int v = 0;
};
PICKLEJAR_CLASS(Inner, "pjcodec.state", "Outer.Inner", v);

}  // namespace enc

namespace {

struct Case {
  std::string name;
  Value value;
  std::string expected;  // a Python expression
  std::string also = "True";
};

// Every case at every protocol, in one python3 run.
void check_python_loads(const std::vector<Case>& cases) {
  std::vector<test::LoadsCheck> checks;
  for (const auto& c : cases) {
    for (int protocol = 0; protocol <= 5; ++protocol) {
      checks.push_back({test::dumps_at(c.value, protocol), c.expected, c.also, {}});
    }
  }
  const std::vector<std::string> results = test::python_loads(checks);
  std::size_t next = 0;
  for (const auto& c : cases) {
    for (int protocol = 0; protocol <= 5; ++protocol) {
      INFO(c.name, " at protocol ", protocol, ": ", c.value);
      CHECK(results[next++] == "ok");
    }
  }
}

Value big(const char* decimal) { return Value::integer_from_decimal(decimal); }

std::string zeros(int n) { return std::string(static_cast<std::size_t>(n), '0'); }

}  // namespace

TEST_CASE("encoder to Python: ints of every width, and big ints") {
  const std::string ten_400 = "1" + zeros(400);
  check_python_loads({
      {"small", Value::list({0, 1, -1, 255, 256, 65535, 65536, -256, -65537}),
       "[0, 1, -1, 255, 256, 65535, 65536, -256, -65537]"},
      {"32-bit edges",
       Value::list(
           {INT32_MAX, INT32_MIN, std::int64_t{INT32_MAX} + 1, std::int64_t{INT32_MIN} - 1}),
       "[2**31 - 1, -2**31, 2**31, -2**31 - 1]"},
      {"64-bit edges", Value::list({INT64_MAX, INT64_MIN, UINT64_MAX}),
       "[2**63 - 1, -2**63, 2**64 - 1]"},
      {"+-2**64", Value::list({big("18446744073709551616"), big("-18446744073709551616")}),
       "[2**64, -2**64]"},
      {"10**400", Value::tuple({big(ten_400.c_str()), big(("-" + ten_400).c_str())}),
       "(10**400, -10**400)"},
      {"2**2048 (LONG4 from 256 bytes)", big(("3" + zeros(616)).c_str()), "3 * 10**616"},
      {"bool is not int", Value::list({true, false, 1, 0}), "[True, False, 1, 0]"},
  });
}

TEST_CASE("encoder to Python: floats, including nan, infinities and -0.0") {
  const double inf = std::numeric_limits<double>::infinity();
  check_python_loads({
      {"specials", Value::list({std::numeric_limits<double>::quiet_NaN(), inf, -inf, -0.0, 0.0}),
       "[float('nan'), float('inf'), float('-inf'), -0.0, 0.0]", "math.isnan(obj[0])"},
      {"repr round trip", Value::list({0.1, 1e308, 5e-324, -2.5, 1.0 / 3.0, 1e16, 123456789.0}),
       "[0.1, 1e308, 5e-324, -2.5, 1/3, 1e16, 123456789.0]"},
      {"1.0 is a float", Value::tuple({1.0, 1}), "(1.0, 1)"},
  });
}

TEST_CASE("encoder to Python: str with non-BMP characters, lone surrogates and escapes") {
  check_python_loads({
      {"empty", Value(""), "''"},
      {"latin-1 and BMP", Value("caf\xc3\xa9 \xe2\x82\xac \xe6\x97\xa5"), R"('café € 日')"},
      {"non-BMP", Value("\xf0\x9f\x90\x8d snake \xf0\x9f\x98\x80"), R"('\U0001f40d snake 😀')"},
      {"lone surrogates",
       Value::list({Value("\xed\xa0\x80"),
                    Value("a\xed\xbf\xbf"
                          "b"),
                    Value("\xed\xa0\xbd")}),
       R"(['\ud800', 'a\udfffb', '\ud83d'])"},
      {"protocol 0 escapes",
       Value("back\\slash\nnl\rcr\x1a"
             "sub\0nul"s),
       R"('back\\slash\nnl\rcr\x1asub\x00nul')"},
      {"long (BINUNICODE)", Value(std::string(300, 'x')), "'x' * 300"},
      {"past a frame (64 KiB)", Value(std::string(70'000, 'y')), "'y' * 70000"},
  });
}

TEST_CASE("encoder to Python: bytes and bytearray at each protocol") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  check_python_loads({
      {"empty bytes", Value::bytes(std::string_view()), "b''"},
      {"all byte values", Value::bytes(all), "bytes(range(256))"},
      {"short",
       Value::bytes("\x00\xff\x80"
                    "abc"s),
       R"(b'\x00\xff\x80abc')"},
      {"long bytes", Value::bytes(std::string(70'000, 'z')), "b'z' * 70000"},
      {"empty bytearray", Value::bytearray(std::string_view()), "bytearray()"},
      {"bytearray", Value::bytearray(all), "bytearray(range(256))"},
      {"long bytearray", Value::bytearray(std::string(70'000, 'q')), "bytearray(b'q' * 70000)"},
      {"bytes and bytearray side by side",
       Value::list({Value::bytes("ab"), Value::bytearray("ab"), Value::bytes("ab")}),
       "[b'ab', bytearray(b'ab'), b'ab']"},
  });
}

TEST_CASE("encoder to Python: sets and frozensets (reduce forms below protocol 4)") {
  std::vector<Value> many;
  for (int i = 0; i < 1500; ++i) many.emplace_back(i * 7);
  check_python_loads({
      {"empty set", Value::set(), "set()"},
      {"empty frozenset", Value::frozenset(), "frozenset()"},
      {"set", Value::set({1, 2, 3}), "{1, 2, 3}"},
      {"mixed frozenset", Value::frozenset({Value("a"), Value::tuple({1, 2}), Value::bytes("b")}),
       "frozenset({'a', (1, 2), b'b'})"},
      {"set of frozensets", Value::set({Value::frozenset({1}), Value::frozenset()}),
       "{frozenset({1}), frozenset()}"},
      {"large set", Value::set(many), "set(range(0, 1500 * 7, 7))"},
      {"set in a list", Value::list({Value::set({Value("x")}), Value::frozenset({Value("x")})}),
       "[{'x'}, frozenset({'x'})]"},
  });
}

TEST_CASE("encoder to Python: tuples, nested containers and dicts with non-str keys") {
  check_python_loads({
      {"tuples of 0-4", Value::list({Value::tuple(), Value::tuple({1}), Value::tuple({1, 2}),
                                     Value::tuple({1, 2, 3}), Value::tuple({1, 2, 3, 4})}),
       "[(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]"},
      {"nested tuples", Value::tuple({Value::tuple(), Value::tuple({Value::tuple()})}),
       "((), ((),))"},
      {"nested containers",
       Value::dict({{"a", Value::list({1, 2.5, Value::tuple(), Value::dict()})},
                    {"b", Value::dict({{"c", Value::list({Value::list({Value::list()})})}})},
                    {"d", Value::tuple({Value::list(), Value::set({Value::tuple({1})})})}}),
       "{'a': [1, 2.5, (), {}], 'b': {'c': [[[]]]}, 'd': ([], {(1,)})}"},
      {"non-str keys",
       Value::dict({{1, "int"},
                    {2.5, "float"},
                    {Value::tuple({1, "x"}), "tuple"},
                    {Value(), "None"},
                    {Value::bytes("k"), "bytes"},
                    {Value::frozenset({3}), "frozenset"},
                    {big("-1000000000000000000000000000000"), "big"},
                    {false, "False"}}),
       "{1: 'int', 2.5: 'float', (1, 'x'): 'tuple', None: 'None', b'k': 'bytes', "
       "frozenset({3}): 'frozenset', -10**30: 'big', False: 'False'}"},
      {"deep list", [] {
         Value v = Value::list();
         for (int i = 0; i < 200; ++i) v = Value::list({i, v});
         return v;
       }(),
       "(lambda f: f(f, 200))(lambda f, n: [n - 1, f(f, n - 1)] if n else [])"},
  });
}

TEST_CASE("encoder to Python: shared references and cycles come back shared") {
  const Value shared_list = Value::list({1});
  const Value shared_str = Value("shared");
  const Value shared_bytes = Value::bytes("bb");
  const Value shared_tuple = Value::tuple({1, Value::list()});
  Value self_list = Value::list({1});
  self_list.append(self_list);
  Value self_dict = Value::dict({{"x", 1}});
  self_dict.set("me", self_dict);
  Value loop_list = Value::list();
  const Value loop_tuple = Value::tuple({loop_list, 2});
  loop_list.append(loop_tuple);
  const Value frozen_holder = Value::frozenset({Value::tuple({1})});
  check_python_loads({
      {"one list twice", Value::list({shared_list, shared_list}), "(lambda l: [l, l])([1])",
       "obj[0] is obj[1]"},
      {"one str twice", Value::list({shared_str, shared_str}), "['shared', 'shared']",
       "obj[0] is obj[1]"},
      {"one bytes twice", Value::list({shared_bytes, shared_bytes}), "[b'bb', b'bb']",
       "obj[0] is obj[1]"},
      {"one tuple twice", Value::list({shared_tuple, shared_tuple}), "(lambda t: [t, t])((1, []))",
       "obj[0] is obj[1] and obj[0][1] is obj[1][1]"},
      {"a list containing itself", self_list, "(lambda l: (l.append(l), l)[1])([1])",
       "obj[1] is obj"},
      {"a dict containing itself", self_dict, "(lambda d: (d.update(me=d), d)[1])({'x': 1})",
       "obj['me'] is obj"},
      {"a tuple reaching itself through a list", loop_tuple,
       "(lambda l: (l.append((l, 2)), l[0])[1])([])", "obj[0][0] is obj"},
      {"the same dict as key holder and value", Value::dict({{"a", self_dict}, {"b", self_dict}}),
       "(lambda d: {'a': d, 'b': d})((lambda d: (d.update(me=d), d)[1])({'x': 1}))",
       "obj['a'] is obj['b'] is obj['a']['me']"},
      {"a frozenset twice", Value::list({frozen_holder, frozen_holder}),
       "(lambda f: [f, f])(frozenset({(1,)}))", "obj[0] is obj[1]"},
  });
}

TEST_CASE("encoder to Python: PICKLEJAR_CLASS structs arrive as instances of the class") {
  using namespace std::chrono;
  enc::Session session;
  session.window = {1024, 768, "main \xe2\x9c\x93"};
  session.recent = {"/home/me/a.txt", "/tmp/b c.md"};
  session.prefs = {
      {"dark", true}, {"font", std::string("Mono")}, {"size", std::int64_t{12}}, {"zoom", 1.5}};
  session.saved_at =
      sys_days(year{2024} / 1 / 2) + hours{3} + minutes{4} + seconds{5} + microseconds{6};
  enc::Session bare;
  check_python_loads({
      {"Window", picklejar::to_value(enc::Window{1, 2, "t"}), "pjcodec.state.Window(1, 2, 't')",
       "type(obj) is pjcodec.state.Window and vars(obj) == {'width': 1, 'height': 2, "
       "'title': 't'}"},
      {"Session", picklejar::to_value(session),
       "pjcodec.state.Session(pjcodec.state.Window(1024, 768, 'main ✓'), "
       "['/home/me/a.txt', '/tmp/b c.md'], {'dark': True, 'font': 'Mono', 'size': 12, "
       "'zoom': 1.5}, datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC))",
       "type(obj.window) is pjcodec.state.Window and obj.saved_at.tzinfo is UTC"},
      {"Session with defaults", picklejar::to_value(bare),
       "pjcodec.state.Session(pjcodec.state.Window(800, 600, ''), [], {}, None)"},
      {"Empty (no BUILD)", picklejar::to_value(enc::Empty{}), "pjcodec.state.Empty()",
       "vars(obj) == {}"},
      {"nested class", picklejar::to_value(enc::Inner{5}), "pjcodec.state.Outer.Inner(5)",
       "type(obj) is pjcodec.state.Outer.Inner"},
      {"two instances in a list",
       picklejar::to_value(std::vector<enc::Window>{{1, 1, "a"}, {2, 2, "b"}}),
       "[pjcodec.state.Window(1, 1, 'a'), pjcodec.state.Window(2, 2, 'b')]"},
  });
}

TEST_CASE("encoder to Python: std::chrono values arrive as datetime objects") {
  using namespace std::chrono;
  const auto utc = sys_days(year{1999} / 12 / 31) + hours{23} + minutes{59} + seconds{59} +
                   microseconds{999'999};
  const auto wall = local_days(year{2024} / 2 / 29) + hours{12};
  check_python_loads({
      {"aware UTC datetime", picklejar::to_value(utc),
       "datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)"},
      {"epoch", picklejar::to_value(sys_time<seconds>{}),
       "datetime.datetime(1970, 1, 1, tzinfo=UTC)"},
      {"before the epoch", picklejar::to_value(sys_days(year{1900} / 3 / 1)),
       "datetime.datetime(1900, 3, 1, tzinfo=UTC)"},
      {"naive datetime", picklejar::to_value(local_time<microseconds>(wall)),
       "datetime.datetime(2024, 2, 29, 12, 0)", "obj.tzinfo is None"},
      {"timedelta", picklejar::to_value(-(hours{25} + microseconds{1})),
       "datetime.timedelta(hours=-25, microseconds=-1)"},
      {"date", picklejar::to_value(year{2024} / 2 / 29), "datetime.date(2024, 2, 29)"},
      {"list of datetimes",
       picklejar::to_value(
           std::vector<sys_time<seconds>>{sys_time<seconds>{seconds{86400}}, sys_time<seconds>{}}),
       "[datetime.datetime(1970, 1, 2, tzinfo=UTC), datetime.datetime(1970, 1, 1, tzinfo=UTC)]"},
  });
}

TEST_CASE("encoder to Python: dict and list subclasses below protocol 2, as copyreg writes them") {
  // CPython writes such an instance as NEWOBJ + SETITEMS/APPENDS at protocols 2-5. Below 2,
  // copyreg._reduce_ex writes _reconstructor(cls, dict, {...}) (or list, [...]); writing
  // _reconstructor(cls, object, None) + items instead (as picklejar did) makes pickle.loads
  // fail with "object.__new__(Registry) is not safe".
  const std::vector<std::string> objects = {
      "pjcodec.state.Registry(a=1, b=[2])",
      "(lambda r: (setattr(r, 'note', 'attr'), r)[1])(pjcodec.state.Registry({1: 'x'}))",
      "pjcodec.state.Tags([1, 'two', None])",
      "(lambda t: [t, {'k': t}])(pjcodec.state.Tags([1]))",
  };
  std::vector<std::string> programs;
  for (const auto& o : objects) programs.push_back("obj = " + o);
  const std::vector<test::CPythonBytes> cpython = test::cpython_bytes(programs);
  std::vector<test::LoadsCheck> checks;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    for (int from = 2; from <= 5; ++from) {
      const Value v = picklejar::loads(*cpython[i].c[static_cast<std::size_t>(from)]);
      for (int to = 0; to <= 1; ++to) {
        INFO(objects[i], ": protocol ", from, " written at ", to);
        const std::string ours = test::dumps_at(v, to);
        CHECK(test::first_difference(ours, *cpython[i].c[static_cast<std::size_t>(to)]) == "");
        checks.push_back({ours, objects[i], "True", {}});
      }
    }
  }
  for (const std::string& result : test::python_loads(checks)) CHECK(result == "ok");
}
