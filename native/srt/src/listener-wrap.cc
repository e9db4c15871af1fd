// The JS face of SrtListener: a Napi::ObjectWrap that delivers event batches through a thread-safe function.
#include "listener-wrap.h"

namespace onair_srt {

namespace {

int IntOption(const Napi::Object& o, const char* key, int fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
}

bool ExpectArgs(const Napi::CallbackInfo& info, size_t count) {
  if (info.Length() >= count) return true;
  Napi::TypeError::New(info.Env(), "missing arguments").ThrowAsJavaScriptException();
  return false;
}

}  // namespace

Napi::Function ListenerWrap::Define(Napi::Env env) {
  return DefineClass(env, "SrtListener",
                     {
                         InstanceMethod("port", &ListenerWrap::Port),
                         InstanceMethod("setCredential", &ListenerWrap::SetCredential),
                         InstanceMethod("removeCredential", &ListenerWrap::RemoveCredential),
                         InstanceMethod("setBusy", &ListenerWrap::SetBusy),
                         InstanceMethod("send", &ListenerWrap::Send),
                         InstanceMethod("close", &ListenerWrap::Close),
                         InstanceMethod("stats", &ListenerWrap::Stats),
                         InstanceMethod("droppedBytes", &ListenerWrap::DroppedBytes),
                         InstanceMethod("shutdown", &ListenerWrap::Shutdown),
                     });
}

// new SrtListener(options, onEvents): options { host, port, latencyMs, payloadSize, peerIdleTimeoutMs,
// floodLimit, floodWindowMs, publisherStaleMs, maxPendingBytes }; onEvents(control[], index: Int32Array, data: Buffer)
ListenerWrap::ListenerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ListenerWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "new SrtListener(options, onEvents)").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  ListenerOptions options;
  if (o.Get("host").IsString()) options.host = o.Get("host").As<Napi::String>().Utf8Value();
  options.port = IntOption(o, "port", options.port);
  options.latencyMs = IntOption(o, "latencyMs", options.latencyMs);
  options.payloadSize = IntOption(o, "payloadSize", options.payloadSize);
  options.peerIdleTimeoutMs = IntOption(o, "peerIdleTimeoutMs", options.peerIdleTimeoutMs);
  options.floodLimit = IntOption(o, "floodLimit", options.floodLimit);
  options.floodWindowMs = IntOption(o, "floodWindowMs", options.floodWindowMs);
  options.publisherStaleMs = IntOption(o, "publisherStaleMs", options.publisherStaleMs);
  options.maxPendingBytes = static_cast<size_t>(IntOption(o, "maxPendingBytes", static_cast<int>(options.maxPendingBytes)));

  tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "onair-srt-events", 0, 1);
  listener_ = std::make_unique<SrtListener>(options, [this]() {
    tsfn_.NonBlockingCall([this](Napi::Env env, Napi::Function callback) { Deliver(env, callback); });
  });
  std::string error;
  if (!listener_->Start(&error)) {
    Stop();
    Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return;
  }
}

ListenerWrap::~ListenerWrap() { Stop(); }

void ListenerWrap::Stop() {
  if (stopped_) return;
  stopped_ = true;
  listener_->Shutdown();  // no notify after this returns
  tsfn_.Release();
}

void ListenerWrap::Deliver(Napi::Env env, Napi::Function callback) {
  if (stopped_) return;
  listener_->Events().Take(scratch_);
  if (scratch_.Empty()) return;
  Napi::HandleScope scope(env);
  Napi::Array control = Napi::Array::New(env, scratch_.control.size());
  for (size_t i = 0; i < scratch_.control.size(); i++) {
    const ControlEvent& ev = scratch_.control[i];
    Napi::Object o = Napi::Object::New(env);
    switch (ev.kind) {
      case ControlEvent::Accept:
        o.Set("type", "accept");
        o.Set("socket", ev.sock);
        o.Set("id", ev.id);
        o.Set("mode", ev.mode);
        o.Set("peer", ev.peer);
        break;
      case ControlEvent::Close:
        o.Set("type", "close");
        o.Set("socket", ev.sock);
        o.Set("id", ev.id);
        o.Set("reason", ev.reason);
        break;
      case ControlEvent::Reject:
        o.Set("type", "reject");
        o.Set("code", ev.code);
        o.Set("streamId", ev.id);
        o.Set("peer", ev.peer);
        break;
    }
    control.Set(static_cast<uint32_t>(i), o);
  }
  // One copy per batch; JS slices it per socket (subarray) with the (socket, offset, length) triples.
  Napi::Int32Array index = Napi::Int32Array::New(env, scratch_.data.size() * 3);
  for (size_t i = 0; i < scratch_.data.size(); i++) {
    index[i * 3] = scratch_.data[i].sock;
    index[i * 3 + 1] = static_cast<int32_t>(scratch_.data[i].offset);
    index[i * 3 + 2] = static_cast<int32_t>(scratch_.data[i].length);
  }
  Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::Copy(env, scratch_.bytes.data(), scratch_.bytes.size());
  callback.Call({control, index, data});
}

