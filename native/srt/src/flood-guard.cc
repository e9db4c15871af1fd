// Counts handshakes per source address in a fixed window so one flooding address cannot starve the rest.
#include "flood-guard.h"

namespace onair_srt {

namespace {
const size_t kPurgeAbove = 4096;  // forget expired windows once the map grows past this
}

bool FloodGuard::Allow(const std::string& address, int64_t nowMs) {
  if (limit_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (windows_.size() > kPurgeAbove) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      if (nowMs - it->second.startMs >= windowMs_) it = windows_.erase(it);
      else ++it;
    }
  }
  Window& w = windows_[address];
  if (nowMs - w.startMs >= windowMs_) {
    w.startMs = nowMs;
    w.count = 0;
  }
  w.count++;
  return w.count <= limit_;
}

}  // namespace onair_srt
