// One libsrt listener socket, its handshake policy and the epoll worker that reads accepted sockets.
#pragma once
#include <srt/srt.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "credential-table.h"
#include "event-queue.h"
#include "flood-guard.h"

namespace onair_srt {

struct ListenerOptions {
  std::string host = "0.0.0.0";
  int port = 0;
  int latencyMs = 120;
  int payloadSize = 1316;
  int peerIdleTimeoutMs = 5000;
  int floodLimit = 30;          // handshakes per address per window; <= 0 disables
  int floodWindowMs = 10000;
  int publisherStaleMs = 2000;  // a publisher silent this long no longer blocks a new one
  size_t maxPendingBytes = 32 * 1024 * 1024;
};

struct SessionStats {
  SRT_TRACEBSTATS perf;
  uint64_t sendDrops;
};

class SrtListener {
 public:
  // notify: called (from any thread) when the event queue needs a delivery to JS.
  SrtListener(const ListenerOptions& options, std::function<void()> notify);
  ~SrtListener();

  bool Start(std::string* error);
  int Port() const { return port_; }
  CredentialTable& Credentials() { return credentials_; }
  EventQueue& Events() { return events_; }

  // Sends `len` bytes as messages of at most payloadSize. Returns messages dropped (send buffer full), -1 on error.
  int Send(SRTSOCKET sock, const uint8_t* data, size_t len);
  void Close(SRTSOCKET sock, const std::string& reason);
  bool Stats(SRTSOCKET sock, SessionStats* out);
  void Shutdown();
  // A rejection decided after the listen callback (libsrt's own, e.g. SRT_REJ_BADSECRET): emits a reject event.
  void ReportReject(int code, const std::string& streamid, const std::string& peer);

 private:
  struct Session {
    std::string id;
    IdKind kind;
    uint64_t sendDrops = 0;
  };

  static int ListenHook(void* opaque, SRTSOCKET ns, int hsversion, const sockaddr* peer, const char* streamid);
  int OnHandshake(SRTSOCKET ns, int hsversion, const sockaddr* peer, const char* streamid);
  void Reject(SRTSOCKET ns, int code, const std::string& streamid, const std::string& peer);
  void Run();
  void AcceptAll(Batch& local);
  void ReadAll(SRTSOCKET sock, Batch& local, int64_t nowMs);
  void CloseInto(SRTSOCKET sock, const std::string& reason, Batch& local);
  void Flush(Batch& local);

  const ListenerOptions options_;
  std::function<void()> notify_;
  std::mutex notifyMutex_;
  bool notifyEnabled_ = true;

  SRTSOCKET listener_ = SRT_INVALID_SOCK;
  int epoll_ = -1;
  int port_ = 0;
  bool started_ = false;
  std::atomic<bool> running_{false};
  std::thread worker_;

  CredentialTable credentials_;
  FloodGuard flood_;
  EventQueue events_;
  std::mutex sessionsMutex_;
  std::unordered_map<SRTSOCKET, Session> sessions_;
};

}  // namespace onair_srt
