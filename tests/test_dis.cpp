// disassemble(): byte for byte what CPython's pickletools.dis() prints, and the same failure
// (message, position, DecodeErrc) at the same point of the listing. Every expectation comes
// from the python3 on the machine: the corpus's .dis files (tests/gen/make_corpus.py) and
// pickletools run by the scripts below.

#include <doctest/doctest.h>

#include <picklejar/dis.hpp>
#include <picklejar/error.hpp>

#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "pickle/dis_stack.hpp"
#include "pickle/opcodes.hpp"
#include "python.hpp"

using picklejar::DecodeErrc;

namespace {

// Runs pickletools.dis() on every input and prints, one line each:
//   <input hex> <'ok' or exception type> <listing hex> <message hex> <offset> <opcode>
// where offset/opcode locate the opcode pickletools was on when it raised (-1 if none): the
// one whose argument it was reading, or the one dis() was printing.
constexpr const char* kHarness = R"(
import io, os, pickle, random, sys, pickletools

_state = {}

# picklejar's disassembler reads frames as Python's own framed reader does (pickle._Unframer:
# each read inside the current frame, or unframed once it is used up), and also refuses a
# FRAME declaring more bytes than remain, and an empty GLOBAL/INST module or name.
class _Framed:
    def __init__(self, data):
        self.data = data
        self._file = io.BytesIO(data)
        self.unframer = pickle._Unframer(self._file.read, self._file.readline)
        self._pos = 0
    def read(self, n):
        b = self.unframer.read(n)
        self._pos += len(b)
        return b
    def readline(self):
        b = self.unframer.readline()
        self._pos += len(b)
        return b
    def tell(self):
        return self._pos

def _picklejar_checks(f, opcode, arg, pos, end):
    if opcode.name == 'FRAME':
        left = len(f.data) - end
        f.unframer.load_frame(0)  # its check first: the current frame is used up
        f.unframer.load_frame(min(arg, left))
        if arg > left:
            raise ValueError(f'frame of {arg} bytes exceeds the {left} bytes remaining')
    elif opcode.name in ('GLOBAL', 'INST'):
        module, name = f.data[pos + 1:end].split(b'\n')[:2]
        if not module or not name:
            raise ValueError(f"{opcode.name} {'module' if not module else 'qualified'} name is empty")

def _traced(data):
    f = _Framed(data)
    it = pickletools._genops(f, yield_end_pos=True)
    _state['next'] = 0
    while True:
        _state['reading'] = True
        try:
            opcode, arg, pos, end = next(it)
        except StopIteration:
            _state['reading'] = False
            return
        _picklejar_checks(f, opcode, arg, pos, end)
        _state['reading'] = False
        _state['op'] = (pos, ord(opcode.code))
        _state['next'] = end
        yield opcode, arg, pos

pickletools.genops = _traced

def hexed(text):
    return text.encode('utf-8', 'surrogatepass').hex() or '-'

def run(cases, indent=4):
    for data in cases:
        out = io.StringIO()
        _state.clear()
        try:
            pickletools.dis(data, out=out, indentlevel=indent)
            status, message, offset, op = 'ok', '', -1, -1
        except Exception as e:
            status, message = type(e).__name__, str(e)
            if _state.get('reading', True):
                offset = _state.get('next', 0)
                op = data[offset] if offset < len(data) else -1
            else:
                offset, op = _state['op']
        print(data.hex() or '-', status, hexed(out.getvalue()), hexed(message), offset, op)
)";

