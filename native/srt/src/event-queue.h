// The batch of listener events (accepts, data, closes, rejects) waiting for the JS thread to take them.
#pragma once
#include <srt/srt.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace onair_srt {

struct ControlEvent {
  enum Kind { Accept, Close, Reject };
  explicit ControlEvent(Kind k) : kind(k) {}
  Kind kind;
  SRTSOCKET sock = SRT_INVALID_SOCK;
  int code = 0;          // Reject: the SRT_REJX_* code
  std::string id;        // Accept: resource id; Reject: the raw streamid
  std::string mode;      // Accept: "publish" | "request"
  std::string peer;      // Accept, Reject: "address:port"
  std::string reason;    // Close: why
};

// One socket's bytes in Batch::bytes: whole SRT messages, concatenated in arrival order.
struct DataRef {
  SRTSOCKET sock;
  uint32_t offset;
  uint32_t length;
};

struct Batch {
  std::vector<ControlEvent> control;
  std::vector<DataRef> data;
  std::vector<uint8_t> bytes;
  void Clear() {
    control.clear();
    data.clear();
    bytes.clear();
  }
  bool Empty() const { return control.empty() && data.empty(); }
};

// Producers (the epoll worker, libsrt's handshake thread, JS calls) push; the JS thread takes.
// At most one delivery is scheduled at a time, so batches grow while JS is busy instead of queueing calls.
class EventQueue {
 public:
  explicit EventQueue(size_t maxBytes) : maxBytes_(maxBytes) {}
  // Moves `local` into the pending batch (local is left empty). Returns true if a delivery must be scheduled.
  bool Push(Batch& local);
  // Swaps the pending batch into `out` and clears the scheduled flag.
  void Take(Batch& out);
  uint64_t DroppedBytes();

 private:
  std::mutex mutex_;
  Batch pending_;
  bool scheduled_ = false;
  const size_t maxBytes_;
  uint64_t droppedBytes_ = 0;
};

}  // namespace onair_srt
