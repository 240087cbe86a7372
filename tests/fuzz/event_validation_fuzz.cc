// libFuzzer target: arbitrary bytes as a wire EventBatch, through the same conversion and
// validation the server runs before anything is stored. Must never crash, hang or leak; a batch
// that passes validation must satisfy the invariants the ledger relies on.
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "common/crypto.h"
#include "proctor/v1/session.pb.h"
#include "server/core/event_validation.h"
#include "protocol/event_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  proctor::v1::EventBatch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::vector<proctor::Event> events;
  for (const auto& p : batch.events()) {
    auto e = proctor::protocol::EventFromProto(p);
    if (!e.ok()) return 0;
    events.push_back(std::move(*e));
  }
  if (!proctor::server::ValidateBatch(events).ok()) return 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const proctor::Event& e = events[i];
    // Invariants of a valid batch.
    if (e.seq == 0 || e.at_ms < 0 || e.evidence_jpeg.size() > proctor::kMaxEvidenceBytes) abort();
    if (proctor::server::IsIdentityKind(e.kind) && e.descriptor.size() != 128) abort();
    for (float v : e.descriptor) {
      if (!std::isfinite(v)) abort();
    }
    if (i > 0 && (e.seq != events[i - 1].seq + 1 || e.at_ms < events[i - 1].at_ms)) abort();
    (void)proctor::EventDigest(e);  // hashing any valid event is safe
  }
  return 0;
}