std::string unhex(const std::string& hex) {
  if (hex == "-") return {};
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

struct Expected {
  std::string input;
  std::string status;  // "ok" or the Python exception type
  std::string listing;
  std::string message;
  long long offset = -1;
  int opcode = -1;
};

std::vector<Expected> ask_pickletools(const std::string& cases_script) {
  std::istringstream lines(picklejar::test::run_python(std::string(kHarness) + cases_script));
  std::vector<Expected> out;
  std::string input, status, listing, message;
  Expected e;
  while (lines >> input >> status >> listing >> message >> e.offset >> e.opcode) {
    e.input = unhex(input);
    e.status = status;
    e.listing = unhex(listing);
    e.message = unhex(message);
    out.push_back(e);
  }
  return out;
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }
bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

// The DecodeErrc each pickletools failure stands for (our mapping, documented in
// disassembler.cpp and dis_text.hpp).
DecodeErrc code_for(const std::string& message) {
  if (contains(message, "before end of frame") || contains(message, "before end of current frame"))
    return DecodeErrc::bad_frame;
  if (starts_with(message, "frame of ") && contains(message, " exceeds the ")) {
    return DecodeErrc::truncated;
  }
  if (contains(message, " name is empty")) return DecodeErrc::bad_text;
  if (starts_with(message, "pickle exhausted") || starts_with(message, "not enough data") ||
      starts_with(message, "no newline found") ||
      (starts_with(message, "expected ") && contains(message, " remain"))) {
    return DecodeErrc::truncated;
  }
  if (starts_with(message, "at position")) return DecodeErrc::unknown_opcode;
  if (contains(message, "byte count <") || contains(message, "byte count >") ||
      contains(message, "already defined")) {
    return DecodeErrc::bad_argument;
  }
  if (starts_with(message, "'utf-8' codec")) return DecodeErrc::bad_utf8;
  if (starts_with(message, "invalid literal for int()") ||
      starts_with(message, "could not convert string to float") ||
      starts_with(message, "no string quotes") || starts_with(message, "strinq quote") ||
      starts_with(message, "invalid \\x escape") || starts_with(message, "Trailing \\") ||
      starts_with(message, "'ascii' codec") || starts_with(message, "'rawunicodeescape' codec")) {
    return DecodeErrc::bad_text;
  }
  if (starts_with(message, "Exceeds the limit")) return DecodeErrc::limit_exceeded;
  if (contains(message, "has never been stored into")) return DecodeErrc::memo_missing;
  if (starts_with(message, "stack is empty") || starts_with(message, "can't store markobject") ||
      starts_with(message, "tries to pop")) {
    return DecodeErrc::stack_underflow;
  }
  if (starts_with(message, "no MARK exists") || message == "list index out of range") {
    return DecodeErrc::mark_missing;
  }
  if (starts_with(message, "stack not empty after STOP")) return DecodeErrc::trailing_data;
  FAIL("pickletools raised a message the test does not know: " << message);
  return DecodeErrc::truncated;
}

// What disassemble() did with one input: the listing it appended, and its failure if any.
struct Outcome {
  std::string listing;
  bool failed = false;
  std::string reason;
  DecodeErrc code{};
  long long offset = -1;
  int opcode = -1;
};

Outcome disassemble_input(const std::string& input, const picklejar::DisassembleOptions& options) {
  Outcome o;
  try {
    picklejar::disassemble(std::as_bytes(std::span(input.data(), input.size())), o.listing,
                           options);
  } catch (const picklejar::DecodeError& e) {
    o.failed = true;
    o.reason = e.reason();
    o.code = e.code();
    if (e.position()) {
      o.offset = static_cast<long long>(e.position()->offset);
      o.opcode = e.position()->opcode;
    }
  }
  return o;
}

// Checks disassemble() against pickletools' answer for one input; false on a mismatch.
bool matches_pickletools(const Expected& e, const picklejar::DisassembleOptions& options = {}) {
  const Outcome o = disassemble_input(e.input, options);
  const bool should_fail = e.status != "ok";
  CHECK(o.listing == e.listing);
  CHECK(o.failed == should_fail);
  bool ok = o.listing == e.listing && o.failed == should_fail;
  if (o.failed && should_fail) {
    CHECK(o.reason == e.message);
    CHECK(o.code == code_for(e.message));
    CHECK(o.offset == e.offset);
    CHECK(o.opcode == e.opcode);
    ok = ok && o.reason == e.message && o.code == code_for(e.message) && o.offset == e.offset &&
         o.opcode == e.opcode;
  } else if (!should_fail) {
    // The returning form gives the same listing.
    CHECK(picklejar::disassemble(e.input, options) == e.listing);
  }
  return ok;
}

void check_all(const std::vector<Expected>& expected, std::size_t minimum,
               const picklejar::DisassembleOptions& options = {}) {
  CHECK(expected.size() >= minimum);
  int failures = 0;
  for (const Expected& e : expected) {
    CAPTURE(e.input);
    CAPTURE(e.status);
    CAPTURE(e.message);
    if (!matches_pickletools(e, options) && ++failures >= 20) {
      FAIL("stopping after 20 mismatching inputs");
    }
  }
}

}  // namespace

