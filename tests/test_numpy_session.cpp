// numpy arrays through a session file, both ways: a C++ program saves NdArrays that Python's
// picklejar.Session hands back as numpy arrays, and reads the arrays a Python program saved.
// Python is /usr/bin/python3 with Debian's numpy and the package from python/ ($PYTHONPATH),
// which loads arrays without registering anything, and refuses hostile ones before numpy runs.

#include <doctest/doctest.h>

#include <unistd.h>

#include <array>
#include <complex>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <picklejar/ndarray.hpp>
#include <picklejar/session.hpp>

#include "numpy_support.hpp"
#include "python.hpp"

using picklejar::DType;
using picklejar::NdArray;
using picklejar::Session;

namespace {

struct ScratchFile {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("picklejar-numpy-session-" + std::to_string(getpid()));
  std::filesystem::path file = dir / "state.pj";
  ScratchFile() {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~ScratchFile() { std::filesystem::remove_all(dir); }
};

// The Python side opens the file with picklejar.Session, which admits numpy's recipes by
// itself (numpy is installed there).
std::string python(const std::filesystem::path& file, const std::string& body) {
  return picklejar::test::run_python("import numpy as np, picklejar\nwith picklejar.Session('" +
                                     file.string() + "') as s:\n" + body);
}

}  // namespace

TEST_CASE("numpy: a C++ program saves arrays that Python reads as numpy arrays") {
  ScratchFile scratch;
  {
    Session s(scratch.file);
    const std::vector<float> image{0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f};
    s.set("image", NdArray::from(image, {2, 3}, NdArray::Order::fortran));
    s.set("loss", NdArray::scalar(0.125));
    const std::vector<std::int64_t> days{0, 19000, INT64_MIN};
    s.set("days", NdArray::from_bytes(DType::datetime(picklejar::TimeUnit::days), {3},
                                      std::as_bytes(std::span(days))));
    const std::string names("abcde\0", 6);  // 'S3': b'abc', b'de'
    s.set("names",
          NdArray::from_bytes(DType::fixed_bytes(3), {2}, std::as_bytes(std::span(names))));
    std::vector<double> big(250'000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i) / 4;
    s.set("big", NdArray::from(big));
    s.save();
  }
  const std::string out =
      python(scratch.file,
             "    image = s['image']\n"
             "    assert image.dtype == np.float32 and image.shape == (2, 3)\n"
             "    assert image.flags.f_contiguous and not image.flags.c_contiguous\n"
             "    assert image[1, 0] == 1.5 and image[0, 2] == 4.5, image\n"
             "    loss = s['loss']\n"
             "    assert type(loss) is np.float64 and loss == 0.125\n"
             "    days = s['days']\n"
             "    assert days.dtype == np.dtype('M8[D]')\n"
             "    assert str(days[1]) == '2022-01-08' and np.isnat(days[2])\n"
             "    assert list(s['names']) == [b'abc', b'de']\n"
             "    big = s['big']\n"
             "    assert big.shape == (250000,) and big[-1] == 249999 / 4\n"
             "    print('ok')\n");
  CHECK(out == "ok\n");
}

TEST_CASE("numpy: a C++ program reads the arrays a Python program saved") {
  ScratchFile scratch;
  Session(scratch.file).save();  // created by C++, written by Python
  python(scratch.file,
         "    s['weights'] = np.arange(12, dtype='>i4').reshape(3, 4)\n"
         "    s['fortran'] = np.asfortranarray(np.arange(6.0).reshape(2, 3))\n"
         "    s['half'] = np.float16(-2.5)\n"
         "    s['text'] = np.array(['\\u00e9t\\u00e9', 'a'])\n"
         "    s['complex'] = np.array([1 + 2j, 3 - 4j], dtype=np.complex64)\n"
         "    s['list'] = list(np.arange(3.0))\n"  // numpy scalars inside a list
         "    s.save()\n");
  const Session s(scratch.file);
  const auto weights = s.get<NdArray>("weights");
  CHECK(weights.dtype().str() == "<i4");  // numpy wrote '>i4'; read into native order
  CHECK(weights.at<std::int32_t>(2, 3) == 11);
  const auto fortran = s.get<NdArray>("fortran");
  CHECK(fortran.f_contiguous());
  CHECK(fortran.to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(s.get<NdArray>("half").at<picklejar::Float16>().to_float() == -2.5f);
  CHECK(s.get<NdArray>("text").str_at(0) == "\xc3\xa9t\xc3\xa9");
  CHECK(s.get<std::vector<std::complex<float>>>("complex") ==
        std::vector<std::complex<float>>{{1, 2}, {3, -4}});
  const auto items = s.get<std::vector<NdArray>>("list");
  REQUIRE(items.size() == 3);
  CHECK(items[2].is_scalar());
  CHECK(items[2].at<double>() == 2.0);
}

TEST_CASE("numpy: Python refuses a hostile array a C++ program saved, before numpy runs") {
  ScratchFile scratch;
  {
    Session s(scratch.file);
    // A float64 array declaring 2**40 items over 16 bytes: numpy would be asked to size it.
    picklejar::Value recipe = picklejar::to_value(NdArray::from(std::vector<double>{1, 2}));
    picklejar::Value args = recipe.object_args();
    recipe = picklejar::Value::object(
        recipe.object_callable(),
        picklejar::Value::tuple({args[0], args[1],
                                 picklejar::Value::tuple({picklejar::Value(std::int64_t{1} << 40)}),
                                 args[3]}));
    s.set("bad", recipe);
    s.set("good", NdArray::from(std::vector<double>{1, 2}));
    s.save();
  }
  const std::string out = python(scratch.file,
                                 "    print(list(s['good']))\n"
                                 "    try:\n"
                                 "        s['bad']\n"
                                 "    except picklejar.DecodeError as e:\n"
                                 "        print('refused:', 'does not match' in str(e))\n");
  CHECK(out == "[1.0, 2.0]\nrefused: True\n");
}
