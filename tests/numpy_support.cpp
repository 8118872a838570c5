#include "numpy_support.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>

namespace picklejar::test {
namespace {

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(line);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!line.empty() && line.back() == separator) parts.emplace_back();
  return parts;
}

std::vector<std::string> lines_of(const std::string& file) {
  std::vector<std::string> lines;
  std::istringstream in(read_numpy_file(file));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.empty()) throw std::runtime_error(file + " is empty");
  return lines;
}

std::atomic<bool> tracking{false};
std::atomic<std::size_t> largest{0};

void note(std::size_t size) noexcept {
  if (!tracking.load(std::memory_order_relaxed)) return;
  std::size_t seen = largest.load(std::memory_order_relaxed);
  while (size > seen && !largest.compare_exchange_weak(seen, size)) {
  }
}

}  // namespace

std::string read_numpy_file(const std::string& name) {
  const char* dir = std::getenv("PICKLEJAR_NUMPY");
  if (dir == nullptr) throw std::runtime_error("PICKLEJAR_NUMPY is not set");
  std::ifstream in(std::string(dir) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + std::string(dir) + "/" + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string c_ordered(const NdArray& a) {
  std::string out;
  const std::size_t item = a.dtype().item_size;
  a.for_each_position([&](std::size_t p) {
    out.append(reinterpret_cast<const char*>(a.bytes().data()) + p * item, item);
  });
  return out;
}

std::string NumpyCase::pickle(int protocol) const {
  return read_numpy_file(name + ".p" + std::to_string(protocol) + ".pkl");
}
std::string NumpyCase::pickled_again(int protocol) const {
  return read_numpy_file(name + ".p" + std::to_string(protocol) + ".again.pkl");
}
std::string NumpyCase::numpy_repr() const { return read_numpy_file(name + ".repr"); }
std::string NumpyCase::raw() const { return read_numpy_file(name + ".raw"); }
std::string NumpyCase::oob_pickle() const { return read_numpy_file(name + ".oob.pkl"); }
std::vector<std::string> NumpyCase::oob_buffers() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < buffer_readonly.size(); ++i)
    out.push_back(read_numpy_file(name + ".oob." + std::to_string(i) + ".buf"));
  return out;
}

const std::vector<NumpyCase>& numpy_cases() {
  static const std::vector<NumpyCase> cases = [] {
    std::vector<NumpyCase> out;
    for (const std::string& line : lines_of("manifest.txt")) {
      const auto f = split(line, ';');
      if (f.size() != 7) throw std::runtime_error("bad manifest line: " + line);
      NumpyCase c{f[0], f[1], {}, f[3], f[4] == "1", f[5] == "1", {}};
      for (const std::string& n : split(f[2], ',')) c.shape.push_back(std::stoull(n));
      if (f[6] != "-") {
        for (char flag : f[6]) c.buffer_readonly.push_back(flag == '1');
      }
      out.push_back(std::move(c));
    }
    return out;
  }();
  return cases;
}

const NumpyCase& numpy_case(const std::string& name) {
  for (const auto& c : numpy_cases()) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no numpy case " + name);
}

std::string HostileCase::pickle(int protocol) const {
  return read_numpy_file("hostile_" + name + ".p" + std::to_string(protocol) + ".pkl");
}

const std::vector<HostileCase>& hostile_cases() {
  static const std::vector<HostileCase> cases = [] {
    std::vector<HostileCase> out;
    for (const std::string& line : lines_of("hostile.txt")) {
      const auto f = split(line, ';');
      if (f.size() != 2) throw std::runtime_error("bad hostile line: " + line);
      out.push_back({f[0], f[1]});
    }
    return out;
  }();
  return cases;
}

std::size_t largest_allocation_during(const std::function<void()>& f) {
  largest = 0;
  tracking = true;
  try {
    f();
  } catch (...) {
    tracking = false;
    throw;
  }
  tracking = false;
  return largest;
}

}  // namespace picklejar::test

// Replaced for the whole test program, to watch request sizes.
void* operator new(std::size_t size) {
  picklejar::test::note(size);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  picklejar::test::note(size);
  const auto a = static_cast<std::size_t>(alignment);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return operator new(size, alignment);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
