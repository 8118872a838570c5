// repr(const NdArray&): numpy 1.24's repr of an array with its default print options
// (numpy/core/arrayprint.py: array_repr, array2string, _formatArray): lines of at most 75
// characters, arrays of more than 1000 items summarized to their first and last 3 along each
// axis, the dtype written unless numpy implies it (int64, float64, complex128, bool).

#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

#include <picklejar/ndarray.hpp>

#include "layout.hpp"
#include "repr_items.hpp"

namespace picklejar {
namespace numpy {
namespace {

constexpr std::size_t kLineWidth = 75;
constexpr std::size_t kThreshold = 1000;
constexpr std::size_t kEdgeItems = 3;

// Walks an array the way _formatArray does, summarized or not.
class Formatter {
 public:
  Formatter(const NdArray& a, bool summarize, std::size_t line_width)
      : a_(a), summarize_(summarize), line_width_(line_width) {
    std::vector<std::size_t> index(a.ndim());
    collect(index, 0);
    item_ = item_format(a, positions_);
  }

  std::string run() {
    std::vector<std::size_t> index;
    return recurse(index, std::string(1 + 6, ' '), line_width_);  // " " + len("array(")
  }

 private:
  // The indices shown along an axis of length n: all, or the edges around "...".
  bool summarized(std::size_t n) const { return summarize_ && 2 * kEdgeItems < n; }
  std::vector<std::size_t> shown(std::size_t n) const {
    std::vector<std::size_t> out;
    if (!summarized(n)) {
      for (std::size_t i = 0; i < n; ++i) out.push_back(i);
      return out;
    }
    for (std::size_t i = 0; i < kEdgeItems; ++i) out.push_back(i);
    for (std::size_t i = n - kEdgeItems; i < n; ++i) out.push_back(i);
    return out;
  }

  // The items that will be printed (their formats depend on these only).
  void collect(std::vector<std::size_t>& index, std::size_t axis) {
    if (axis == a_.ndim()) {
      positions_.push_back(a_.position(index));
      return;
    }
    for (const std::size_t i : shown(a_.shape()[axis])) {
      index[axis] = i;
      collect(index, axis + 1);
    }
  }

  // numpy's _extendLine: start a new line when the word would pass the width (unless the
  // line holds nothing but its indent).
  void extend(std::string& s, std::string& line, const std::string& word, std::size_t width,
              const std::string& indent) const {
    if (text_width(line) + text_width(word) > width && text_width(line) > indent.size()) {
      s += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
      line = indent;
    }
    line += word;
  }

  std::string recurse(std::vector<std::size_t>& index, const std::string& indent,
                      std::size_t width) {
    const std::size_t axis = index.size();
    if (axis == a_.ndim()) return item_(a_.position(index));
    const std::string next_indent = indent + " ";
    const std::size_t next_width = width - 1;
    const std::size_t n = a_.shape()[axis];
    const bool summary = summarized(n);
    const std::size_t leading = summary ? kEdgeItems : 0;
    const std::size_t trailing = summary ? kEdgeItems : n;
    const auto child = [&](std::size_t i) {
      index.push_back(i);
      std::string text = recurse(index, next_indent, next_width);
      index.pop_back();
      return text;
    };
    std::string s;
    if (a_.ndim() - axis == 1) {                 // a row: items, wrapped
      const std::size_t item_width = width - 1;  // room for "," or "]"
      std::string line = indent;
      for (std::size_t i = 0; i < leading; ++i) {
        extend(s, line, child(i), item_width, indent);
        line += ", ";
      }
      if (summary) {
        extend(s, line, "...", item_width, indent);
        line += ", ";
      }
      for (std::size_t i = trailing; i > 1; --i) {
        extend(s, line, child(n - i), item_width, indent);
        line += ", ";
      }
      extend(s, line, child(n - 1), item_width, indent);
      s += line;
    } else {  // rows of rows: one per line, blank lines between blocks
      const std::string separator = "," + std::string(a_.ndim() - axis - 1, '\n');
      for (std::size_t i = 0; i < leading; ++i) s += indent + child(i) + separator;
      if (summary) s += indent + "..." + separator;
      for (std::size_t i = trailing; i > 1; --i) s += indent + child(n - i) + separator;
      s += indent + child(n - 1);
    }
    return "[" + s.substr(indent.size()) + "]";
  }

  const NdArray& a_;
  const bool summarize_;
  const std::size_t line_width_;
  std::vector<std::size_t> positions_;
  std::function<std::string(std::size_t)> item_;
};

// numpy's dtype_is_implied: the values' text already says it.
bool implied(const DType& d) {
  return (d.kind == DTypeKind::signed_int && d.item_size == 8) ||
         (d.kind == DTypeKind::floating && d.item_size == 8) ||
         (d.kind == DTypeKind::complex && d.item_size == 16) || d.kind == DTypeKind::boolean;
}

// numpy's dtype_short_repr: 'float32', "'<U3'", "'datetime64[ns]'".
std::string dtype_text(const DType& d) {
  if (d.kind == DTypeKind::bytes || d.kind == DTypeKind::unicode) return "'" + d.str() + "'";
  const std::string name = d.name();
  if (name.find('[') != std::string::npos) return "'" + name + "'";
  return name;
}

}  // namespace
}  // namespace numpy

std::string repr(const NdArray& a) {
  if (a.is_scalar()) return numpy::scalar_text(a);
  const bool skip_dtype = numpy::implied(a.dtype()) && a.size() > 0;
  const std::string suffix = skip_dtype ? ")" : ",";
  std::string body;
  if (a.size() == 0) {
    body = a.ndim() == 1 ? "[]" : "[], shape=" + numpy::shape_text(a.shape());
  } else {
    numpy::Formatter formatter(a, a.size() > numpy::kThreshold, numpy::kLineWidth - suffix.size());
    body = formatter.run();
  }
  std::string text = "array(" + body + suffix;
  if (skip_dtype) return text;
  const std::string dtype = "dtype=" + numpy::dtype_text(a.dtype()) + ")";
  const std::size_t last_line = numpy::text_width(text.substr(text.rfind('\n') + 1));
  const bool new_line = last_line + dtype.size() + 1 > numpy::kLineWidth;
  return text + (new_line ? "\n      " : " ") + dtype;
}

std::optional<std::string> ndarray_repr(const Value& v) {
  if (!is_ndarray(v)) return std::nullopt;
  try {
    return repr(from_value<NdArray>(v));
  } catch (const CodecError&) {
    return std::nullopt;
  }
}

}  // namespace picklejar
