// Every opcode of protocols 0-5, one small pickle each, decoded by picklejar and by CPython.
// The opcodes the samples use are listed by pickletools, so a missing opcode fails the test.

#include <doctest/doctest.h>

#include <array>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "decoder_support.hpp"
#include "pickle/opcodes.hpp"
#include "python.hpp"

using namespace picklejar::test::literals;
using picklejar::Buffer;
using picklejar::DecodeOptions;
using picklejar::ExtensionRegistry;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

// Pickles are written as Python bytes literals: R"(K\x01.)"_py is b'K\x01.'.
const std::vector<std::string>& samples() {
  static const std::vector<std::string> all = {
      // control, stack and memo
      R"((K\x01K\x02l.)"_py,                                       // MARK BININT1 LIST STOP
      R"(K\x01K\x020.)"_py,                                        // POP
      R"(K\x01(K\x02K\x031.)"_py,                                  // POP_MARK
      R"(]2\x86.)"_py,                                             // DUP
      R"(]p0\ng0\n\x86.)"_py,                                      // PUT GET
      R"(]q\x00h\x00\x86.)"_py,                                    // BINPUT BINGET
      R"(]r\x00\x00\x00\x00j\x00\x00\x00\x00\x86.)"_py,            // LONG_BINPUT LONG_BINGET
      R"(\x80\x04]\x94h\x00\x86.)"_py,                             // PROTO MEMOIZE
      R"(\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00I42\n.)"_py,  // FRAME
      // scalars
      R"(N.)"_py, R"(\x88.)"_py, R"(\x89.)"_py, R"(J\xff\xff\xff\xff.)"_py, R"(M\xff\xff.)"_py,
      R"(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.)"_py,  // LONG1 2**63
      R"(\x8b\x02\x00\x00\x00\xff\x7f.)"_py,                  // LONG4
      R"(I42\n.)"_py, R"(L123L\n.)"_py, R"(F1.5\n.)"_py,
      R"(G?\xf8\x00\x00\x00\x00\x00\x00.)"_py,  // BINFLOAT 1.5
      R"(S'abc'\n.)"_py, R"(T\x03\x00\x00\x00abc.)"_py, R"(U\x03abc.)"_py, R"(Vabc\n.)"_py,
      R"(X\x03\x00\x00\x00abc.)"_py, R"(\x8c\x03abc.)"_py,
      R"(\x8d\x03\x00\x00\x00\x00\x00\x00\x00abc.)"_py, R"(B\x03\x00\x00\x00abc.)"_py,
      R"(C\x03abc.)"_py, R"(\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc.)"_py,
      R"(\x96\x03\x00\x00\x00\x00\x00\x00\x00abc.)"_py,
      // containers
      R"().)"_py, R"((K\x01K\x02t.)"_py, R"(K\x01\x85.)"_py, R"(K\x01K\x02\x86.)"_py,
      R"(K\x01K\x02K\x03\x87.)"_py, R"((K\x01K\x02d.)"_py, R"(]K\x01a.)"_py, R"(](K\x01K\x02e.)"_py,
      R"(}K\x01K\x02s.)"_py, R"(}(K\x01K\x02K\x03K\x04u.)"_py,
      R"(\x80\x04\x8f(K\x01K\x02\x90.)"_py,  // EMPTY_SET ADDITEMS
      R"(\x80\x04(K\x01K\x02\x91.)"_py,      // FROZENSET
      // globals and objects
      R"(cbuiltins\nrange\n.)"_py,
      R"(\x80\x04\x8c\x08builtins\x8c\x05range\x93.)"_py,                    // STACK_GLOBAL
      R"((K\x01K\x02ipjtestmod\nPoint\n.)"_py,                               // INST
      R"((cpjtestmod\nPoint\nK\x01K\x02o.)"_py,                              // OBJ
      R"(\x80\x02cpjtestmod\nEmpty\n)\x81.)"_py,                             // NEWOBJ
      R"(\x80\x04cpjtestmod\nKwOnly\n)}(\x8c\x03keyK\x01u\x92.)"_py,         // NEWOBJ_EX
      R"(cpjtestmod\nPoint\n(K\x01K\x02tR.)"_py,                             // REDUCE
      R"(\x80\x02cpjtestmod\nEmpty\n)\x81}(X\x01\x00\x00\x00aK\x01ub.)"_py,  // BUILD
      // caller-supplied tables: extensions, persistent ids, out-of-band buffers
      R"(\x82\xf0.)"_py,               // EXT1 240
      R"(\x83\x34\x12.)"_py,           // EXT2 0x1234
      R"(\x84\x78\x56\x34\x12.)"_py,   // EXT4 0x12345678
      R"(Pabc\n.)"_py,                 // PERSID
      R"(X\x03\x00\x00\x00abcQ.)"_py,  // BINPERSID
      R"(\x80\x05\x97.)"_py,           // NEXT_BUFFER
      R"(\x80\x05\x97\x98.)"_py,       // READONLY_BUFFER
  };
  return all;
}

