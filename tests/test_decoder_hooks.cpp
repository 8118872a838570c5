// Decoder: what the caller supplies or allows -- EXT codes through an ExtensionRegistry,
// persistent ids through persistent_load, out-of-band buffers, and GlobalPolicy::allowlist.

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "decoder_support.hpp"

using namespace picklejar::test::literals;
using picklejar::Buffer;
using picklejar::DecodeErrc;
using picklejar::DecodeOptions;
using picklejar::ExtensionRegistry;
using picklejar::ForbiddenError;
using picklejar::GlobalPolicy;
using picklejar::Value;
namespace test = picklejar::test;

// Pickles are written as Python bytes literals: R"(K\x01.)"_py is b'K\x01.'.

namespace {
// A list of `n` empty lists: a value whose heap holds n + 1 nodes.
Value big_value(int n) {
  Value v = Value::list();
  for (int i = 0; i < n; ++i) v.append(Value::list());
  return v;
}
}  // namespace

TEST_CASE("decoder: EXT1/EXT2/EXT4 resolve through the caller's registry only") {
  const std::string ext1 = R"(\x82\xf0.)"_py, ext2 = R"(\x83\x34\x12.)"_py,
                    ext4 = R"(\x84\x78\x56\x34\x12.)"_py;
  SUBCASE("refused without a registry") {
    for (const auto& p : {ext1, ext2, ext4}) {
      const auto e = test::decode_error<ForbiddenError>(p);
      REQUIRE(e);
      CHECK(e->position()->offset == 0);
      CHECK(e->position()->opcode == static_cast<unsigned char>(p[0]));
    }
  }
  ExtensionRegistry registry;
  registry.add(240, "builtins", "range");
  registry.add(0x1234, "__builtin__", "xrange");  // a Python 2 name: mapped at protocol < 3
  registry.add(0x12345678, "collections", "OrderedDict");
  DecodeOptions options;
  options.extensions = &registry;
  SUBCASE("registered codes become their globals, as copyreg's do in CPython") {
    test::check_like_cpython({ext1, ext2, ext4, R"(\x80\x03\x82\xf0.)"_py}, options, R"(
import copyreg
copyreg.add_extension('builtins', 'range', 240)
copyreg.add_extension('__builtin__', 'xrange', 0x1234)
copyreg.add_extension('collections', 'OrderedDict', 0x12345678)
)");
    CHECK(picklejar::loads(R"(\x80\x03\x83\x34\x12.)"_py, options).global_module() ==
          "__builtin__");
  }
  SUBCASE("codes <= 0 and unregistered codes are errors, as in CPython") {
    const std::vector<std::string> bad = {R"(\x82\x00.)"_py, R"(\x84\xff\xff\xff\xff.)"_py,
                                          R"(\x84\x00\x00\x00\x80.)"_py, R"(\x82\x05.)"_py,
                                          R"(\x84\x01\x00\x00\x00.)"_py};
    test::check_like_cpython(bad, options);
    for (const auto& p : bad) CHECK(test::decode_errc(p, options) == DecodeErrc::bad_argument);
  }
}

