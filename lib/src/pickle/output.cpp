#include "output.hpp"

#include <algorithm>
#include <cstring>

#include "opcodes.hpp"

namespace picklejar::pickle {

Output::~Output() { trim(); }

void Output::grow(std::size_t n) {
  const std::size_t current = vector_ ? vector_->size() : string_->size();
  // A large payload gets room for what follows it too (at least STOP): a one-byte write
  // right after it must not double a buffer that the payload alone filled.
  const std::size_t headroom = n >= kFrameTarget ? kLargeHeadroom : 0;
  const std::size_t wanted = std::max({size_ + n + headroom, current * 2, std::size_t{256}});
  if (vector_) {
    vector_->resize(wanted);
    base_ = reinterpret_cast<char*>(vector_->data());
  } else {
    string_->resize(wanted);
    base_ = string_->data();
  }
  capacity_ = wanted;
}

void Output::trim() {
  if (base_ == nullptr) return;  // nothing was written: the target is untouched
  vector_ ? vector_->resize(size_) : string_->resize(size_);
  base_ = vector_ ? reinterpret_cast<char*>(vector_->data()) : string_->data();
  capacity_ = size_;
}

void Output::reach_boundary() {
  if (framing_) {
    commit_frame();
    open_frame();
  } else {
    flush();  // a writer's unframed output: handed over in pieces of about a frame
  }
}

void Output::open_frame() {
  frame_start_ = size_;
  boundary_ = size_ + kHeader + kFrameTarget;
  append("\0\0\0\0\0\0\0\0\0", kHeader);  // filled in by commit_frame()
}

void Output::commit_frame() {
  if (frame_start_ == kNoFrame) return;
  const std::size_t length = size_ - frame_start_ - kHeader;
  char* header = base_ + frame_start_;
  if (length >= kFrameMin) {
    header[0] = static_cast<char>(Op::frame);
    for (int i = 0; i < 8; ++i) header[1 + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  } else {
    std::memmove(header, header + kHeader, length);
    size_ -= kHeader;
  }
  frame_start_ = kNoFrame;
  if (writer_) flush();
}

void Output::write_large_payload(char op, int length_bytes, std::string_view data) {
  commit_frame();
  store_op(op, data.size(), length_bytes);  // unframed, as CPython writes big payloads
  if (writer_) {
    flush();
    (*writer_)(std::as_bytes(std::span(data.data(), data.size())));  // straight from the value
  } else {
    append_large(data);
  }
  if (framing_) open_frame();
}

// Through the target's own append: making room with resize() first would zero-fill what the
// payload then overwrites, a second pass over a payload of megabytes.
void Output::append_large(std::string_view data) {
  const std::size_t needed = size_ + data.size() + kLargeHeadroom;
  const auto make_room = [&](auto& target) {
    target.resize(size_);  // drops the zero-filled room ahead of what was written
    // Geometric growth, as for small writes: a value holding many large payloads is written
    // in linear time.
    if (needed > target.capacity()) target.reserve(std::max(needed, 2 * target.capacity()));
  };
  if (vector_) {
    make_room(*vector_);
    const auto* bytes = reinterpret_cast<const std::byte*>(data.data());
    vector_->insert(vector_->end(), bytes, bytes + data.size());
    vector_->resize(needed);
    base_ = reinterpret_cast<char*>(vector_->data());
  } else {
    make_room(*string_);
    string_->append(data);
    string_->resize(needed);
    base_ = string_->data();
  }
  size_ += data.size();
  capacity_ = needed;
}

void Output::finish() {
  commit_frame();
  if (writer_) {
    flush();
  } else {
    trim();
  }
}

void Output::flush() {
  if (size_ == 0) return;
  (*writer_)(std::as_bytes(std::span(base_, size_)));
  size_ = 0;
}

}  // namespace picklejar::pickle
