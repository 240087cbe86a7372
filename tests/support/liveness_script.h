// A learner who performs the session's liveness challenge, for tests that build a session's
// events by hand (LearnerSession): the LIVENESS_STEP events with frames of the person in
// `photo` doing each step (client/tools/face_actor.h), as the real client would send them.
#ifndef PROCTOR_TESTS_SUPPORT_LIVENESS_SCRIPT_H_
#define PROCTOR_TESTS_SUPPORT_LIVENESS_SCRIPT_H_

#include <cstdint>
#include <vector>

#include "common/event.h"
#include "tests/support/server_harness.h"

namespace proctor::testing {

// The person should face the camera (a photo already turned far cannot turn further and still be
// found). Step 0 at `at_ms`, each further step 1.2 s after the previous one, then the client's
// LIVENESS_PASSED claim; the events are chained by `session` (not yet sent). Fails the calling
// test (ADD_FAILURE) and returns nothing when the models are missing or the photo shows no
// single face.
std::vector<Event> PerformChallenge(LearnerSession& session, const std::vector<uint8_t>& photo_jpeg,
                                    int64_t at_ms);

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_LIVENESS_SCRIPT_H_
