#pragma once
// Typed mapping between C++ types and picklejar::Value: start here.
//
//   picklejar::Value v = picklejar::to_value(session);        // C++ -> what Python would hold
//   auto s = picklejar::from_value<Session>(v);                // and back, shape-checked
//
// This header brings every mapping picklejar provides:
//   codec_core.hpp        the customization point (codec<T>, to_pickle/from_pickle), CodecError
//   codec_scalar.hpp      None, bool, ints (range-checked), floats, enums, Value
//   codec_strings.hpp     std::string, byte vectors/arrays (bytes), std::filesystem::path
//   codec_containers.hpp  vector/array/deque/list, map/unordered_map, set/unordered_set,
//                         pair/tuple, optional, variant
//   codec_chrono.hpp      sys_time/local_time <-> datetime, duration <-> timedelta,
//                         year_month_day <-> date, py::Time <-> time
//   codec_python.hpp      py::Decimal, py::Uuid, std::complex, py::OrderedDict
//   codec_class.hpp       PICKLEJAR_CLASS: a struct as a Python class instance; PICKLEJAR_ENUM
// docs/MAPPING.md has the full table and the rules.
//
// Identity. Python's pickle writes an object referenced twice once, and loads it back shared.
// Values made by to_value share nothing: a std::string used twice becomes two equal str
// nodes, so the pickle holds it twice and Python loads two equal (not identical) objects.
// To share on purpose, hold a picklejar::Value member and store the same Value twice.

#include <picklejar/config.hpp>

#include <picklejar/codec_chrono.hpp>
#include <picklejar/codec_class.hpp>
#include <picklejar/codec_containers.hpp>
#include <picklejar/codec_core.hpp>
#include <picklejar/codec_python.hpp>
#include <picklejar/codec_scalar.hpp>
#include <picklejar/codec_strings.hpp>
