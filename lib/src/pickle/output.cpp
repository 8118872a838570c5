#include "output.hpp"

#include <cstring>

#include "opcodes.hpp"

namespace picklejar::pickle {

void Output::append(std::string_view bytes) {
  if (vector_) {
    const auto* first = reinterpret_cast<const std::byte*>(bytes.data());
    vector_->insert(vector_->end(), first, first + bytes.size());
  } else {
    string_->append(bytes);
  }
}

void Output::open_frame() {
  frame_start_ = size();
  append(std::string_view("\0\0\0\0\0\0\0\0\0", kHeader));  // filled in by commit_frame()
}

void Output::commit_frame() {
  if (frame_start_ == kNoFrame) return;
  const std::size_t length = size() - frame_start_ - kHeader;
  char* header = data() + frame_start_;
  if (length >= kFrameMin) {
    header[0] = static_cast<char>(Op::frame);
    for (int i = 0; i < 8; ++i) header[1 + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  } else {
    std::memmove(header, header + kHeader, length);
    vector_ ? vector_->resize(size() - kHeader) : string_->resize(size() - kHeader);
  }
  frame_start_ = kNoFrame;
  if (writer_) flush();
}

void Output::write_payload(std::string_view header, std::string_view data) {
  if (data.size() < kFrameTarget) {
    write(header);
    append(data);
    return;
  }
  commit_frame();
  append(header);  // unframed, as CPython writes big payloads
  if (writer_) {
    flush();
    (*writer_)(std::as_bytes(std::span(data.data(), data.size())));  // straight from the value
  } else {
    append(data);
  }
}

void Output::finish() {
  commit_frame();
  if (writer_) flush();
}

void Output::flush() {
  if (scratch_.empty()) return;
  (*writer_)(std::as_bytes(std::span(scratch_.data(), scratch_.size())));
  scratch_.clear();
}

}  // namespace picklejar::pickle
