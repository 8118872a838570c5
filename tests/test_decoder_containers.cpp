// Decoder: containers, the stack (MARK, POP, POP_MARK, DUP), the memo, PROTO and FRAME.
// Expected values come from CPython loading the same bytes (decoder_support.hpp).

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "decoder_support.hpp"
#include "python.hpp"

using namespace picklejar::test::literals;
using picklejar::DecodeErrc;
using picklejar::Value;
namespace test = picklejar::test;

// Pickles are written as Python bytes literals: R"(K\x01.)"_py is b'K\x01.'.

TEST_CASE("decoder: containers CPython writes at every protocol") {
  const auto dumps = test::python_dumps(R"([
      [], [1, 2, 3], list(range(2500)), (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4),
      {}, {'a': 1}, {i: str(i) for i in range(1001)}, {(1, 2): [3], 'k': {'n': None}},
      set(), {1, 2, 3}, set(range(1000)), {'x', 'yy', 'zzz'}, frozenset(), frozenset(range(5)),
      [[[]]], ((),), [(1, [2, (3, {4: 5})])],
      (lambda a: [a, a, (a, a)])([1]),
      (lambda l: (l.append(l), l)[1])([]),
      (lambda d: (d.update(me=d), d)[1])({}),
  ])");
  for (const auto& d : dumps) {
    INFO("protocol " << d.protocol << ": " << d.repr);
    CHECK(picklejar::loads(d.pickle).repr() == d.repr);
  }
}

TEST_CASE("decoder: container opcodes") {
  test::check_like_cpython({
      R"(].)"_py,
      R"().)"_py,
      R"(}.)"_py,
      R"(\x80\x04\x8f.)"_py,
      R"((l.)"_py,
      R"((t.)"_py,
      R"((d.)"_py,
      R"((\x91.)"_py,
      R"((K\x01K\x02K\x03l.)"_py,
      R"((K\x01K\x02K\x03t.)"_py,
      R"(N\x85.)"_py,
      R"(NN\x86.)"_py,
      R"(NNN\x87.)"_py,
      R"(]K\x01aK\x02a.)"_py,
      R"((lK\x01a.)"_py,
      R"(](e.)"_py,
      R"(](K\x01e(K\x02K\x03e.)"_py,
      R"(}K\x01K\x02sK\x03K\x04s.)"_py,
      R"(}(u.)"_py,
      R"((dK\x01K\x02s.)"_py,
      R"(\x80\x04\x8f(\x90(K\x01K\x01K\x02\x90.)"_py,
      R"((K\x01K\x01K\x02\x91.)"_py,
      // Python key equality: 1 == True == 1.0, the first key is kept and the last value wins
      R"(}(K\x01X\x01\x00\x00\x00a\x88X\x01\x00\x00\x00bG?\xf0\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00cu.)"_py,
      R"(}(G?\xf0\x00\x00\x00\x00\x00\x00K\x01K\x01K\x02u.)"_py,
      R"((\x89K\x00G\x00\x00\x00\x00\x00\x00\x00\x00K\x01\x91.)"_py,
      R"((K\x01K\x02\x8a\x01\x01K\x03\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00K\x04d.)"_py,
      // two NaN objects are two keys
      R"(}(G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x01G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x02u.)"_py,
      // str and bytes keys never equal each other
      R"(}(X\x01\x00\x00\x00aK\x01C\x01aK\x02u.)"_py,
      // tuple keys, hashable all the way down
      R"(}(K\x01K\x02\x86K\x03\x85\x86K\x01u.)"_py,
  });
}

TEST_CASE("decoder: unhashable keys and members are refused") {
  const std::vector<std::string> pickles = {
      R"(}(]K\x01u.)"_py,                                     // list key
      R"(}}K\x01s.)"_py,                                      // dict key
      R"(}(]\x85K\x01u.)"_py,                                 // tuple containing a list
      R"((]\x91.)"_py,                                        // frozenset member
      R"(\x80\x04\x8f(\x8f\x90.)"_py,                         // set member
      R"(((}K\x01d.)"_py,                                     // DICT
      R"(}(\x96\x00\x00\x00\x00\x00\x00\x00\x00K\x01u.)"_py,  // bytearray key
  };
  test::check_like_cpython(pickles);
  for (const auto& p : pickles) {
    INFO(test::hex(p));
    CHECK(test::decode_errc(p) == DecodeErrc::unhashable);
  }
}

