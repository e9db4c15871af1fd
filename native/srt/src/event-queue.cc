// The batch of listener events (accepts, data, closes, rejects) waiting for the JS thread to take them.
#include "event-queue.h"

#include <utility>

namespace onair_srt {

bool EventQueue::Push(Batch& local) {
  if (local.Empty()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_.Empty()) {
    std::swap(pending_, local);  // the common case: JS has taken everything, no copy
  } else {
    for (auto& ev : local.control) pending_.control.push_back(std::move(ev));
    for (const DataRef& ref : local.data) {
      if (pending_.bytes.size() + ref.length > maxBytes_) {
        // JS is not keeping up: drop media rather than grow without bound (counted for stats)
        droppedBytes_ += ref.length;
        continue;
      }
      DataRef moved{ref.sock, static_cast<uint32_t>(pending_.bytes.size()), ref.length};
      pending_.bytes.insert(pending_.bytes.end(), local.bytes.begin() + ref.offset,
                            local.bytes.begin() + ref.offset + ref.length);
      pending_.data.push_back(moved);
    }
  }
  local.Clear();
  if (scheduled_) return false;
  scheduled_ = true;
  return true;
}

void EventQueue::Take(Batch& out) {
  out.Clear();
  std::lock_guard<std::mutex> lock(mutex_);
  std::swap(pending_, out);
  scheduled_ = false;
}

uint64_t EventQueue::DroppedBytes() {
  std::lock_guard<std::mutex> lock(mutex_);
  return droppedBytes_;
}

}  // namespace onair_srt
