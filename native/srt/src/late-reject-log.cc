// Learns why libsrt refused a caller that onair had admitted (wrong or missing passphrase): libsrt decides
// that after the listen callback and says so only in its log, so a log handler maps the log line back.
#include "late-reject-log.h"

#include <srt/logging_api.h>
#include <sys/syslog.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "srt-listener.h"

namespace onair_srt {

namespace {

struct Watched {
  SrtListener* owner;
  std::string streamid;
  std::string peer;
  int64_t atMs;
};

std::mutex gMutex;
std::unordered_map<SRTSOCKET, Watched> gWatched;
bool gInstalled = false;
const int64_t kForgetAfterMs = 30000;
const size_t kPurgeAbove = 1024;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// SRT_REJECT_REASON names as libsrt prints them after "ERROR:" (srt.h order).
int ReasonCode(const std::string& name) {
  static const char* kNames[] = {"UNKNOWN", "SYSTEM", "PEER", "RESOURCE", "ROGUE", "BACKLOG", "IPE", "CLOSE",
                                 "VERSION", "RDVCOOKIE", "BADSECRET", "UNSECURE", "MESSAGEAPI", "CONGESTION",
                                 "FILTER", "GROUP", "TIMEOUT"};
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; i++) {
    if (name == kNames[i]) return static_cast<int>(i);
  }
  return SRT_REJ_UNKNOWN;
}

// "@<socket>:newConnection: connection rejected due to: INTERNAL REJECTION - ERROR:BADSECRET"
void OnLog(void* opaque, int level, const char* file, int line, const char* area, const char* message) {
  if (message == nullptr) return;
  const char* at = std::strchr(message, '@');
  const char* marker = std::strstr(message, ":newConnection: connection rejected due to:");
  if (at == nullptr || marker == nullptr || at > marker) return;
  SRTSOCKET ns = static_cast<SRTSOCKET>(std::strtol(at + 1, nullptr, 10));
  std::string name;
  if (const char* err = std::strstr(marker, "ERROR:")) {
    err += 6;
    while (*err >= 'A' && *err <= 'Z') name.push_back(*err++);
  }
  std::lock_guard<std::mutex> lock(gMutex);
  auto it = gWatched.find(ns);
  if (it == gWatched.end()) return;
  Watched w = it->second;
  gWatched.erase(it);
  w.owner->ReportReject(ReasonCode(name), w.streamid, w.peer);
}

}  // namespace

void InstallLateRejectLog() {
  std::lock_guard<std::mutex> lock(gMutex);
  if (gInstalled) return;
  gInstalled = true;
  srt_setloglevel(LOG_WARNING);
  srt_setlogflags(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME | SRT_LOGF_DISABLE_SEVERITY | SRT_LOGF_DISABLE_EOL);
  srt_setloghandler(nullptr, &OnLog);
}

void WatchAdmitted(SRTSOCKET ns, SrtListener* owner, const std::string& streamid, const std::string& peer) {
  std::lock_guard<std::mutex> lock(gMutex);
  int64_t now = NowMs();
  if (gWatched.size() > kPurgeAbove) {
    for (auto it = gWatched.begin(); it != gWatched.end();) {
      if (now - it->second.atMs > kForgetAfterMs) it = gWatched.erase(it);
      else ++it;
    }
  }
  gWatched[ns] = Watched{owner, streamid, peer, now};
}

void ForgetAdmitted(SRTSOCKET ns) {
  std::lock_guard<std::mutex> lock(gMutex);
  gWatched.erase(ns);
}

void ForgetListener(SrtListener* owner) {
  std::lock_guard<std::mutex> lock(gMutex);
  for (auto it = gWatched.begin(); it != gWatched.end();) {
    if (it->second.owner == owner) it = gWatched.erase(it);
    else ++it;
  }
}

}  // namespace onair_srt
