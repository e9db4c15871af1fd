// Parses an SRT caller's streamid: a plain id, or the access-control form "#!::r=<id>,m=<mode>".
#include "stream-id.h"

namespace onair_srt {

namespace {
const size_t kMaxStreamIdLength = 512;  // SRT draft: the Stream ID extension carries at most 512 bytes

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Some callers percent-encode the streamid they put in an srt:// URL (ffmpeg 5.1 passes it on as
// written), so "%23%21%3A%3Ar%3D..." arrives for "#!::r=...". An id that starts encoded is decoded.
std::string MaybePercentDecode(const std::string& raw) {
  if (raw.compare(0, 3, "%23") != 0) return raw;
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); i++) {
    int hi = -1, lo = -1;
    if (raw[i] == '%' && i + 2 < raw.size() && (hi = HexValue(raw[i + 1])) >= 0 && (lo = HexValue(raw[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(raw[i]);
    }
  }
  return out;
}

bool HasControlChars(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}
}  // namespace

ParsedStreamId ParseStreamId(const std::string& given) {
  ParsedStreamId out;
  const std::string raw = MaybePercentDecode(given);
  if (raw.empty() || raw.size() > kMaxStreamIdLength || HasControlChars(raw)) return out;

  static const std::string kPrefix = "#!::";
  if (raw.compare(0, kPrefix.size(), kPrefix) != 0) {
    // A plain id: the whole string names the resource; its kind (stream or playback id) gives the mode.
    if (raw[0] == '#') return out;  // "#!" forms other than "#!::" are not supported
    out.ok = true;
    out.resource = raw;
    return out;
  }

  // SRT access control: "#!::" followed by comma-separated key=value pairs; "r" the resource name,
  // "m" the mode (request, publish, bidirectional; "request" when absent), "u" the user (ignored here).
  bool sawResource = false;
  bool sawMode = false;
  std::string body = raw.substr(kPrefix.size());
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t comma = body.find(',', pos);
    if (comma == std::string::npos) comma = body.size();
    std::string pair = body.substr(pos, comma - pos);
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) return out;
    std::string key = pair.substr(0, eq);
    std::string value = pair.substr(eq + 1);
    if (key == "r") {
      if (sawResource || value.empty()) return out;
      sawResource = true;
      out.resource = value;
    } else if (key == "m") {
      if (sawMode) return out;
      sawMode = true;
      if (value == "publish") out.mode = RequestedMode::Publish;
      else if (value == "request") out.mode = RequestedMode::Request;
      else out.mode = RequestedMode::Invalid;
    }
    // other keys (u, s, t, h and custom ones) carry nothing onair needs
    pos = comma + 1;
  }
  if (!sawResource) return out;
  if (!sawMode) out.mode = RequestedMode::Request;
  out.ok = true;
  return out;
}

const char* ModeName(RequestedMode mode) {
  switch (mode) {
    case RequestedMode::Publish: return "publish";
    case RequestedMode::Request: return "request";
    case RequestedMode::Invalid: return "invalid";
    default: return "unspecified";
  }
}

}  // namespace onair_srt