// The same tables on both sides: copyreg extensions, a persistent_load that returns
// ('pid', pid), and two out-of-band buffers (writable b'xyz', read-only b'abc').
const std::string kPythonSetup = R"(
import copyreg, io
copyreg.add_extension('builtins', 'range', 240)
copyreg.add_extension('builtins', 'len', 0x1234)
copyreg.add_extension('collections', 'OrderedDict', 0x12345678)
class Loader(pickle.Unpickler):
    def persistent_load(self, pid):
        return ('pid', pid)
def load(p):
    return Loader(io.BytesIO(p), buffers=[bytearray(b'xyz'), b'abc']).load()
)";

struct Tables {
  ExtensionRegistry extensions;
  std::array<std::byte, 3> writable{std::byte{'x'}, std::byte{'y'}, std::byte{'z'}};
  std::vector<Buffer> buffers;
  DecodeOptions options;

  Tables() {
    extensions.add(240, "builtins", "range");
    extensions.add(0x1234, "builtins", "len");
    extensions.add(0x12345678, "collections", "OrderedDict");
    // The array outlives every decode in the test, so the owner need not keep anything alive.
    buffers.emplace_back(std::shared_ptr<void>(), std::span<std::byte>(writable));
    buffers.push_back(Buffer::copy_of("abc"));
    options.extensions = &extensions;
    options.persistent_load = [](const Value& pid) { return Value::tuple({"pid", pid}); };
    options.buffers = buffers;
  }
};

std::set<std::string> opcodes_used(const std::vector<std::string>& pickles) {
  std::string script = "import pickletools\nnames = set()\n";
  for (const auto& p : pickles) {
    script += "names.update(op.name for op, _, _ in pickletools.genops(bytes.fromhex('" +
              test::hex(p) + "')))\n";
  }
  script += "print(' '.join(sorted(names)))\n";
  std::istringstream words(test::run_python(script));
  std::set<std::string> names;
  for (std::string w; words >> w;) names.insert(w);
  return names;
}

}  // namespace

TEST_CASE("decoder: the samples use every opcode of protocols 0-5") {
  const auto used = opcodes_used(samples());
  int opcodes = 0;
  for (int b = 0; b < 256; ++b) {
    const auto* info = picklejar::pickle::opcode_info(static_cast<std::uint8_t>(b));
    if (info == nullptr) continue;
    ++opcodes;
    INFO("opcode " << info->name);
    CHECK(used.contains(std::string(info->name)));
  }
  CHECK(opcodes == 68);
}

TEST_CASE("decoder: every opcode sample decodes to what CPython loads") {
  const auto& pickles = samples();
  const auto expected = test::python_loads(pickles, kPythonSetup);
  for (std::size_t i = 0; i < pickles.size(); ++i) {
    Tables tables;  // fresh buffers for every pickle, as CPython's load() gets
    INFO("pickle " << test::hex(pickles[i]));
    REQUIRE(expected[i].ok);
    CHECK(test::summary(picklejar::loads(pickles[i], tables.options)) == expected[i].text);
  }
}
