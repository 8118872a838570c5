#pragma once
// numpy's text for the items of an array, as numpy 1.24's arrayprint writes them with its
// default options (precision 8, floatmode 'maxprec', no suppression), and for scalars
// (internal; repr.cpp lays the items out).
//
// An array's items share one format, fixed by the items that will be printed: the width of
// the widest int, one float notation and number of digits for all floats, and so on
// (numpy's IntegerFormat, FloatingFormat, ComplexFloatingFormat, DatetimeFormat, ...).

#include <cstddef>
#include <functional>
#include <span>
#include <string>

#include <picklejar/ndarray.hpp>

namespace picklejar::numpy {

// The formatter for the items of `a` at these positions (indices into a's items), which are
// the ones that will be printed. Calling it with one of them gives that item's text.
std::function<std::string(std::size_t position)> item_format(
    const NdArray& a, std::span<const std::size_t> positions);

// numpy's repr of a scalar: 1.5, True, (1-2j), b'ab', numpy.datetime64('2020-01-01').
std::string scalar_text(const NdArray& scalar);

// Python's len() of text: its code points.
std::size_t text_width(std::string_view utf8);

}  // namespace picklejar::numpy
