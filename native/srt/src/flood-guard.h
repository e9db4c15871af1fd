// Counts handshakes per source address in a fixed window so one flooding address cannot starve the rest.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace onair_srt {

class FloodGuard {
 public:
  FloodGuard(int limit, int64_t windowMs) : limit_(limit), windowMs_(windowMs) {}
  // true: this handshake from `address` is within the limit (limit <= 0 disables the guard)
  bool Allow(const std::string& address, int64_t nowMs);

 private:
  struct Window {
    int64_t startMs = 0;
    int count = 0;
  };
  const int limit_;
  const int64_t windowMs_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace onair_srt