TEST_CASE("decoder: MARK, POP, POP_MARK and DUP") {
  test::check_like_cpython({
      R"(K\x01K\x020.)"_py,
      R"(K\x01(0K\x02\x86.)"_py,  // POP of a MARK pops the MARK, as CPython does
      R"((0N.)"_py, R"(((00N.)"_py, R"(K\x01(K\x02K\x031.)"_py, R"(K\x01(1.)"_py,
      R"(K\x01((1K\x021\x85.)"_py, R"(K\x012\x86.)"_py, R"(]2K\x01a\x86.)"_py,
      R"(K\x01K\x02.)"_py,  // values left under the result are ignored
  });
  SUBCASE("DUP pushes the same node again") {
    const Value v = picklejar::loads(R"(]2\x86.)"_py);
    CHECK(v[0].is(v[1]));
  }
}

TEST_CASE("decoder: the memo") {
  test::check_like_cpython(
      {
          R"(]p0\ng0\n\x86.)"_py,
          R"(]q\x00h\x00\x86.)"_py,
          R"(]r\x00\x00\x00\x00j\x00\x00\x00\x00\x86.)"_py,
          R"(\x80\x04]\x94h\x00\x86.)"_py,
          R"(K\x07q\x01K\x08\x94h\x01.)"_py,  // MEMOIZE stores at len(memo): aliases BINPUT 1
          R"(K\x01q\x05\x94h\x01.)"_py,
          R"(K\x01q\x00K\x02q\x00h\x00.)"_py,  // PUT overwrites
          R"(K\x01p7\nK\x02r\x07\x00\x00\x00g7\n.)"_py,
          R"(Np00\ng0\n.)"_py,
          R"(]q\x00h\x00a.)"_py,  // cycles
          R"(\x80\x04]\x94(h\x00h\x00e.)"_py,
          R"(}q\x00X\x02\x00\x00\x00meh\x00s.)"_py,
          R"(](]q\x01h\x01\x86q\x02h\x02e.)"_py,
          // CPython refuses these too
          R"(h\x00.)"_py,
          R"(Nq\x00h\x01.)"_py,
          R"(j\x00\x00\x00\x01.)"_py,
          R"(g0\n.)"_py,
          R"(Np-1\n.)"_py,
          R"(Ng-1\n.)"_py,
          R"(Np\n.)"_py,
          R"(Npx\n.)"_py,
      },
      {}, "",
      // CPython reads PUT/GET text with int(), which allows blanks, a sign and underscores
      {R"(Np 1\ng1\n.)"_py, R"(Np+1\ng1\n.)"_py, R"(Np1_0\ng10\n.)"_py, R"(Np0\ng 0\n.)"_py});
  SUBCASE("GET returns the same node") {
    for (const auto& p :
         {R"(]p0\ng0\n\x86.)"_py, R"(]q\x00h\x00\x86.)"_py,
          R"(]r\x00\x00\x00\x00j\x00\x00\x00\x00\x86.)"_py, R"(\x80\x04]\x94h\x00\x86.)"_py}) {
      const Value v = picklejar::loads(p);
      CHECK(v[0].is(v[1]));
    }
  }
  SUBCASE("a missing index names itself") {
    const auto e = test::decode_error(R"(K\x01q\x00h\x05.)"_py);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::memo_missing);
    CHECK(e->position()->offset == 4);
    CHECK(e->position()->opcode == 'h');
    CHECK(e->reason() == "Memo value not found at index 5");
  }
}

TEST_CASE("decoder: PROTO anywhere and repeated") {
  test::check_like_cpython({
      R"(\x80\x02\x80\x04K\x01\x80\x03.)"_py,
      R"(K\x01\x80\x05.)"_py,
      R"(\x80\x00N.)"_py,
      R"((\x80\x02K\x01\x80\x05t.)"_py,
      // the last PROTO decides whether Python 2 names are mapped
      R"(\x80\x03\x80\x02c__builtin__\nxrange\n.)"_py,
      // CPython refuses these too
      R"(\x80\x06N.)"_py,
      R"(N\x80\xff.)"_py,
      R"(\x80)"_py,
  });
  SUBCASE("a later PROTO 3 turns the mapping off") {
    const Value v = picklejar::loads(R"(\x80\x02\x80\x03c__builtin__\nxrange\n.)"_py);
    CHECK(v.global_module() == "__builtin__");
    CHECK(v.global_name() == "xrange");
  }
}