Napi::Value ListenerWrap::Port(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), listener_->Port());
}

// setCredential(id, passphrase, mode: 'publish' | 'request', state: 'ok' | 'disabled')
Napi::Value ListenerWrap::SetCredential(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 4)) return info.Env().Undefined();
  std::string id = info[0].ToString().Utf8Value();
  std::string passphrase = info[1].ToString().Utf8Value();
  std::string mode = info[2].ToString().Utf8Value();
  std::string state = info[3].ToString().Utf8Value();
  if (mode != "publish" && mode != "request") {
    Napi::TypeError::New(info.Env(), "mode must be 'publish' or 'request'").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  listener_->Credentials().Set(id, passphrase, mode == "publish" ? IdKind::Publish : IdKind::Request, state == "ok");
  return info.Env().Undefined();
}

Napi::Value ListenerWrap::RemoveCredential(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 1)) return info.Env().Undefined();
  listener_->Credentials().Remove(info[0].ToString().Utf8Value());
  return info.Env().Undefined();
}

Napi::Value ListenerWrap::SetBusy(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2)) return info.Env().Undefined();
  listener_->Credentials().SetBusy(info[0].ToString().Utf8Value(), info[1].ToBoolean().Value());
  return info.Env().Undefined();
}

// send(socket, buf): number of messages dropped (send buffer full), -1 if the socket is gone
Napi::Value ListenerWrap::Send(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 2) || !info[1].IsBuffer()) return Napi::Number::New(info.Env(), -1);
  if (stopped_) return Napi::Number::New(info.Env(), -1);
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  int r = listener_->Send(info[0].As<Napi::Number>().Int32Value(), buf.Data(), buf.Length());
  return Napi::Number::New(info.Env(), r);
}

Napi::Value ListenerWrap::Close(const Napi::CallbackInfo& info) {
  if (!ExpectArgs(info, 1) || stopped_) return info.Env().Undefined();
  std::string reason = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "closed";
  listener_->Close(info[0].As<Napi::Number>().Int32Value(), reason);
  return info.Env().Undefined();
}

Napi::Value ListenerWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionStats s{};
  if (!ExpectArgs(info, 1) || stopped_ || !listener_->Stats(info[0].As<Napi::Number>().Int32Value(), &s)) {
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("msRTT", s.perf.msRTT);
  o.Set("mbpsRecvRate", s.perf.mbpsRecvRate);
  o.Set("mbpsSendRate", s.perf.mbpsSendRate);
  o.Set("mbpsBandwidth", s.perf.mbpsBandwidth);
  o.Set("pktRecv", static_cast<double>(s.perf.pktRecvTotal));
  o.Set("pktSent", static_cast<double>(s.perf.pktSentTotal));
  o.Set("pktRcvLoss", s.perf.pktRcvLossTotal);
  o.Set("pktSndLoss", s.perf.pktSndLossTotal);
  o.Set("pktRetrans", s.perf.pktRetransTotal);
  o.Set("pktRcvRetrans", s.perf.pktRcvRetrans);
  o.Set("pktRcvDrop", s.perf.pktRcvDropTotal);
  o.Set("pktSndDrop", s.perf.pktSndDropTotal);
  o.Set("byteRecv", static_cast<double>(s.perf.byteRecvTotal));
  o.Set("byteSent", static_cast<double>(s.perf.byteSentTotal));
  o.Set("msRcvTsbPdDelay", s.perf.msRcvTsbPdDelay);
  o.Set("msSndTsbPdDelay", s.perf.msSndTsbPdDelay);
  o.Set("sendDrops", static_cast<double>(s.sendDrops));
  return o;
}

Napi::Value ListenerWrap::DroppedBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(listener_->Events().DroppedBytes()));
}

Napi::Value ListenerWrap::Shutdown(const Napi::CallbackInfo& info) {
  Stop();
  return info.Env().Undefined();
}

}  // namespace onair_srt