TEST_CASE("decoder: PERSID and BINPERSID go through persistent_load") {
  SUBCASE("refused without a hook") {
    for (const auto& p : {R"(Pabc\n.)"_py, R"(K\x01Q.)"_py}) {
      CHECK(test::decode_error<ForbiddenError>(p).has_value());
    }
  }
  DecodeOptions options;
  std::vector<std::string> seen;
  options.persistent_load = [&](const Value& pid) {
    seen.push_back(pid.repr());
    return Value::tuple({"pid", pid});
  };
  SUBCASE("the hook's result takes the id's place") {
    test::check_like_cpython({R"(Pabc\n.)"_py, R"(\x80\x02K\x01K\x02\x86Q.)"_py,
                              R"((Pa\nX\x01\x00\x00\x00bQl.)"_py, R"(P\xc3\xa9\n.)"_py},
                             options, R"(
import io
class Loader(pickle.Unpickler):
    def persistent_load(self, pid):
        return ('pid', pid)
def load(p):
    return Loader(io.BytesIO(p)).load()
)");
    CHECK(test::decode_errc(R"(P\xc3\xa9\n.)"_py, options) == DecodeErrc::bad_text);
  }
  SUBCASE("the hook sees each id once, in order") {
    picklejar::loads(R"((Pa\nX\x01\x00\x00\x00bQK\x07Ql.)"_py, options);
    CHECK(seen == std::vector<std::string>{"'a'", "'b'", "7"});
  }
  SUBCASE("an exception from the hook becomes hook_failed") {
    options.persistent_load = [](const Value&) -> Value { throw std::runtime_error("no such id"); };
    const auto e = test::decode_error(R"(K\x01Pabc\n.)"_py, options);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::hook_failed);
    CHECK(e->position()->offset == 2);
    CHECK(e->position()->opcode == 'P');
    CHECK(std::string(e->what()).find("no such id") != std::string::npos);
    options.persistent_load = [](const Value&) -> Value { throw 42; };
    CHECK(test::decode_errc(R"(K\x01Q.)"_py, options) == DecodeErrc::hook_failed);
  }
  // Putting a decoder node into a bigger value merges the heaps and frees the decoder's; the
  // decoder must carry on in the surviving heap (both crashed before).
  SUBCASE("a hook may keep the id in a value of its own") {
    Value kept = big_value(5000);
    options.persistent_load = [&](const Value& pid) {
      kept.append(pid);
      return Value::tuple({"pid", pid});
    };
    const Value v = picklejar::loads(R"(]q\x00(X\x01\x00\x00\x00aQh\x00h\x00\x86Ql.)"_py, options);
    CHECK(v.repr() == "[('pid', 'a'), ('pid', ([], []))]");
    REQUIRE(kept.size() == 5002);
    CHECK(kept[5001].is(v[1][1]));
  }
  SUBCASE("a hook may keep its earlier results in a value of its own") {
    Value kept = big_value(5000);
    Value last;
    options.persistent_load = [&](const Value& pid) {
      if (!last.is_none()) kept.append(last);  // now a node of the decoder's heap
      last = Value::list({pid});
      return last;
    };
    const Value v = picklejar::loads(R"((K\x01QK\x02QX\x01\x00\x00\x00aQl.)"_py, options);
    CHECK(v.repr() == "[[1], [2], ['a']]");
    REQUIRE(kept.size() == 5002);
    CHECK(kept[5000].is(v[0]));
    CHECK(kept[5001].is(v[1]));
  }
  SUBCASE("a failing hook may also have merged the heaps") {
    Value kept = big_value(5000);
    options.persistent_load = [&](const Value& pid) -> Value {
      kept.append(pid);
      throw std::runtime_error("refused");
    };
    CHECK(test::decode_errc(R"(]X\x01\x00\x00\x00aQ.)"_py, options) == DecodeErrc::hook_failed);
    CHECK(kept[5000].repr() == "'a'");
  }
}