TEST_CASE(
    "decoder: FRAME is optional; a pickle whose framing two CPython readers read apart is "
    "refused") {
  // Used up exactly (the next read goes on unframed), empty, or absent: every reader agrees.
  const std::vector<std::string> fine = {
      R"(\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00I42\n.)"_py,
      R"(\x95\x00\x00\x00\x00\x00\x00\x00\x00N.)"_py,
      R"(\x95\x02\x00\x00\x00\x00\x00\x00\x00N.)"_py,
      R"(\x95\x01\x00\x00\x00\x00\x00\x00\x00N\x95\x01\x00\x00\x00\x00\x00\x00\x00.)"_py,
      R"(\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00\x8c\x02hi.)"_py,  // argument unframed
      R"(\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00\x8c\x02hi.)"_py,  // payload unframed
  };
  // CPython's C pickle.loads reads straight through these; Python's framed reader (and C's
  // pickle.load from a file) stops: a read crossing a frame's end, a FRAME inside an
  // unfinished one. Hand-made variants of the framing tricks used against scanners.
  const std::vector<std::string> read_apart = {
      R"(\x95\x02\x00\x00\x00\x00\x00\x00\x00I42\n.)"_py,  // a line runs past the frame
      R"(\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8c\x05hello\x94.)"_py,    // a payload
      R"(\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00NX\x01\x00\x00\x00a.)"_py,  // a length
      R"(\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00cos\nsystem\n.)"_py,        // GLOBAL's name
      R"(\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00\x00\x00N.)"_py,
      R"(\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00\x00\x00N.)"_py,
      R"(\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00N0\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01.)"_py,
  };
  const std::string pure_python = "def load(p): return pickle._loads(p)";
  SUBCASE("frames used up exactly load as both CPython readers load them") {
    test::check_like_cpython(fine);
    test::check_like_cpython(fine, {}, pure_python);
  }
  SUBCASE("a read crossing a frame's end, or a FRAME in an unfinished frame, is bad_frame") {
    test::check_like_cpython(read_apart, {}, "", read_apart, DecodeErrc::bad_frame);
    test::check_like_cpython(read_apart, {}, pure_python);  // every one refused there too
    for (const std::string& p : read_apart) {
      const auto e = test::decode_error(p);
      REQUIRE(e.has_value());
      REQUIRE(e->position().has_value());
      CHECK(e->reason().find("frame") != std::string::npos);
    }
    // The error names the offset and opcode of the read that crossed.
    const auto e = test::decode_error(read_apart[1]);
    CHECK(e->position()->offset == 11);
    CHECK(e->position()->opcode == 0x8c);
  }
  SUBCASE("a frame longer than the input is refused, as C refuses it") {
    test::check_like_cpython({R"(\x95\x05\x00\x00\x00\x00\x00\x00\x00N.)"_py,
                              R"(\x95\x03\x00\x00\x00\x00\x00\x00\x00I4)"_py});
  }
  SUBCASE("pickles with their FRAMEs stripped load the same (CPython's test_optional_frames)") {
    const std::string out = test::run_python(R"(
import pickle, pickletools
value = [str(i) * 20 for i in range(10000)] + [b'x' * 70000, 'y' * 70000]
data = pickle.dumps(value, 4)
frames = [pos for op, arg, pos in pickletools.genops(data) if op.name == 'FRAME']
assert len(frames) > 2
stripped = bytearray(data)
for pos in reversed(frames):
    del stripped[pos:pos + 9]
print(data.hex())
print(bytes(stripped).hex())
)");
    const auto newline = out.find('\n');
    const std::string framed = test::unhex(out.substr(0, newline));
    const std::string stripped = test::unhex(out.substr(newline + 1));
    REQUIRE(stripped.size() < framed.size());
    const Value a = picklejar::loads(framed);
    const Value b = picklejar::loads(stripped);
    CHECK(a.size() == 10002);
    CHECK(a == b);
  }
}
