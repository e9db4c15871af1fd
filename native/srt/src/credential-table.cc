// The in-memory SRT credential table: stream and playback ids, passphrases, state and publisher locks.
#include "credential-table.h"

#include <srt/access_control.h>

namespace onair_srt {

void CredentialTable::Set(const std::string& id, const std::string& passphrase, IdKind kind, bool enabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry& e = entries_[id];
  e.passphrase = passphrase;
  e.kind = kind;
  e.enabled = enabled;
}

void CredentialTable::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(id);
}

void CredentialTable::SetBusy(const std::string& id, bool busy) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it != entries_.end()) it->second.busy = busy;
}

Admission CredentialTable::Admit(const std::string& id, IdKind kind, int64_t nowMs, int64_t staleMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  Admission a;
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    a.rejectCode = SRT_REJX_NOTFOUND;
    return a;
  }
  const Entry& e = it->second;
  a.kind = e.kind;
  if (e.kind != kind) {
    // access control: "m" must name what the resource is (stream id => publish, playback id => request)
    a.rejectCode = SRT_REJX_BAD_MODE;
    return a;
  }
  if (!e.enabled) {
    a.rejectCode = SRT_REJX_FORBIDDEN;
    return a;
  }
  if (kind == IdKind::Publish) {
    bool delivering = e.publisher != SRT_INVALID_SOCK && nowMs - e.lastDataMs < staleMs;
    if (e.busy || delivering) {
      // SRT_REJX_CONFLICT: "the resource being accessed is already locked for modification" (m=publish)
      a.rejectCode = SRT_REJX_CONFLICT;
      return a;
    }
  }
  a.passphrase = e.passphrase;
  return a;
}

bool CredentialTable::Lookup(const std::string& id, IdKind* kind) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  *kind = it->second.kind;
  return true;
}

SRTSOCKET CredentialTable::ClaimPublisher(const std::string& id, SRTSOCKET sock, int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return SRT_INVALID_SOCK;
  SRTSOCKET previous = it->second.publisher;
  it->second.publisher = sock;
  it->second.lastDataMs = nowMs;
  return previous;
}

void CredentialTable::ReleasePublisher(const std::string& id, SRTSOCKET sock) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it != entries_.end() && it->second.publisher == sock) it->second.publisher = SRT_INVALID_SOCK;
}

void CredentialTable::NoteData(const std::string& id, SRTSOCKET sock, int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it != entries_.end() && it->second.publisher == sock) it->second.lastDataMs = nowMs;
}

}  // namespace onair_srt