TEST_CASE("disassemble prints what pickletools.dis printed for every corpus pickle") {
  const auto& corpus = picklejar::test::corpus();
  REQUIRE(!corpus.empty());
  for (const auto& c : corpus) {
    CAPTURE(c.name);
    CAPTURE(c.protocol);
    CHECK(picklejar::disassemble(c.pickle) == c.dis);
  }
}

TEST_CASE("disassemble fails like pickletools on malformed pickles") {
  // Hand-picked inputs reaching every reader failure and every dis() check.
  const auto expected = ask_pickletools(R"(
huge = bytes([1]) * 2000
CASES = [
    # exhaustion, unknown opcodes, trailing bytes after STOP
    b'', b'N', b'\xff', b'\x00', b'N\x99.', b'N.garbage', b'(',
    # fixed-size arguments cut short
    b'K', b'M\x01', b'J\x01\x02\x03', b'\x80', b'\x95\x01\x00', b'G\x00\x00', b'h', b'j\x00',
    b'q', b'r\x00\x00', b'\x82', b'\x83\x01', b'\x84\x01\x00\x00',
    # counted arguments: short, negative, beyond sys.maxsize
    b'U\x05ab', b'T\x03\x00\x00\x00ab', b'T\xff\xff\xff\xffab', b'X\xff\xff\xff\xffabc',
    b'B\x04\x00\x00\x00abc', b'C\x02a', b'\x8e\xff\xff\xff\xff\xff\xff\xff\xff',
    b'\x8e\x00\x00\x00\x00\x00\x00\x00\x80', b'\x8e\x00\x00\x00\x00\x00\x01\x00\x00ab',
    b'\x8d\xff\xff\xff\xff\xff\xff\xff\xff', b'\x8d\x05\x00\x00\x00\x00\x00\x00\x00ab',
    b'\x96\xff\xff\xff\xff\xff\xff\xff\xff', b'\x96\x03\x00\x00\x00\x00\x00\x00\x00ab',
    b'\x8c\x04ab', b'\x8a\x03\x01', b'\x8b\xff\xff\xff\xff', b'\x8b\x05\x00\x00\x00ab',
    b'\x8a\x00.', b'\x8a\x01\xff.', b'\x8a\x02\x00\x80.', b'\x8b\x00\x00\x00\x00.',
    b'\x8a\xff' + b'\xff' * 255 + b'.', b'\x8b\xd0\x07\x00\x00' + huge + b'.',
    b'\x8b\xd0\x07\x00\x00' + b'\xff' * 2000 + b'.', b'\x8b\x80\x07\x00\x00' + huge[:1920] + b'.',
    # text lines without their newline
    b'I1', b'L1', b'F1.0', b"S'a'", b'Vabc', b'cmod\n', b'cmod', b'Pid', b'g1', b'p1',
    b'(imod', b'(imod\nname',
    # INT, LONG, GET and PUT text
    b'I\n.', b'I00\n.', b'I01\n.', b'I000\n.', b'I 1_0 \n.', b'I1__0\n.', b'I_1\n.', b'I1_\n.',
    b'I0x10\n.', b'I+5\n.', b'I-0\n.', b'I-007\n.', b'I1\x00\n.', b'I\x0b1\x0c\n.', b'I\x1c1\n.',
    b'I1 2\n.', b'I\xd9\xa1\n.', b'I' + b'7' * 4300 + b'\n.', b'I' + b'7' * 4301 + b'\n.',
    b'I' + b'7' * 4301 + b'x\n.', b'I' + b'7' * 4301 + b'__\n.', b'I' + b'7' * 300 + b'x\n.',
    b'I-' + b'1_' * 4300 + b'1\n.', b'L123L\n.', b'L\n.', b'LL\n.', b'L12LL\n.', b'L-5\n.',
    b'L' + b'9' * 4300 + b'L\n.', b'L' + b'9' * 5000 + b'L\n.',
    # FLOAT text
    b'Fabc\n.', b'F\n.', b'F  \n.', b'F1e999\n.', b'F-1e999\n.', b'F1e-999\n.', b'F-1e-999\n.',
    b'Fnan\n.', b'F-NaN\n.', b'F+inf\n.', b'F-Infinity\n.', b'Finfinit\n.', b'Fnan_\n.',
    b'F1_0.5\n.', b'F1__0\n.', b'F1_.5\n.', b'F1._5\n.', b'F1e_1\n.', b'F1e1_0\n.', b'F_1\n.',
    b'F.5\n.', b'F5.\n.', b'F.\n.', b'F1e\n.', b'F1e+\n.', b'F0x10\n.', b'F 1.5 \n.',
    b'F\t-2.5e-3\x0b\n.', b'F4.9e-324\n.', b'F2.4703282292062328e-324\n.',
    b'F2.4703282292062327e-324\n.', b'F1.7976931348623157e308\n.', b'F1.7976931348623159e308\n.',
    b'F0e999999999999999999\n.', b'F1e99999999999999999999\n.', b'F-0.0\n.', b'F1\x00\n.',
    b'F--1\n.', b'F1.5x\n.', b'F' + b'1' * 400 + b'\n.', b'F0.' + b'0' * 400 + b'1\n.',
    b'Fx' * 150 + b'\n.', b'F123456789012345678901234567890e-10\n.',
    # STRING text: quoting, escapes, non-ASCII
    b'Sabc\n.', b"S'abc\n.", b'S"abc\'\n.', b"S'\n.", b'S"\n.', b"S''\n.", b'S""\n.',
    b"S'a\\x4'\n.", b"S'a\\x4g'\n.", b"S'ab\\x'\n.", b"S'\\'\n.", b"S'\\xe9'\n.", b"S'\xe9'\n.",
    b"S'\\777'\n.", b"S'\\400\\08'\n.", b"S'\\q\\\\'\n.", b"S'\\t\\n\\r\\a\\b\\f\\v\\'\\\"'\n.",
    b"S'\\x41\\x7e\\x7f'\n.", b'S"it\'s"\n.', b"S'\x00\x01'\n.",
    # UNICODE text (raw-unicode-escape)
    b'V\\u12\n.', b'V\\u12x4\n.', b'V\\u\n.', b'V\\Ug\n.', b'V\\U0011000\n.', b'V\\U00110000\n.',
    b'V\\UFFFFFFFF\n.', b'V\\ud800\n.', b'V\\udfff\\ud800\n.', b'V\xe9\xff\x80\n.',
    b'V\\\\u0041\n.', b'V\\x41\n.', b'V\\\n.', b'Va\\\n.', b'V\\U0001F600\\u00e9\n.', b'V\xff\\u004\n.',
    # GLOBAL, INST and PERSID names (escape-decoded, ASCII only)
    b'cmod\nname\n.', b'cmo\\x64\nna\\tme\n.', b'c\xff\nname\n.', b'cmod\n\xe9\n.', b'cmod\\\nx\n.',
    b'c\\x\nname\n.', b'(imod\nname\n.', b'(imod\n\xff\n.', b'Pabc\n.', b'P\\x\n.', b'P\xe9\n.',
    # UTF-8 arguments
    b'X\x01\x00\x00\x00\x80.', b'X\x01\x00\x00\x00\xc2.', b'X\x02\x00\x00\x00\xc2A.',
    b'X\x02\x00\x00\x00\xe0\xa0.', b'X\x03\x00\x00\x00\xe0\x9f\x80.', b'X\x02\x00\x00\x00\xed\xa0.',
    b'X\x03\x00\x00\x00\xed\xa0\x80.', b'X\x03\x00\x00\x00\xed\xa0A.', b'X\x03\x00\x00\x00\xed\xbf\xbf.',
    b'X\x03\x00\x00\x00\xed\x9f\xbf.', b'X\x03\x00\x00\x00\xf0\x90\x80.',
    b'X\x04\x00\x00\x00\xf0\x90\x80A.', b'X\x04\x00\x00\x00\xf4\x90\x80\x80.',
    b'X\x04\x00\x00\x00\xf4\x8f\xbf\xbf.', b'\x8c\x01\xf5.', b'\x8c\x03\xe1\x80A.', b'\x8c\x02\xc0\x80.',
    b'\x8c\x02a\xff.', b'\x8c\x02\xf0\x8f.', b'\x8c\x06\xed\xa0\x80\xed\xb0\x80.',
    b'\x8d\x02\x00\x00\x00\x00\x00\x00\x00\xc3\xa9.', b'\x8c\x03\xe2\x80\xa8.',
    # Latin-1 strings and bytes reprs
    b'U\x04\xe9\xa0\xad\x85.', b'T\x02\x00\x00\x00\'".', b'C\x04\x00\'\\\xff.',
    b'B\x02\x00\x00\x00\'x.', b'\x96\x02\x00\x00\x00\x00\x00\x00\x00"\'.',
    b'G\x7f\xf8\x00\x00\x00\x00\x00\x00.', b'G\xff\xf0\x00\x00\x00\x00\x00\x00.', b'G\x80\x00\x00\x00\x00\x00\x00\x00.',
    # stack and MARK checks
    b'0.', b'N0.', b'1.', b'(1.', b'(.', b'(N.', b'N(.', b'N(t.', b'N(NN.', b'))t.', b'N2(0(t.',
    b'(N2l.', b'(N0a.', b'(2t.', b'(N2(0t.', b'N2(N(0(0(ll.', b'(N(00.', b'((NNe.', b'((NNu.',
    b']N(a.', b'}(NNs.', b'N(\x94.', b'\x90.', b'(\x90.', b'\x8f(N\x90.', b'(\x91.', b'R.', b')R.',
    b'a.', b'Na.', b'b.', b'd.', b'e.', b'(e.', b's.', b'Ns.', b't.', b'u.', b'(u.', b'}(Nu.',
    b'\x81.', b')\x81.', b'\x85.', b'\x86.', b'\x87.', b'\x91.', b'\x92.', b'\x93.', b'Vlist\n\x93.',
    b'\x94.', b'\x98.', b'Q.', b'2.', b'(o.', b'(No.', b'(i__main__\nC\n.', b'.', b'NN.', b'K\x01K\x02(K\x03t.',
    b'N(K\x01.', b'\x97\x98.', b'\x80\x05\x95\x01\x00\x00\x00\x00\x00\x00\x00N.', b'\x80\x07N.',
    # memo checks
    b'p0\n.', b'(p0\n.', b'Np0\nNp0\n0.', b'Ng0\n.', b'Nh\x05.', b'N\x94\x94.', b'Nq\x00\x94.',
    b'Nq\x01\x94\x94.', b'N\x94p0\n.', b'I01\np1\ng01\ng1\nN.', b'Np01\ng1\n0.', b'Np-1\ng-1\n0.',
    b'Np 007 \ng7\n0.', b'Ng99999999999999999999999\n.', b'Np1_0\ng10\n0.', b'Nr\xff\xff\xff\xffj\xff\xff\xff\xff0.',
    b'N\x94j\x00\x00\x00\x00h\x00.', b'(\x94.', b'\x94N.', b'Nq\x00(h\x00t.', b'pabc\n.', b'gabc\n.',
    b'N\x94\x94q\x01.', b'NNq\x00Nq\x00.', b'N\x94Nh\x00\x85.',
    # frames: a read crossing a frame's end (an opcode, its length, its payload, a text line),
    # a FRAME inside an unfinished one, one declaring more than remains; frames used up exactly
    # (then read on unframed), empty and nested-after-use frames
    b'\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8c\x05hello\x94.',
    b'\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00NX\x01\x00\x00\x00a.',
    b'\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00I12\n.',
    b'\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00cos\nsystem\n.',
    b'\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00N0\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01.',
    b'\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00N.',
    b'\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01.',
    b'\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00\x8c\x02hi.',
    b'\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00N.',
    b'\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N\x95\x01\x00\x00\x00\x00\x00\x00\x00.',
    b'\x80\x04\x95\x07\x00\x00\x00\x00\x00\x00\x00cos\nsys\x95\x02\x00\x00\x00\x00\x00\x00\x00tem\n.',
    # empty GLOBAL/INST names (og-rek's fuzz corpus has them; CPython refuses them)
    b'c\nlog\n.', b'coo\n\n.', b'c\n\n.', b'(i\nC\n.', b'(imod\n\n.',
]
# LONG4 ints around CPython's 4300-digit repr limit
import pickle
for v in [10**4300 - 1, 10**4300, -(10**4300 - 1), -10**4300, 2**14285, 2**14284, 2**14400, 7**5100]:
    data = pickle.encode_long(v)
    CASES.append(b'\x8b' + len(data).to_bytes(4, 'little') + data + b'.')
run(CASES)
)");
  check_all(expected, 300);
}

