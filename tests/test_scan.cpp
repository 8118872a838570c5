// scan() against Python's own reading: every global Python's unpickler would import (asked of a
// pure-Python Unpickler whose find_class only records), in order, for the whole corpus and for
// third-party bypass vectors (fickling's, rebuilt here from their opcodes); calls whose result
// the pickle discards; the allowlist. And the gadgets an inspector must not hide (BUILD
// states, items after BUILD) and names CPython refuses (og-rek's fuzz corpus).

#include <doctest/doctest.h>

#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/scan.hpp>

#include <fmt/format.h>

#include <sstream>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "decoder_support.hpp"
#include "python.hpp"

using namespace picklejar::test::literals;
using picklejar::DecodeErrc;
using picklejar::DecodeOptions;
using picklejar::ScanResult;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

// For each pickle, one line: the (module, name) pairs Python's pure-Python Unpickler asks
// find_class for, in order ("mod.name mod.name ..."), or "error" when it cannot load it.
// find_class records and returns a stand-in that accepts any call, so nothing is imported.
std::vector<std::string> python_globals(const std::vector<std::string>& pickles) {
  std::string script = R"(
import _compat_pickle, pickle, sys

class StandIn:
    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)
    def __init__(self, *args, **kwargs):
        pass
    def __call__(self, *args, **kwargs):
        return StandIn()
    def __setstate__(self, state):
        pass
    def append(self, item):
        pass
    def extend(self, items):
        pass
    def __setitem__(self, key, value):
        pass

class Recorder(pickle._Unpickler):
    def find_class(self, module, name):
        if self.proto < 3 and self.fix_imports:  # as pickle's own find_class maps them
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        self.seen.append(module + '.' + name)
        return StandIn

import io
for hexed in sys.stdin.read().split():
    u = Recorder(io.BytesIO(bytes.fromhex(hexed)))
    u.seen = []
    try:
        u.load()
        print(' '.join(u.seen) or '-')
    except Exception:
        print('error')
)";
  std::string input;
  for (const auto& p : pickles) input += test::hex(p) + "\n";
  // run_python has no stdin: the pickles go in the script.
  script = "import sys, io\nsys.stdin = io.StringIO('''" + input + "''')\n" + script;
  std::istringstream lines(test::run_python(script));
  std::vector<std::string> out;
  for (std::string line; std::getline(lines, line);) out.push_back(line);
  REQUIRE(out.size() == pickles.size());
  return out;
}

std::string our_globals(const ScanResult& r) {
  std::string out;
  for (const auto& g : r.globals) out += (out.empty() ? "" : " ") + g.module + "." + g.name;
  return out.empty() ? "-" : out;
}

std::string short_unicode(std::string_view s) {
  return "\x8c" + std::string(1, static_cast<char>(s.size())) + std::string(s) + "\x94";
}

// Third-party bypass vectors, rebuilt from the opcode lists of fickling's test_bypasses.py
// (trailofbits/fickling; the names say which advisory). Each imports something dangerous.
std::vector<std::string> fickling_vectors() {
  const std::string p4 = "\x80\x04";
  const std::string sg = "\x93\x94";  // STACK_GLOBAL MEMOIZE
  return {
      // pty.spawn('id') through STACK_GLOBAL + REDUCE, then a BUILD (GHSA-r7v6-mfhq-g3m2)
      p4 + short_unicode("pty") + short_unicode("spawn") + sg + short_unicode("id") +
          "\x85\x94R\x94" + short_unicode("gottem") + "b.",
      // pty spawn through GLOBAL + OBJ, protocol 0-1 style (fickling PR 108)
      R"((cpty\nspawn\nS'id'\no.)"_py,
      // runpy.run_path (GHSA-wfq2-52f7-7qvj)
      "\x80\x05" + short_unicode("runpy") + short_unicode("run_path") + sg +
          short_unicode("/tmp/malicious.py") + "\x85\x94R\x94.",
      // builtins.getattr(importlib.import_module('os'), 'system')('id') (GHSA-q5qq-mvfm-j35x)
      "\x80\x05" + short_unicode("builtins") + short_unicode("getattr") + sg +
          short_unicode("importlib") + short_unicode("import_module") + sg + short_unicode("os") +
          "\x85\x94R\x94" + short_unicode("system") + "\x86\x94R\x94" + short_unicode("id") +
          "\x85\x94R\x94.",
      // pydoc.locate through GLOBAL, results PUT and POPped (GHSA-5hvc-6wx8-mvv4)
      R"(cpydoc\nlocate\nS'ctypes.windll.kernel32.WinExec'\n\x85Rp0\n0g0\nC\x08calc.exeK\x01\x86Rp1\n0cbuiltins\nException\n)Rp2\n}S'rce_status'\ng1\nsb.)"_py,
      // multiprocessing.util.spawnv_passfds in a frame (GHSA-q5qq-mvfm-j35x)
      "\x80\x05" + short_unicode("multiprocessing.util") + short_unicode("spawnv_passfds") + sg +
          R"(C\x07/bin/sh\x94]\x94(h\x03C\x02-c\x94C\x02id\x94e)\x87\x94R\x94.)"_py,
  };
}

}  // namespace

