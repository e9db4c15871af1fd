// Parses an SRT caller's streamid: a plain id, or the access-control form "#!::r=<id>,m=<mode>".
#pragma once
#include <string>

namespace onair_srt {

enum class RequestedMode { Unspecified, Publish, Request, Invalid };

struct ParsedStreamId {
  bool ok = false;          // false: syntax error (reject with SRT_REJX_BAD_REQUEST)
  std::string resource;     // the stream id or the SRT playback stream id
  RequestedMode mode = RequestedMode::Unspecified;
};

ParsedStreamId ParseStreamId(const std::string& raw);

const char* ModeName(RequestedMode mode);

}  // namespace onair_srt
