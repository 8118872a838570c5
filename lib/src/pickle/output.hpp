#pragma once
// Output: where the encoder's bytes go, with protocol 4's framing done the way CPython's C
// pickler does it (Modules/_pickle.c: _Pickler_Write, _Pickler_OpcodeBoundary,
// _Pickler_CommitFrame, _Pickler_write_bytes):
//   - with framing on, the first write after a frame was committed opens a frame by reserving
//     a 9-byte FRAME header;
//   - at the start of every save() (an object boundary), a frame holding 64 KiB or more is
//     committed: its header is filled in, or removed when it holds fewer than 4 bytes;
//   - a str/bytes/bytearray payload of 64 KiB or more commits the open frame and goes out
//     unframed, header and all; the next write opens a new frame.
// Bytes go straight into the caller's string or vector, or, for a writer callback, through a
// buffer that is handed over frame by frame (large payloads are handed over directly).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace picklejar::pickle {

class Output {
 public:
  using Writer = std::function<void(std::span<const std::byte>)>;

  explicit Output(std::string& target) : string_(&target) {}
  explicit Output(std::vector<std::byte>& target) : vector_(&target) {}
  explicit Output(const Writer& writer) : string_(&scratch_), writer_(&writer) {}

  void write(std::string_view bytes) {
    if (framing_ && frame_start_ == kNoFrame) open_frame();
    append(bytes);
  }
  void write(char op) { write(std::string_view(&op, 1)); }
  // A payload that may be large: see the header comment.
  void write_payload(std::string_view header, std::string_view data);

  void start_framing() noexcept { framing_ = true; }
  // Called at the start of every save().
  void object_boundary() {
    if (frame_start_ != kNoFrame) {
      if (size() - frame_start_ - kHeader >= kFrameTarget) commit_frame();
    } else if (writer_ && scratch_.size() >= kFrameTarget) {
      flush();  // unframed (protocol < 4): hand over in pieces of about a frame
    }
  }
  // Called after STOP: commits the last frame and hands everything over.
  void finish();

 private:
  static constexpr std::size_t kNoFrame = ~std::size_t{0};
  static constexpr std::size_t kHeader = 9;
  static constexpr std::size_t kFrameTarget = 64 * 1024;
  static constexpr std::size_t kFrameMin = 4;

  std::size_t size() const noexcept { return vector_ ? vector_->size() : string_->size(); }
  char* data() noexcept {
    return vector_ ? reinterpret_cast<char*>(vector_->data()) : string_->data();
  }
  void append(std::string_view bytes);
  void open_frame();
  void commit_frame();
  // Callback sink: hands over everything written so far.
  void flush();

  std::string* string_ = nullptr;
  std::vector<std::byte>* vector_ = nullptr;
  const Writer* writer_ = nullptr;
  std::string scratch_;  // the callback sink's buffer
  bool framing_ = false;
  std::size_t frame_start_ = kNoFrame;  // offset of the open frame's header
};

}  // namespace picklejar::pickle