TEST_CASE("scan: the globals Python's own unpickler imports, in order, for every corpus pickle") {
  std::vector<std::string> pickles;
  std::vector<std::string> ours;
  for (const auto& c : test::corpus()) {
    ScanResult r;
    try {
      r = picklejar::scan(c.pickle);
    } catch (const picklejar::DecodeError&) {
      continue;  // needs an extension registry or a hook
    }
    pickles.push_back(c.pickle);
    ours.push_back(our_globals(r));
    // scan() reads exactly what loads() reads.
    CHECK(test::summary(r.value) == test::summary(picklejar::loads(c.pickle)));
    CHECK(r.consumed == c.pickle.size());
  }
  REQUIRE(pickles.size() > 300);
  const auto python = python_globals(pickles);
  std::size_t with_globals = 0;
  for (std::size_t i = 0; i < pickles.size(); ++i) {
    INFO(test::hex(pickles[i].substr(0, 40)));
    if (python[i] == "error") continue;  // a stand-in cannot play every class
    CHECK(ours[i] == python[i]);
    with_globals += ours[i] != "-";
  }
  CHECK(with_globals > 50);
}

TEST_CASE("scan: fickling's bypass vectors, every import at its offset, none allowed") {
  const auto vectors = fickling_vectors();
  const auto python = python_globals(vectors);
  DecodeOptions allowlist;
  allowlist.globals = picklejar::GlobalPolicy::allowlist;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::hex(vectors[i]));
    const ScanResult r = picklejar::scan(vectors[i], allowlist);
    CHECK(our_globals(r) == python[i]);
    REQUIRE_FALSE(r.globals.empty());
    for (const auto& g : r.globals) {
      CHECK_FALSE(g.allowed);
      CHECK(std::string("c\x93i").find(vectors[i][g.offset]) != std::string::npos);
    }
    CHECK_FALSE(r.calls.empty());
    for (const auto& c : r.calls)
      CHECK(std::string("Rob\x81").find(vectors[i][c.offset]) != std::string::npos);
    // loads() with the allowlist refuses each, at the first of them.
    const auto e = test::decode_error<picklejar::ForbiddenError>(vectors[i], allowlist);
    REQUIRE(e);
    CHECK(e->position()->offset == r.globals.front().offset);
  }
  SUBCASE("a call through the result of another names it") {
    const ScanResult r = picklejar::scan(vectors[3]);
    REQUIRE(r.calls.size() == 3);
    CHECK(r.calls[0].callable == "importlib.import_module");
    CHECK(r.calls[1].callable == "builtins.getattr");
    CHECK(r.calls[2].callable == fmt::format("<result of REDUCE at offset {}>", r.calls[1].offset));
  }
  SUBCASE("pydoc.locate's results are PUT, POPped and used again: still in the value") {
    const ScanResult r = picklejar::scan(vectors[4]);
    for (const auto& c : r.calls) CHECK(c.in_value);
  }
}

TEST_CASE("scan: a call whose result the pickle throws away is not in the value") {
  // os.system('touch x'), POP, None: Python makes the call, the value is None.
  const std::string p = R"(cos\nsystem\n(Vtouch x\ntR0N.)"_py;
  const ScanResult r = picklejar::scan(p);
  CHECK(r.value.is_none());
  REQUIRE(r.globals.size() == 1);
  CHECK(r.globals[0].module == "os");
  CHECK(r.globals[0].name == "system");
  CHECK(r.globals[0].offset == 0);
  CHECK_FALSE(r.globals[0].in_value);
  REQUIRE(r.calls.size() == 1);
  CHECK(r.calls[0].opcode_name == "REDUCE");
  CHECK(r.calls[0].offset == 22);
  CHECK(r.calls[0].callable == "os.system");
  CHECK_FALSE(r.calls[0].in_value);
  SUBCASE("what a well-known form is made of counts as held (bytearray(_codecs.encode(...)))") {
    for (const auto& d : test::python_dumps("[bytearray(b'xy'), {1, 2}, [b'ab', b'ab']]")) {
      if (d.protocol > 2) continue;
      const ScanResult kept = picklejar::scan(d.pickle);
      CHECK_FALSE(kept.calls.empty());
      for (const auto& c : kept.calls) CHECK(c.in_value);
    }
  }
}

