// Module entry of the onair_srt addon: exports the SrtListener class and libsrt's version.
#include <napi.h>
#include <srt/version.h>

#include "listener-wrap.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("SrtListener", onair_srt::ListenerWrap::Define(env));
  exports.Set("libsrtVersion", Napi::String::New(env, SRT_VERSION_STRING));
  return exports;
}

}  // namespace

NODE_API_MODULE(onair_srt, Init)