TEST_CASE("disassemble fails like pickletools on cut and mutated corpus pickles") {
  // Every prefix of the small corpus pickles, and seeded random byte edits of the others.
  const auto expected = ask_pickletools(R"(
corpus = os.environ['PICKLEJAR_CORPUS']
pickles = []
for name in sorted(os.listdir(corpus)):
    if name.endswith('.pkl'):
        with open(os.path.join(corpus, name), 'rb') as f:
            pickles.append(f.read())
rng = random.Random(20240611)
cases = []
for data in pickles:
    if len(data) <= 120:
        cases.extend(data[:n] for n in range(len(data)))
    if len(data) <= 4000:
        for _ in range(3):
            b = bytearray(data)
            i = rng.randrange(len(b))
            kind = rng.randrange(3)
            if kind == 0:
                b[i] = rng.randrange(256)
            elif kind == 1:
                del b[i]
            else:
                b.insert(i, rng.choice(b'(0124NKaestu.\x94\x85hgqp'))
            cases.append(bytes(b))
run(cases)
)");
  check_all(expected, 1000);
}

TEST_CASE("disassemble agrees with pickletools on CPython's own test pickles") {
  // Lib/test/pickletester.py: the DATA* fixtures and exception pickles, and the bad inputs of
  // AbstractUnpickleTests as tests/gen/make_badinput.py extracts them.
  const auto expected = ask_pickletools(R"(
import ast
from test import pickletester
import make_badinput
cases = [getattr(pickletester, n) for n in dir(pickletester)
         if isinstance(getattr(pickletester, n), bytes)]
funcs = make_badinput.methods(ast.parse(make_badinput.pickletester_source()[1]))
for family in (make_badinput.extract_bad(funcs), make_badinput.extract_good(funcs)):
    for inputs in family.values():
        cases.extend(inputs)
run(cases)
)");
  check_all(expected, 200);
}