TEST_CASE("decoder: NEXT_BUFFER and READONLY_BUFFER use the caller's buffers without copying") {
  const std::string next = R"(\x80\x05\x97.)"_py, next_readonly = R"(\x80\x05\x97\x98.)"_py;
  auto storage = std::make_shared<std::vector<std::byte>>(4, std::byte{'w'});
  const std::weak_ptr<std::vector<std::byte>> watch = storage;
  std::vector<Buffer> buffers;
  buffers.emplace_back(std::shared_ptr<void>(storage), std::span<std::byte>(*storage));
  buffers.push_back(Buffer::copy_of("read-only"));
  DecodeOptions options;
  options.buffers = buffers;

  SUBCASE("a writable buffer is a bytearray over the caller's memory") {
    Value v = picklejar::loads(next, options);
    CHECK(v.is_bytearray());
    CHECK(v.as_bytes().data() == storage->data());
    v.mutable_bytes()[0] = std::byte{'X'};
    CHECK((*storage)[0] == std::byte{'X'});
    storage.reset();
    buffers.clear();
    CHECK_FALSE(watch.expired());  // the value keeps the owner alive
    CHECK(v.repr() == "bytearray(b'Xwww')");
    v = Value();
    CHECK(watch.expired());
  }
  SUBCASE("READONLY_BUFFER makes it bytes, still over the same memory") {
    const Value v = picklejar::loads(next_readonly, options);
    CHECK(v.is_bytes());
    CHECK(v.as_bytes().data() == storage->data());
  }
  SUBCASE("a read-only buffer is bytes; buffers are consumed in order") {
    const Value v = picklejar::loads(R"(\x80\x05\x97\x97\x86.)"_py, options);
    CHECK(v[0].is_bytearray());
    CHECK(v[1].is_bytes());
    CHECK(v[1].as_bytes().data() == buffers[1].bytes().data());
    CHECK(v.repr() == "(bytearray(b'wwww'), b'read-only')");
  }
  SUBCASE("in-band READONLY_BUFFER, as CPython (a read-only view is bytes)") {
    test::check_like_cpython({R"(\x80\x05\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x98.)"_py,
                              R"(\x80\x05C\x02ab\x98.)"_py, R"(K\x01\x98.)"_py});
    CHECK(test::decode_errc(R"(K\x01\x98.)"_py) == DecodeErrc::wrong_type);
  }
  SUBCASE("refused without buffers; too few buffers is an error") {
    CHECK(test::decode_error<ForbiddenError>(next).has_value());
    const auto e = test::decode_error(R"(\x80\x05\x97\x97\x97.)"_py, options);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::bad_argument);
    CHECK(e->position()->offset == 4);
    CHECK(e->reason() == "not enough out-of-band buffers");
  }
}

TEST_CASE("decoder: GlobalPolicy::allowlist") {
  DecodeOptions options;
  options.globals = GlobalPolicy::allowlist;
  options.allowed_globals = {"pjtestmod.Point", "builtins.range", "pjtestmod.Outer.Inner"};

  SUBCASE("a global outside the list is refused, naming it") {
    const auto e = test::decode_error<ForbiddenError>(R"(K\x01cos\nsystem\n.)"_py, options);
    REQUIRE(e);
    CHECK(e->position()->offset == 2);
    CHECK(e->position()->opcode == 'c');
    CHECK(std::string(e->what()).find("'os.system'") != std::string::npos);
    const auto s =
        test::decode_error<ForbiddenError>(R"(\x80\x04\x8c\x02os\x8c\x06system\x93.)"_py, options);
    REQUIRE(s);
    CHECK(s->position()->offset == 14);
    CHECK(s->position()->opcode == 0x93);
  }
  SUBCASE("every way of naming a global is checked") {
    ExtensionRegistry registry;
    registry.add(1, "os", "system");
    options.extensions = &registry;
    for (const auto& p : {R"(\x82\x01.)"_py, R"((ios\nsystem\n.)"_py,
                          R"(\x80\x04\x8c\x09pjtestmod\x8c\x05Outer\x93.)"_py,  // no prefix match
                          R"(\x80\x04\x8c\x09pjtestmod\x8c\x0ePoint.__init__\x93.)"_py,
                          R"(\x80\x03c__builtin__\nxrange\n.)"_py}) {
      INFO(test::hex(p));
      CHECK(test::decode_error<ForbiddenError>(p, options).has_value());
    }
  }
  SUBCASE("allowed names decode, after Python 2 name mapping") {
    for (const auto& p : {R"(cpjtestmod\nPoint\n(K\x01K\x02tR.)"_py,
                          R"(\x80\x04\x8c\x09pjtestmod\x8c\x0bOuter.Inner\x93.)"_py,
                          R"(c__builtin__\nxrange\n.)"_py}) {
      INFO(test::hex(p));
      CHECK_NOTHROW(picklejar::loads(p, options));
    }
  }
  SUBCASE("the well-known forms still decode") {
    const auto dumps = test::python_dumps(
        "[{1, 2}, frozenset({3}), b'ab', bytearray(b'xy'),"
        " __import__('collections').OrderedDict(a=1)]");
    for (const auto& d : dumps) {
      INFO("protocol " << d.protocol << ": " << d.repr);
      CHECK(picklejar::loads(d.pickle, options).repr() == d.repr);
    }
    CHECK(picklejar::loads(
              R"(ccopy_reg\n_reconstructor\n(cpjtestmod\nPoint\nc__builtin__\nobject\nNtR.)"_py,
              options)
              .is_object());
  }
}