TEST_CASE("scan: allowed follows loads()'s allowlist rule; trailing data as loads() has it") {
  const std::string p =
      R"(\x80\x02]q\x00(c__builtin__\nset\n]\x85Rccollections\nOrderedDict\n)Rcpjtestmod\nPoint\n)\x81cos\nsystem\ne.)"_py;
  CHECK(our_globals(picklejar::scan(p)) ==
        "builtins.set collections.OrderedDict pjtestmod.Point os.system");
  for (const auto& g : picklejar::scan(p).globals) CHECK(g.allowed);  // GlobalPolicy::keep
  DecodeOptions options;
  options.globals = picklejar::GlobalPolicy::allowlist;
  options.allowed_globals = {"pjtestmod.Point"};
  const ScanResult r = picklejar::scan(p, options);
  REQUIRE(r.globals.size() == 4);
  CHECK(r.globals[0].allowed);  // well-known plain data
  CHECK(r.globals[1].allowed);
  CHECK(r.globals[2].allowed);  // listed
  CHECK_FALSE(r.globals[3].allowed);
  CHECK(r.value.size() == 4);  // recorded, not refused
  CHECK(test::decode_errc(p + "N") == DecodeErrc::trailing_data);
  CHECK_THROWS_AS(picklejar::scan(p + "N"), picklejar::DecodeError);
  DecodeOptions ignore;
  ignore.trailing_data = picklejar::TrailingData::ignore;
  CHECK(picklejar::scan(p + "N", ignore).consumed == p.size());
}

TEST_CASE("gadgets: BUILD states that Python would act on are shown or refused") {
  const std::string od = R"(\x80\x04ccollections\nOrderedDict\n)R)"_py;
  const std::string setstate = R"(}\x8c\x0c__setstate__cbuiltins\nprint\nsb)"_py;
  SUBCASE("OrderedDict() + BUILD {'__setstate__': f} + BUILD 'text' calls f('text') in Python") {
    const std::string gadget = od + setstate + R"(\x8c\x0bgadget rang\x94b.)"_py;
    // CPython calls the __setstate__ the first BUILD set (print here: harmless, visible).
    const std::string out = test::run_python("import pickle, sys\npickle.loads(bytes.fromhex('" +
                                             test::hex(gadget) + "'))\n");
    CHECK(out == "gadget rang\n");
    const auto e = test::decode_error(gadget);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::hidden_call);
    CHECK(e->position()->offset == gadget.size() - 2);
    CHECK(e->position()->opcode == 'b');
  }
  SUBCASE("one BUILD on an OrderedDict: its state is printed, which Python's repr hides") {
    const Value v = picklejar::loads(od + setstate + ".");
    CHECK(v.repr() == "<OrderedDict() state={'__setstate__': <global builtins.print>}>");
  }
  SUBCASE("items appended after BUILD: Python looks append up in the state first") {
    const std::string p =
        R"(\x80\x02cpjtestmod\nEmpty\n)\x81}X\x06\x00\x00\x00appendcbuiltins\nprint\nsbX\x04\x00\x00\x00textaN.)"_py;
    CHECK(test::decode_errc(p) == DecodeErrc::hidden_call);
    // Before BUILD (the order picklers write) they are recorded.
    const std::string before = R"(\x80\x02cpjtestmod\nEmpty\n)\x81X\x04\x00\x00\x00texta}b.)"_py;
    CHECK(picklejar::loads(before).object_listitems().size() == 1);
  }
}

TEST_CASE("names CPython refuses: empty GLOBAL/INST/STACK_GLOBAL modules and names") {
  // og-rek's fuzz corpus holds GLOBALs with empty lines (dumped as <global .> before); CPython's
  // C reader says "pickle data was truncated", its Python reader "Empty module name".
  const std::vector<std::string> empty = {
      R"(coo\n\n.)"_py,
      R"(c\nlog\n.)"_py,
      R"(c\n\nJ\xde22\x872\x87.)"_py,
      R"((i\nC\n.)"_py,
      R"((imod\n\n.)"_py,
      R"(\x80\x04\x8c\x00\x8c\x03log\x93.)"_py,
      R"(\x80\x04\x8c\x02os\x8c\x00\x93.)"_py,
  };
  test::check_like_cpython(empty);
  test::check_like_cpython(empty, {}, "def load(p): return pickle._loads(p)");
  for (const std::string& p : empty) {
    INFO(test::hex(p));
    const auto e = test::decode_error(p);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::bad_text);
    CHECK(e->reason().find("name is empty") != std::string::npos);
  }
  CHECK(test::decode_error(R"(coo\n\n.)"_py)->position()->offset == 0);
}
