// Seeds a running proctor-server for the review console tests: a FINAL assessment, a learner
// enrolled from a demo face and named "<script>alert(1)</script>", one closed session with
// flags (a second person, someone else verified, an empty seat) and evidence chips, its result
// recorded by the LMS, plus examiner and LMS tokens. Fails the calling test on any error.
#ifndef PROCTOR_TESTS_SUPPORT_CONSOLE_SEED_H_
#define PROCTOR_TESTS_SUPPORT_CONSOLE_SEED_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/server_harness.h"

namespace proctor::testing {

inline constexpr char kScriptLearnerName[] = "<script>alert(1)</script>";

struct ConsoleSeed {
  std::string examiner_token;         // "Dr. Examiner"
  std::string second_examiner_token;  // "Dr. Second": a FINAL rejection needs two
  std::string lms_token;
  std::string session_id;                   // closed, PENDING_REVIEW, result PENDING_REVIEW
  std::vector<uint64_t> evidence_seqs;      // events that carry a chip, in order
  std::vector<std::vector<uint8_t>> chips;  // the JPEG sent with each, same order
  uint64_t events_sent = 0;
  std::vector<uint64_t> batch_heads;  // the last seq of each batch sent, in order
};

ConsoleSeed SeedFlaggedSession(ServerProcess& server);

// A learner as the LMS creates them, with no face template (here enrolled by the administrator
// and then purged, which leaves the same), who enrolled themselves from the client with a pass
// for the seeded assessment and `photo_count` photos of one demo person: the self-enrollment
// waits for an examiner's check. Returns the photos sent; the server keeps the first. Call after
// SeedFlaggedSession.
std::vector<std::vector<uint8_t>> SeedSelfEnrolledLearner(ServerProcess& server,
                                                          const std::string& learner_id,
                                                          const std::string& name,
                                                          int photo_count = 2);

// A batch with a wrong signature, so that /metrics has a verification failure to count.
void SendBadlySignedBatch(ServerProcess& server);

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_CONSOLE_SEED_H_