TEST_CASE("disassemble indents MARK blocks by indent_level like pickletools") {
  for (const int indent : {0, 1, 2, 7}) {
    CAPTURE(indent);
    const auto expected = ask_pickletools(
        "import pickle\n"
        "run([pickle.dumps([(1, [2, {3: (4, 5)}], {6})], protocol=p) for p in range(6)] + "
        "[b'(((N(l(t0ll.', b'(N(2t.'], indent=" +
        std::to_string(indent) + ")\n");
    picklejar::DisassembleOptions options;
    options.indent_level = indent;
    check_all(expected, 8, options);
  }
}

TEST_CASE("disassemble handles deep nesting without recursion") {
  const auto expected = ask_pickletools(R"(
n = 20000
run([b'\x80\x02' + b']' * n + b'a' * (n - 1) + b'.',
     b'(' * 300 + b'N' + b't' * 300 + b'.',
     b'(' * 300 + b'.'])
)");
  check_all(expected, 3);
}

TEST_CASE("disassemble bounds the listing by max_output_bytes") {
  // 100000 nested MARKs: the listing would be about 20 GB.
  const std::string marks(100'000, '(');
  CHECK_THROWS_AS(picklejar::disassemble(marks), picklejar::LimitError);

  const std::string small =
      "\x80\x02]K\x01"
      "a.";
  const std::string full = picklejar::disassemble(small);
  picklejar::DisassembleOptions options;
  options.max_output_bytes = full.size();
  CHECK(picklejar::disassemble(small, options) == full);
  options.max_output_bytes = full.size() - 1;
  try {
    picklejar::disassemble(small, options);
    FAIL("no LimitError");
  } catch (const picklejar::LimitError& e) {
    CHECK(e.code() == DecodeErrc::limit_exceeded);
    REQUIRE(e.position().has_value());
    CHECK(e.position()->opcode == '.');  // the last line does not fit
  }
}

TEST_CASE("disassemble appends to the caller's string") {
  std::string out = "before\n";
  const std::string pickle = "N.";
  picklejar::disassemble(std::as_bytes(std::span(pickle.data(), pickle.size())), out);
  CHECK(out == "before\n" + picklejar::disassemble(pickle));
  CHECK(out.size() > std::string("before\n").size());
}

TEST_CASE("the stack kinds each opcode pushes are pickletools' stack_after") {
  const std::string lines = picklejar::test::run_python(R"(
import pickletools
for op in pickletools.opcodes:
    print(ord(op.code), ','.join(s.name for s in op.stack_after) or '-')
)");
  std::istringstream in(lines);
  int code = 0;
  std::string names;
  int checked = 0;
  while (in >> code >> names) {
    CAPTURE(code);
    std::string ours;
    for (const auto kind : picklejar::pickle::dis::stack_after(static_cast<std::uint8_t>(code))) {
      if (!ours.empty()) ours += ',';
      ours += picklejar::pickle::dis::stack_kind_name(kind);
    }
    CHECK((ours.empty() ? "-" : ours) == names);
    ++checked;
  }
  CHECK(checked == 68);
}
