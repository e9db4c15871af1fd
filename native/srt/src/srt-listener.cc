// One libsrt listener socket, its handshake policy and the epoll worker that reads accepted sockets.
#include "srt-listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <srt/access_control.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "late-reject-log.h"
#include "stream-id.h"

namespace onair_srt {

namespace {

const int kMaxMessage = 1500;  // above any live payload (SRTO_PAYLOADSIZE <= 1456)
const int kEpollBatch = 64;
const int kEpollTimeoutMs = 100;  // how quickly the worker notices Shutdown()

std::mutex gRuntimeMutex;
int gRuntimeUsers = 0;

void RuntimeAcquire() {
  std::lock_guard<std::mutex> lock(gRuntimeMutex);
  if (gRuntimeUsers++ == 0) srt_startup();
}

void RuntimeRelease() {
  std::lock_guard<std::mutex> lock(gRuntimeMutex);
  if (--gRuntimeUsers == 0) srt_cleanup();
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string FormatAddress(const sockaddr* addr) {
  if (addr == nullptr) return "";
  char host[INET6_ADDRSTRLEN] = {0};
  if (addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "";
}

// The flood guard counts per host, not per host:port (a flood walks through source ports).
std::string HostOf(const sockaddr* addr) {
  std::string full = FormatAddress(addr);
  size_t colon = full.rfind(':');
  return colon == std::string::npos ? full : full.substr(0, colon);
}

bool SetInt(SRTSOCKET s, SRT_SOCKOPT opt, int value) {
  return srt_setsockflag(s, opt, &value, sizeof value) != SRT_ERROR;
}

bool SetBool(SRTSOCKET s, SRT_SOCKOPT opt, bool value) {
  return srt_setsockflag(s, opt, &value, sizeof value) != SRT_ERROR;
}

}  // namespace

SrtListener::SrtListener(const ListenerOptions& options, std::function<void()> notify)
    : options_(options),
      notify_(std::move(notify)),
      flood_(options.floodLimit, options.floodWindowMs),
      events_(options.maxPendingBytes) {
  RuntimeAcquire();
  InstallLateRejectLog();
}

SrtListener::~SrtListener() {
  Shutdown();
  RuntimeRelease();
}

bool SrtListener::Start(std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string service = std::to_string(options_.port);
  if (getaddrinfo(options_.host.c_str(), service.c_str(), &hints, &res) != 0 || res == nullptr) {
    *error = "invalid listen address " + options_.host;
    return false;
  }

  listener_ = srt_create_socket();
  bool ok = listener_ != SRT_INVALID_SOCK;
  ok = ok && SetBool(listener_, SRTO_RCVSYN, false) && SetBool(listener_, SRTO_SNDSYN, false);
  int transtype = SRTT_LIVE;
  ok = ok && srt_setsockflag(listener_, SRTO_TRANSTYPE, &transtype, sizeof transtype) != SRT_ERROR;
  ok = ok && SetInt(listener_, SRTO_PAYLOADSIZE, options_.payloadSize);
  // Latency: each side proposes its own; libsrt settles on the larger of the two at the handshake.
  ok = ok && SetInt(listener_, SRTO_LATENCY, options_.latencyMs);
  ok = ok && SetInt(listener_, SRTO_PEERIDLETIMEO, options_.peerIdleTimeoutMs);
  if (ok && res->ai_family == AF_INET6) ok = SetInt(listener_, SRTO_IPV6ONLY, 0);
  if (!ok) {
    *error = std::string("srt socket setup failed: ") + srt_getlasterror_str();
    freeaddrinfo(res);
    return false;
  }
  int bound = srt_bind(listener_, res->ai_addr, static_cast<int>(res->ai_addrlen));
  freeaddrinfo(res);
  if (bound == SRT_ERROR) {
    *error = std::string("srt_bind failed: ") + srt_getlasterror_str();
    return false;
  }
  if (srt_listen_callback(listener_, &SrtListener::ListenHook, this) == SRT_ERROR ||
      srt_listen(listener_, 64) == SRT_ERROR) {
    *error = std::string("srt_listen failed: ") + srt_getlasterror_str();
    return false;
  }
  sockaddr_storage local{};
  int localLen = sizeof local;
  if (srt_getsockname(listener_, reinterpret_cast<sockaddr*>(&local), &localLen) != SRT_ERROR) {
    std::string text = FormatAddress(reinterpret_cast<sockaddr*>(&local));
    port_ = std::stoi(text.substr(text.rfind(':') + 1));
  }

  epoll_ = srt_epoll_create();
  int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  if (epoll_ < 0 || srt_epoll_add_usock(epoll_, listener_, &events) == SRT_ERROR) {
    *error = std::string("srt epoll setup failed: ") + srt_getlasterror_str();
    return false;
  }
  srt_epoll_set(epoll_, SRT_EPOLL_ENABLE_EMPTY);
  started_ = true;
  running_ = true;
  worker_ = std::thread(&SrtListener::Run, this);
  return true;
}

int SrtListener::ListenHook(void* opaque, SRTSOCKET ns, int hsversion, const sockaddr* peer, const char* streamid) {
  return static_cast<SrtListener*>(opaque)->OnHandshake(ns, hsversion, peer, streamid);
}

// Runs on libsrt's receiver thread for every caller's conclusion handshake: answer from memory, fast.
int SrtListener::OnHandshake(SRTSOCKET ns, int hsversion, const sockaddr* peer, const char* streamid) {
  std::string raw = streamid ? streamid : "";
  std::string peerText = FormatAddress(peer);
  int64_t now = NowMs();
  if (!flood_.Allow(HostOf(peer), now)) {
    Reject(ns, SRT_REJX_OVERLOAD, raw, peerText);
    return -1;
  }
  ParsedStreamId parsed = ParseStreamId(raw);
  if (!parsed.ok) {
    Reject(ns, SRT_REJX_BAD_REQUEST, raw, peerText);
    return -1;
  }
  IdKind kind;
  if (parsed.mode == RequestedMode::Invalid) {
    // access control: m is request, publish or bidirectional; onair serves only the first two
    Reject(ns, SRT_REJX_BAD_MODE, raw, peerText);
    return -1;
  }
  if (parsed.mode == RequestedMode::Unspecified) {
    // a plain streamid: the id's kind decides (stream id => publish, playback id => request)
    if (!credentials_.Lookup(parsed.resource, &kind)) {
      Reject(ns, SRT_REJX_NOTFOUND, raw, peerText);
      return -1;
    }
  } else {
    kind = parsed.mode == RequestedMode::Publish ? IdKind::Publish : IdKind::Request;
  }
  Admission admission = credentials_.Admit(parsed.resource, kind, now, options_.publisherStaleMs);
  if (admission.rejectCode != 0) {
    Reject(ns, admission.rejectCode, raw, peerText);
    return -1;
  }
  if (!admission.passphrase.empty()) {
    // With a passphrase on the new socket libsrt itself refuses a wrong one (SRT_REJ_BADSECRET) and a
    // caller without one (SRT_REJ_UNSECURE, SRTO_ENFORCEDENCRYPTION being on by default).
    if (srt_setsockflag(ns, SRTO_PASSPHRASE, admission.passphrase.data(),
                        static_cast<int>(admission.passphrase.size())) == SRT_ERROR) {
      Reject(ns, SRT_REJX_ISE, raw, peerText);
      return -1;
    }
  }
  WatchAdmitted(ns, this, raw, peerText);
  return 0;
}

void SrtListener::Reject(SRTSOCKET ns, int code, const std::string& streamid, const std::string& peer) {
  srt_setrejectreason(ns, code);
  ReportReject(code, streamid, peer);
}

void SrtListener::ReportReject(int code, const std::string& streamid, const std::string& peer) {
  Batch local;
  ControlEvent ev(ControlEvent::Reject);
  ev.code = code;
  ev.id = streamid;
  ev.peer = peer;
  local.control.push_back(std::move(ev));
  Flush(local);
}

void SrtListener::Flush(Batch& local) {
  if (!events_.Push(local)) return;
  std::lock_guard<std::mutex> lock(notifyMutex_);
  if (notifyEnabled_) notify_();
}

void SrtListener::Run() {
  std::vector<SRT_EPOLL_EVENT> ready(kEpollBatch);
  Batch local;
  while (running_) {
    int n = srt_epoll_uwait(epoll_, ready.data(), kEpollBatch, kEpollTimeoutMs);
    if (n <= 0) continue;
    int64_t now = NowMs();
    for (int i = 0; i < n; i++) {
      SRTSOCKET s = ready[i].fd;
      if (s == listener_) {
        AcceptAll(local);
        continue;
      }
      ReadAll(s, local, now);
      if (ready[i].events & SRT_EPOLL_ERR) CloseInto(s, "broken", local);
    }
    Flush(local);
  }
}

void SrtListener::AcceptAll(Batch& local) {
  for (;;) {
    sockaddr_storage addr{};
    int len = sizeof addr;
    SRTSOCKET s = srt_accept(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    if (s == SRT_INVALID_SOCK) return;  // SRT_EASYNCRCV: nothing more pending
    ForgetAdmitted(s);
    char sid[513] = {0};
    int sidLen = sizeof sid - 1;
    srt_getsockflag(s, SRTO_STREAMID, sid, &sidLen);
    ParsedStreamId parsed = ParseStreamId(std::string(sid, sidLen > 0 ? sidLen : 0));
    IdKind kind;
    if (!parsed.ok || !credentials_.Lookup(parsed.resource, &kind)) {
      srt_close(s);  // the credential went away between handshake and accept
      continue;
    }
    SetBool(s, SRTO_RCVSYN, false);
    SetBool(s, SRTO_SNDSYN, false);
    // Live mode lingers 0 s by default: a viewer closed at the end of a stream would lose the last
    // messages still in the send buffer. With SNDSYN off, srt_close returns at once and libsrt lingers.
    linger lin{1, 1};
    srt_setsockflag(s, SRTO_LINGER, &lin, sizeof lin);
    {
      std::lock_guard<std::mutex> lock(sessionsMutex_);
      sessions_[s] = Session{parsed.resource, kind, 0};
    }
    ControlEvent ev(ControlEvent::Accept);
    ev.sock = s;
    ev.id = parsed.resource;
    ev.mode = kind == IdKind::Publish ? "publish" : "request";
    ev.peer = FormatAddress(reinterpret_cast<sockaddr*>(&addr));
    local.control.push_back(std::move(ev));
    if (kind == IdKind::Publish) {
      // Admitted past a silent publisher (or a simultaneous one): the newcomer takes over.
      SRTSOCKET previous = credentials_.ClaimPublisher(parsed.resource, s, NowMs());
      if (previous != SRT_INVALID_SOCK && previous != s) CloseInto(previous, "replaced", local);
    }
    int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
    srt_epoll_add_usock(epoll_, s, &events);
  }
}

void SrtListener::ReadAll(SRTSOCKET sock, Batch& local, int64_t nowMs) {
  size_t start = local.bytes.size();
  for (;;) {
    size_t at = local.bytes.size();
    local.bytes.resize(at + kMaxMessage);
    int n = srt_recvmsg(sock, reinterpret_cast<char*>(local.bytes.data() + at), kMaxMessage);
    if (n <= 0) {
      local.bytes.resize(at);
      if (n == SRT_ERROR && srt_getlasterror(nullptr) != SRT_EASYNCRCV) CloseInto(sock, "broken", local);
      break;
    }
    local.bytes.resize(at + n);
  }
  if (local.bytes.size() == start) return;
  local.data.push_back(DataRef{sock, static_cast<uint32_t>(start), static_cast<uint32_t>(local.bytes.size() - start)});
  std::string id;
  {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    auto it = sessions_.find(sock);
    if (it == sessions_.end() || it->second.kind != IdKind::Publish) return;
    id = it->second.id;
  }
  credentials_.NoteData(id, sock, nowMs);
}

// Idempotent: only the first close of a socket emits an event.
void SrtListener::CloseInto(SRTSOCKET sock, const std::string& reason, Batch& local) {
  Session session;
  {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    auto it = sessions_.find(sock);
    if (it == sessions_.end()) return;
    session = it->second;
    sessions_.erase(it);
  }
  if (session.kind == IdKind::Publish) credentials_.ReleasePublisher(session.id, sock);
  srt_epoll_remove_usock(epoll_, sock);
  srt_close(sock);
  ControlEvent ev(ControlEvent::Close);
  ev.sock = sock;
  ev.id = session.id;
  ev.reason = reason;
  local.control.push_back(std::move(ev));
}

int SrtListener::Send(SRTSOCKET sock, const uint8_t* data, size_t len) {
  int dropped = 0;
  const size_t chunk = static_cast<size_t>(options_.payloadSize);
  for (size_t off = 0; off < len; off += chunk) {
    int size = static_cast<int>(len - off < chunk ? len - off : chunk);
    if (srt_sendmsg2(sock, reinterpret_cast<const char*>(data + off), size, nullptr) != SRT_ERROR) continue;
    if (srt_getlasterror(nullptr) != SRT_EASYNCSND) return -1;
    dropped++;  // send buffer full: a slow viewer loses data, the stream and other viewers do not wait
  }
  if (dropped > 0) {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    auto it = sessions_.find(sock);
    if (it != sessions_.end()) it->second.sendDrops += dropped;
  }
  return dropped;
}

void SrtListener::Close(SRTSOCKET sock, const std::string& reason) {
  Batch local;
  CloseInto(sock, reason, local);
  Flush(local);
}

bool SrtListener::Stats(SRTSOCKET sock, SessionStats* out) {
  {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    auto it = sessions_.find(sock);
    if (it == sessions_.end()) return false;
    out->sendDrops = it->second.sendDrops;
  }
  return srt_bstats(sock, &out->perf, 0) != SRT_ERROR;
}

void SrtListener::Shutdown() {
  ForgetListener(this);
  {
    std::lock_guard<std::mutex> lock(notifyMutex_);
    notifyEnabled_ = false;
  }
  if (!started_) {
    if (listener_ != SRT_INVALID_SOCK) srt_close(listener_);
    listener_ = SRT_INVALID_SOCK;
    if (epoll_ >= 0) srt_epoll_release(epoll_);
    epoll_ = -1;
    return;
  }
  started_ = false;
  running_ = false;
  if (worker_.joinable()) worker_.join();
  srt_close(listener_);
  listener_ = SRT_INVALID_SOCK;
  std::unordered_map<SRTSOCKET, Session> open;
  {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    open.swap(sessions_);
  }
  for (auto& entry : open) srt_close(entry.first);
  srt_epoll_release(epoll_);
  epoll_ = -1;
}

}  // namespace onair_srt
