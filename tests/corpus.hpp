#pragma once
// The CPython-made test corpus (tests/gen/make_corpus.py), read by the differential and
// disassembler tests. For every case and protocol 0-5 the generator writes:
//   <name>.p<N>.pkl    pickle.dumps(value, protocol=N) from the python3 on the machine
//   <name>.p<N>.desc   Python's structural description of the value (see make_corpus.py)
//   <name>.p<N>.dis    pickletools.dis() of the pickle
//   <name>.repr        repr(value), only for values made of built-in types

#include <optional>
#include <string>
#include <vector>

#include <picklejar/value.hpp>

namespace picklejar::test {

struct CorpusCase {
  std::string name;       // e.g. "int_boundaries"
  int protocol = 0;       // 0-5
  std::string pickle;     // the bytes
  std::string description;
  std::string dis;
  std::optional<std::string> repr;
};

// All cases under $PICKLEJAR_CORPUS, sorted by name then protocol. Throws std::runtime_error
// when the corpus is missing or empty (a test run without golden data must fail, not pass).
const std::vector<CorpusCase>& corpus();

// The same structural description make_corpus.py writes, computed from a decoded Value.
std::string describe(const Value& value);

}  // namespace picklejar::test
