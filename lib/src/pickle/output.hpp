#pragma once
// Output: where the encoder's bytes go, with protocol 4's framing done the way CPython's C
// pickler does it (Modules/_pickle.c: _Pickler_Write, _Pickler_OpcodeBoundary,
// _Pickler_CommitFrame, _Pickler_write_bytes):
//   - with framing on, the first write after a frame was committed opens a frame by reserving
//     a 9-byte FRAME header (here the frame is opened right at the commit, so that writes need
//     not check: one that stays empty, at the end or before a large payload, is removed
//     again, which leaves the same bytes);
//   - at the start of every save() (an object boundary), a frame holding 64 KiB or more is
//     committed: its header is filled in, or removed when it holds fewer than 4 bytes;
//   - a str/bytes/bytearray payload of 64 KiB or more commits the open frame and goes out
//     unframed, header and all; the next write opens a new frame.
// Bytes go straight into the caller's string or vector, or, for a writer callback, through a
// buffer that is handed over frame by frame (large payloads are handed over directly).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace picklejar::pickle {

class Output {
 public:
  using Writer = std::function<void(std::span<const std::byte>)>;

  // Appends to what the target already holds.
  explicit Output(std::string& target) : string_(&target), size_(target.size()), capacity_(size_) {}
  explicit Output(std::vector<std::byte>& target)
      : vector_(&target), size_(target.size()), capacity_(size_) {}
  explicit Output(const Writer& writer)
      : string_(&scratch_), writer_(&writer), boundary_(kFrameTarget) {}
  // Trims the target to what was written (the buffer grows ahead of it), also on errors.
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void write(std::string_view bytes) { append(bytes.data(), bytes.size()); }
  void write(char op) {
    if (size_ == capacity_) grow(1);
    base_[size_++] = op;
  }
  // Appends `n` bytes for the caller to fill in before the next write (an int's bytes,
  // written in place).
  char* write_in_place(std::size_t n) {
    if (n > capacity_ - size_) grow(n);
    char* at = base_ + size_;
    size_ += n;
    return at;
  }
  // The opcode `op` and the low `n` bytes of `v`, little-endian (pickle's integer
  // arguments), stored straight into the output: built on the stack and copied, they would
  // be reloaded wider than they were stored, which stalls store forwarding.
  void write_op(char op, std::uint64_t v, int n) { store_op(op, v, n); }
  // A payload that may be large (see the header comment) after its opcode and its length in
  // `length_bytes` bytes.
  void write_payload(char op, int length_bytes, std::string_view data) {
    if (data.size() >= kFrameTarget) return write_large_payload(op, length_bytes, data);
    write_op(op, data.size(), length_bytes);
    append(data.data(), data.size());
  }

  // Copies n bytes to memory from write_in_place(). Opcodes and most strs are a few bytes:
  // those are copied by at most two overlapping fixed-size copies rather than a memcpy call.
  static void copy(char* to, const char* from, std::size_t n) noexcept {
    if (n > 32) return static_cast<void>(std::memcpy(to, from, n));
    if (n >= 16) return copy_two<16>(to, from, n);
    if (n >= 8) return copy_two<8>(to, from, n);
    if (n >= 4) return copy_two<4>(to, from, n);
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  }

  void start_framing() {
    framing_ = true;
    open_frame();
  }
  // Called at the start of every save(), so one compare.
  void object_boundary() {
    if (size_ >= boundary_) reach_boundary();
  }
  // Called after STOP: commits the last frame and hands everything over.
  void finish();

 private:
  static constexpr std::size_t kNoFrame = ~std::size_t{0};
  static constexpr std::size_t kHeader = 9;
  static constexpr std::size_t kFrameTarget = 64 * 1024;
  static constexpr std::size_t kFrameMin = 4;
  static constexpr std::size_t kLargeHeadroom = 4096;  // room kept after a large payload

  // (Through a local pointer: char stores through base_ could alias this object, and would
  // reload base_ and size_.)
  void append(const char* bytes, std::size_t n) {
    if (n > capacity_ - size_) grow(n);
    char* to = base_ + size_;
    size_ += n;
    copy(to, bytes, n);
  }
  // Copies n bytes, W <= n <= 2W, as the first W and the last W.
  template <std::size_t W>
  static void copy_two(char* to, const char* from, std::size_t n) noexcept {
    char head[W], tail[W];
    std::memcpy(head, from, W);
    std::memcpy(tail, from + n - W, W);
    std::memcpy(to, head, W);
    std::memcpy(to + n - W, tail, W);
  }
  void store_op(char op, std::uint64_t v, int n) {
    const auto size = static_cast<std::size_t>(n) + 1;
    if (size > capacity_ - size_) grow(size);
    char* to = base_ + size_;
    size_ += size;
    to[0] = op;
    for (int i = 0; i < n; ++i) to[1 + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void write_large_payload(char op, int length_bytes, std::string_view data);
  void reach_boundary();
  void append_large(std::string_view data);  // the string or vector target's
  // Makes room for `n` more bytes: the target is resized ahead of what is written.
  void grow(std::size_t n);
  void trim();
  void open_frame();
  void commit_frame();
  // Callback sink: hands over everything written so far.
  void flush();

  std::string* string_ = nullptr;
  std::vector<std::byte>* vector_ = nullptr;
  const Writer* writer_ = nullptr;
  std::string scratch_;   // the callback sink's buffer
  char* base_ = nullptr;  // the target's bytes; [0, size_) is written, up to capacity_ usable
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  bool framing_ = false;
  std::size_t frame_start_ = kNoFrame;  // offset of the open frame's header
  // Where object_boundary() has something to do: the open frame holds 64 KiB, or a writer's
  // unframed buffer (protocol < 4) does; never for an unframed string or vector.
  std::size_t boundary_ = ~std::size_t{0};
};

}  // namespace picklejar::pickle
