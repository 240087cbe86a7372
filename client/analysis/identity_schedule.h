// IdentitySchedule: when the monitor checks identity, when a mismatch counts, and when a check
// carries an evidence chip — the rules, apart from the face work:
//   - a check is due every interval_ms, at once after any anomaly ends (whoever sits there now
//     may not be who sat there before), and on every frame while a mismatch awaits confirmation;
//   - a mismatch is reported only when seen on confirm_frames checks in a row (one odd frame of
//     the learner — blur, a hand — must not read as someone else); a match resets the run;
//   - evidence goes with every mismatch, the first check, the first check after an anomaly, and
//     otherwise at least every evidence_interval_ms.
// Not thread-safe (the analysis thread owns it).
#ifndef PROCTOR_CLIENT_ANALYSIS_IDENTITY_SCHEDULE_H_
#define PROCTOR_CLIENT_ANALYSIS_IDENTITY_SCHEDULE_H_

#include <cstdint>
#include <optional>

namespace proctor::client {

class IdentitySchedule {
 public:
  IdentitySchedule(int64_t interval_ms, int64_t evidence_interval_ms, int confirm_frames)
      : interval_ms_(interval_ms),
        evidence_interval_ms_(evidence_interval_ms),
        confirm_frames_(confirm_frames) {}

  bool Due(int64_t at_ms) const {
    return due_now_ || mismatches_pending_ > 0 || !last_check_ms_ ||
           at_ms - *last_check_ms_ >= interval_ms_;
  }
  // A check was made at `at_ms` with this outcome. Returns what to report: nullopt while a
  // mismatch awaits confirmation (report nothing yet), else the run of frames it was seen on
  // (0 for a match). Without an enrolled template every mismatch is reported at once.
  std::optional<int> Checked(int64_t at_ms, bool match, bool enrolled) {
    due_now_ = false;
    last_check_ms_ = at_ms;
    if (match) {
      mismatches_pending_ = 0;
      return 0;
    }
    if (enrolled && ++mismatches_pending_ < confirm_frames_) return std::nullopt;
    const int run = mismatches_pending_;
    mismatches_pending_ = 0;
    return run;
  }
  bool EvidenceDue(int64_t at_ms, bool match) const {
    return !match || !last_evidence_ms_ || after_anomaly_ ||
           at_ms - *last_evidence_ms_ >= evidence_interval_ms_;
  }
  // Evidence was due and `attached` says whether a chip went with the event.
  void EvidenceSent(int64_t at_ms, bool attached) {
    if (attached) last_evidence_ms_ = at_ms;
    after_anomaly_ = false;
  }
  void AnomalyEnded() {
    due_now_ = true;
    after_anomaly_ = true;
  }

 private:
  const int64_t interval_ms_;
  const int64_t evidence_interval_ms_;
  const int confirm_frames_;
  std::optional<int64_t> last_check_ms_;
  std::optional<int64_t> last_evidence_ms_;
  bool due_now_ = false;
  bool after_anomaly_ = false;
  int mismatches_pending_ = 0;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_ANALYSIS_IDENTITY_SCHEDULE_H_
