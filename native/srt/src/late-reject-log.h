// Learns why libsrt refused a caller that onair had admitted (wrong or missing passphrase): libsrt decides
// that after the listen callback and says so only in its log, so a log handler maps the log line back.
#pragma once
#include <srt/srt.h>

#include <string>

namespace onair_srt {

class SrtListener;

// Installs the process-wide libsrt log handler (idempotent). Other log lines are dropped.
void InstallLateRejectLog();
// The listen callback admitted `ns`; a later libsrt rejection of it goes to owner->ReportReject.
void WatchAdmitted(SRTSOCKET ns, SrtListener* owner, const std::string& streamid, const std::string& peer);
void ForgetAdmitted(SRTSOCKET ns);
void ForgetListener(SrtListener* owner);

}  // namespace onair_srt
