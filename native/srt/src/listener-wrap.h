// The JS face of SrtListener: a Napi::ObjectWrap that delivers event batches through a thread-safe function.
#pragma once
#include <napi.h>

#include <memory>

#include "srt-listener.h"

namespace onair_srt {

class ListenerWrap : public Napi::ObjectWrap<ListenerWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ListenerWrap(const Napi::CallbackInfo& info);
  ~ListenerWrap() override;

 private:
  Napi::Value Port(const Napi::CallbackInfo& info);
  Napi::Value SetCredential(const Napi::CallbackInfo& info);
  Napi::Value RemoveCredential(const Napi::CallbackInfo& info);
  Napi::Value SetBusy(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value DroppedBytes(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);

  void Deliver(Napi::Env env, Napi::Function callback);
  void Stop();

  std::unique_ptr<SrtListener> listener_;
  Napi::ThreadSafeFunction tsfn_;
  bool stopped_ = false;
  Batch scratch_;
};

}  // namespace onair_srt
