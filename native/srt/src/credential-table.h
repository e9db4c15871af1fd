// The in-memory SRT credential table: stream and playback ids, passphrases, state and publisher locks.
#pragma once
#include <srt/srt.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace onair_srt {

enum class IdKind { Publish, Request };

// What the listen callback decides for one caller.
struct Admission {
  int rejectCode = 0;  // 0: admitted; otherwise an SRT_REJX_* code
  IdKind kind = IdKind::Publish;
  std::string passphrase;
};

class CredentialTable {
 public:
  void Set(const std::string& id, const std::string& passphrase, IdKind kind, bool enabled);
  void Remove(const std::string& id);
  void SetBusy(const std::string& id, bool busy);

  // Looks the id up for a caller asking for `kind`; staleMs: a publisher silent that long no longer holds the lock.
  Admission Admit(const std::string& id, IdKind kind, int64_t nowMs, int64_t staleMs);
  bool Lookup(const std::string& id, IdKind* kind);

  // Publisher lock held by an accepted socket. Returns the socket it replaced (SRT_INVALID_SOCK if none).
  SRTSOCKET ClaimPublisher(const std::string& id, SRTSOCKET sock, int64_t nowMs);
  void ReleasePublisher(const std::string& id, SRTSOCKET sock);
  void NoteData(const std::string& id, SRTSOCKET sock, int64_t nowMs);

 private:
  struct Entry {
    std::string passphrase;
    IdKind kind = IdKind::Publish;
    bool enabled = true;
    bool busy = false;                         // pushed from JS (e.g. an RTMP publisher holds the stream)
    SRTSOCKET publisher = SRT_INVALID_SOCK;    // the SRT publisher currently delivering
    int64_t lastDataMs = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace onair_srt
