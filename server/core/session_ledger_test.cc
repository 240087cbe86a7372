#include "server/core/session_ledger.h"

#include <future>
#include <map>

#include "gtest/gtest.h"
#include "protocol/consent.h"
#include "protocol/identity_rule.h"
#include "protocol/liveness.h"
#include "protocol/testing/identity_fixtures.h"
#include "server/core/consent_notices.h"
#include "server/core/proctor_core.h"
#include "server/storage/memory_storage.h"

namespace proctor::server {
namespace {

// Accepts JPEG-looking bytes, embeds every chip to a fixed descriptor.
class FakeInspector : public EvidenceInspector {
 public:
  absl::Status CheckJpeg(const std::vector<uint8_t>& jpeg) override {
    if (jpeg.size() < 2 || jpeg[0] != 0xff || jpeg[1] != 0xd8) {
      return absl::InvalidArgumentError("not a JPEG");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<float>> EmbedChip(const std::vector<uint8_t>&) override {
    ++chips;
    return chip_descriptor;
  }
  absl::StatusOr<std::vector<float>> EmbedEnrollmentPhoto(const std::vector<uint8_t>&) override {
    return chip_descriptor;
  }
  // A frame is as clear as its second byte after the JPEG marker says: 0 dark, else clear.
  absl::StatusOr<FrameClarity> AssessFrame(const std::vector<uint8_t>& jpeg) override {
    ++frames;
    const bool clear = jpeg.size() > 2 && jpeg[2] != 0;
    return FrameClarity{clear, clear ? 120.0 : 8.0, 300.0, clear ? "ok" : "too dark"};
  }
  // Liveness frames measure as `liveness_frames` says, keyed by the JPEG's third byte.
  absl::StatusOr<LivenessFrame> MeasureLivenessFrame(const std::vector<uint8_t>& jpeg) override {
    const int key = jpeg.size() > 2 ? jpeg[2] : 0;
    auto it = liveness_frames.find(key);
    if (it == liveness_frames.end()) return absl::InvalidArgumentError("unknown test frame");
    return it->second;
  }
  std::map<int, LivenessFrame> liveness_frames;
  std::vector<float> chip_descriptor = std::vector<float>(128, 0.0f);
  std::atomic<int> chips{0};
  std::atomic<int> frames{0};
};

// A failure-injecting wrapper: the Nth AppendBatches call fails with UNAVAILABLE.
class FlakyStorage : public MemoryStorage {
 public:
  absl::StatusOr<std::vector<absl::Status>> AppendBatches(
      const std::vector<AppendBatch>& batches) override {
    if (++calls == fail_on_call) return absl::UnavailableError("disk full (injected)");
    return MemoryStorage::AppendBatches(batches);
  }
  int calls = 0;
  int fail_on_call = -1;
};

class SessionLedgerTest : public ::testing::Test {
 protected:
  SessionLedgerTest()
      : box_(SealedBox::FromKeyForTest({})),
        committer_(&storage_, {}),
        ledger_(&storage_, &committer_, &box_, &inspector_, &clock_) {
    // The tests below the consent tests are about the chain, evidence and scoring.
    ledger_.set_consent_required(false);
  }

  void SetUp() override {
    ASSERT_TRUE(storage_.CreateAssessment({"a", "c", "t", AssessmentKind::kFinal, 0}).ok());
    ASSERT_TRUE(storage_.UpsertLearner("l", "L").ok());
    std::vector<float> enrolled(128, 0.0f);
    ASSERT_TRUE(
        storage_.ReplaceTemplates("l", {box_.Seal(DescriptorBytes(enrolled), TemplateAd("l"))})
            .ok());
    ASSERT_TRUE(storage_.PutPass({"ph", "l", "a", 10'000, false}).ok());
    SessionRecord s;
    s.id = "s1";
    s.client_public_key.assign(key_.public_key().begin(), key_.public_key().end());
    ASSERT_TRUE(storage_.RedeemPass("ph", 0, s, {"th", Role::kLearner, "x", "s1", 0}).ok());
  }

  Event Next(EventKind kind, std::vector<float> descriptor = {},
             std::vector<uint8_t> evidence = {}, EventPhase phase = EventPhase::kInstant,
             std::string detail = "") {
    Event e;
    e.session_id = sid_;
    e.seq = ++seq_;
    e.kind = kind;
    e.phase = phase;
    e.detail = std::move(detail);
    e.at_ms = static_cast<int64_t>(seq_) * 1000;
    e.descriptor = std::move(descriptor);
    if (!e.descriptor.empty()) e.client_distance = -1;
    e.evidence_jpeg = std::move(evidence);
    e.prev_hash = head_;
    head_ = EventDigest(e);
    return e;
  }

  // The session's liveness challenge as step events whose frames the fake inspector measures as
  // a person performing `performed` (by default the challenge itself), one second apart; then
  // the client's claim `claim` (none when kUnspecified).
  std::vector<Event> Challenge(std::optional<std::vector<protocol::LivenessAction>> performed = {},
                               EventKind claim = EventKind::kLivenessPassed) {
    const protocol::LivenessChallengeSpec spec = LivenessChallengeFor(box_, sid_);
    const std::vector<protocol::LivenessAction> acts = performed.value_or(spec.actions);
    const int n = static_cast<int>(spec.actions.size());
    LivenessFrame ref{1, 2, -10, 0.3, std::vector<float>(128, 0.0f), ""};
    std::vector<Event> out;
    for (int i = 0; i <= n; ++i) {
      LivenessFrame f = ref;
      const auto act = i == 0 ? protocol::LivenessAction::kLookStraight : acts[i - 1];
      if (act == protocol::LivenessAction::kTurnLeft) f.yaw_deg += 25;
      if (act == protocol::LivenessAction::kTurnRight) f.yaw_deg -= 25;
      if (act == protocol::LivenessAction::kLookUp) f.pitch_deg += 15;
      if (act == protocol::LivenessAction::kBlink) f.eye_aspect_ratio = 0.1;
      inspector_.liveness_frames[100 + i] = f;
      const auto asked = i == 0 ? protocol::LivenessAction::kLookStraight : spec.actions[i - 1];
      out.push_back(Next(EventKind::kLivenessStep, {},
                         {0xff, 0xd8, static_cast<uint8_t>(100 + i), 0xd9}, EventPhase::kInstant,
                         protocol::LivenessStepDetail({spec.nonce_hex, i, n, asked})));
    }
    if (claim != EventKind::kUnspecified) out.push_back(Next(claim));
    return out;
  }
  std::vector<Finding> FindingsOf(EventKind kind) {
    std::vector<Finding> out;
    const auto all = storage_.ListFindings(sid_);
    for (const Finding& f : *all) {
      if (f.kind == kind) out.push_back(f);
    }
    return out;
  }

  absl::StatusOr<IngestAck> Ingest(std::vector<Event> events, const SigningKey* key = nullptr) {
    const Hash32 h = EventDigest(events.back());
    const Signature sig = (key ? key : &key_)->Sign(h.data(), h.size());
    std::promise<absl::StatusOr<IngestAck>> done;
    ledger_.Ingest(sid_, std::move(events), sig,
                   [&](absl::StatusOr<IngestAck> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  ManualClock clock_{1000};
  FlakyStorage storage_;
  SealedBox box_;
  FakeInspector inspector_;
  SigningKey key_ = SigningKey::Generate();
  GroupCommitter committer_;
  SessionLedger ledger_;
  uint64_t seq_ = 0;
  Hash32 head_{};
  std::string sid_ = "s1";  // the session Next() and Ingest() speak for
};

TEST_F(SessionLedgerTest, StoresChainedBatchesAndComputesServerDistance) {
  std::vector<float> probe(128, 0.0f);
  probe[0] = 0.3f;
  auto ack = Ingest({Next(EventKind::kSessionStarted), Next(EventKind::kIdentityVerified, probe)});
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->acked_seq, 2u);
  auto events = storage_.ListEvents("s1");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_NEAR((*events)[1].server_distance, 0.3f, 1e-6);
  EXPECT_EQ((*events)[1].hash, head_);
}

// A learner enrolled with three photos, the first a weaker one (protocol/testing fixtures).
class MultiTemplateLedgerTest : public SessionLedgerTest {
 protected:
  void SetUp() override {
    SessionLedgerTest::SetUp();
    std::vector<std::vector<uint8_t>> sealed;
    for (const auto& t : protocol::testing::ThreeTemplatesWeakFirst()) {
      sealed.push_back(box_.Seal(DescriptorBytes(t), TemplateAd("l")));
    }
    ASSERT_TRUE(storage_.ReplaceTemplates("l", sealed).ok());
  }

  // An identity event as a client applying the identity rule reports it, `claimed` its distance.
  Event Identity(const std::vector<float>& probe, double claimed) {
    Event e = Next(EventKind::kIdentityVerified, probe);
    e.kind = protocol::SamePerson(claimed, PolicyFor(AssessmentKind::kFinal).match_threshold)
                 ? EventKind::kIdentityVerified
                 : EventKind::kIdentityMismatch;
    e.client_distance = static_cast<float>(claimed);
    head_ = EventDigest(e);
    return e;
  }

  std::vector<EventKind> FlagKinds(const Scorecard& card) {
    std::vector<EventKind> kinds;
    for (const auto& f : card.flags) kinds.push_back(f.kind);
    return kinds;
  }
};

TEST_F(MultiTemplateLedgerTest, AnHonestClientMeasuringTheNearestTemplateRaisesNoEvidenceMismatch) {
  const auto templates = protocol::testing::ThreeTemplatesWeakFirst();
  const auto probe = protocol::testing::BorderlineProbe();
  const double nearest = *protocol::IdentityDistance(probe, templates);
  ASSERT_TRUE(Ingest({Next(EventKind::kSessionStarted)}).ok());
  auto ack = Ingest({Identity(probe, nearest)});
  ASSERT_TRUE(ack.ok()) << ack.status();
  auto events = storage_.ListEvents("s1");
  ASSERT_TRUE(events.ok());
  // The server measured the nearest of all three templates, not the first (0.673).
  EXPECT_NEAR((*events)[1].server_distance, protocol::testing::Hypot(0.2, 0.45), 1e-6);
  EXPECT_EQ((*events)[1].event.kind, EventKind::kIdentityVerified);
  auto card = ledger_.Close("s1", 2000, 0);
  ASSERT_TRUE(card.ok()) << card.status();
  for (EventKind kind : FlagKinds(*card)) {
    EXPECT_NE(kind, EventKind::kEvidenceMismatch);
    EXPECT_NE(kind, EventKind::kIdentityMismatch);
  }
}

TEST_F(MultiTemplateLedgerTest, AClientThatLiesAboutItsDistanceIsStillFlagged) {
  const auto templates = protocol::testing::ThreeTemplatesWeakFirst();
  ASSERT_TRUE(Ingest({Next(EventKind::kSessionStarted)}).ok());
  // The impostor's nearest template is 0.728 away; the client claims 0.3 and VERIFIED.
  const auto impostor = protocol::testing::ImpostorProbe();
  ASSERT_GT(*protocol::IdentityDistance(impostor, templates), 0.7);
  ASSERT_TRUE(Ingest({Identity(impostor, 0.3)}).ok());
  // An honest face whose distance is misreported (0.10 lower than measured).
  const auto honest = protocol::testing::HonestProbe();
  ASSERT_TRUE(
      Ingest({Identity(honest, *protocol::IdentityDistance(honest, templates) - 0.1)}).ok());
  auto card = ledger_.Close("s1", 3000, 0);
  ASSERT_TRUE(card.ok()) << card.status();
  const auto kinds = FlagKinds(*card);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), EventKind::kEvidenceMismatch), 2);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), EventKind::kIdentityMismatch), 1);
  EXPECT_EQ(card->verdict, Verdict::kPendingReview);
}

TEST_F(SessionLedgerTest, ALearnerBackFromAnotherReplicaContinuesWhereThatReplicaStored) {
  // Replica A (ledger_) caches the session at seq 2; the learner moves to replica B (another
  // ledger on the same database), which stores 3-4; then back to A with seq 5.
  ASSERT_TRUE(Ingest({Next(EventKind::kSessionStarted), Next(EventKind::kHeartbeat)}).ok());
  GroupCommitter committer_b(&storage_, {});
  SessionLedger replica_b(&storage_, &committer_b, &box_, &inspector_, &clock_);
  std::vector<Event> on_b = {Next(EventKind::kHeartbeat), Next(EventKind::kHeartbeat)};
  const Hash32 h = EventDigest(on_b.back());
  std::promise<absl::StatusOr<IngestAck>> done_b;
  replica_b.Ingest("s1", on_b, key_.Sign(h.data(), h.size()),
                   [&](absl::StatusOr<IngestAck> r) { done_b.set_value(std::move(r)); });
  auto ack_b = done_b.get_future().get();
  ASSERT_TRUE(ack_b.ok()) << ack_b.status();
  ASSERT_EQ(ack_b->acked_seq, 4u);

  auto ack = Ingest({Next(EventKind::kHeartbeat)});
  ASSERT_TRUE(ack.ok()) << "A must look at the database before calling seq 5 a gap: "
                        << ack.status();
  EXPECT_EQ(ack->acked_seq, 5u);
  EXPECT_EQ(storage_.ListEvents("s1")->size(), 5u);
  // A real gap is still one.
  Next(EventKind::kHeartbeat);  // seq 6 never sent
  auto gap = Ingest({Next(EventKind::kHeartbeat)});
  EXPECT_TRUE(absl::IsFailedPrecondition(gap.status())) << gap.status();
  EXPECT_EQ(storage_.ListEvents("s1")->size(), 5u);
}

TEST_F(SessionLedgerTest, ResendIsAcknowledgedWithoutStoringTwice) {
  std::vector<Event> batch = {Next(EventKind::kSessionStarted), Next(EventKind::kHeartbeat)};
  ASSERT_TRUE(Ingest(batch).ok());
  batch.push_back(Next(EventKind::kHeartbeat));  // resend 1-2 plus a new 3
  auto ack = Ingest(batch);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->acked_seq, 3u);
  EXPECT_EQ(ack->duplicates, 2u);
  EXPECT_EQ(storage_.ListEvents("s1")->size(), 3u);
}

TEST_F(SessionLedgerTest, StoresEachAcceptedBatchsHeadSignatureOnceAndNoRefusedOne) {
  std::vector<Event> batch = {Next(EventKind::kSessionStarted), Next(EventKind::kHeartbeat)};
  ASSERT_TRUE(Ingest(batch).ok());
  const Hash32 head2 = head_;
  ASSERT_TRUE(Ingest(batch).ok());  // a full resend: acknowledged, nothing stored again
  batch.push_back(Next(EventKind::kHeartbeat));  // resend 1-2 plus a new 3
  ASSERT_TRUE(Ingest(batch).ok());
  const SigningKey stranger = SigningKey::Generate();
  EXPECT_TRUE(absl::IsUnauthenticated(Ingest({Next(EventKind::kHeartbeat)}, &stranger).status()));

  auto signatures = storage_.ListBatchSignatures("s1");
  ASSERT_TRUE(signatures.ok()) << signatures.status();
  ASSERT_EQ(signatures->size(), 2u);
  EXPECT_EQ((*signatures)[0].head_seq, 2u);
  EXPECT_EQ((*signatures)[0].signature, key_.Sign(head2.data(), head2.size()));
  EXPECT_EQ((*signatures)[1].head_seq, 3u);
  const Hash32 head3 = (*storage_.ListEvents("s1"))[2].hash;
  EXPECT_TRUE(
      VerifySignature(key_.public_key(), head3.data(), head3.size(), (*signatures)[1].signature));
}

TEST_F(SessionLedgerTest, StatsCountStoredEventsLatencyAndEachVerificationFailure) {
  std::vector<Event> batch = {Next(EventKind::kSessionStarted), Next(EventKind::kHeartbeat)};
  ASSERT_TRUE(Ingest(batch).ok());
  batch.push_back(Next(EventKind::kHeartbeat));
  ASSERT_TRUE(Ingest(batch).ok());  // two resent, one new
  const SigningKey stranger = SigningKey::Generate();
  EXPECT_TRUE(absl::IsUnauthenticated(Ingest({Next(EventKind::kHeartbeat)}, &stranger).status()));
  --seq_;  // build seq 4 again, chained to a wrong head
  head_ = Hash32{};
  EXPECT_TRUE(absl::IsFailedPrecondition(Ingest({Next(EventKind::kHeartbeat)}).status()));
  const LedgerStats stats = ledger_.stats();
  EXPECT_EQ(stats.events_stored, 3u);
  EXPECT_EQ(stats.events_duplicate, 2u);
  EXPECT_EQ(stats.batches_accepted, 2u);
  EXPECT_EQ(stats.bad_signatures, 1u);
  EXPECT_EQ(stats.broken_chains, 1u);
  EXPECT_EQ(stats.forks, 0u);
  EXPECT_EQ(stats.ingest_latency.count, 2u);  // acknowledged batches only
}

TEST_F(SessionLedgerTest, StorageFailureAcknowledgesNothingAndRecovers) {
  storage_.fail_on_call = 1;
  std::vector<Event> batch = {Next(EventKind::kSessionStarted)};
  EXPECT_EQ(Ingest(batch).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(storage_.ListEvents("s1")->size(), 0u);
  auto ack = Ingest(batch);  // the client resends after UNAVAILABLE
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->acked_seq, 1u);
}

TEST_F(SessionLedgerTest, WrongKeyIsUnauthenticated) {
  const SigningKey other = SigningKey::Generate();
  EXPECT_EQ(Ingest({Next(EventKind::kSessionStarted)}, &other).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(SessionLedgerTest, RechecksEvidenceChipsAndRecordsDisagreement) {
  std::vector<float> probe(128, 0.0f);
  const std::vector<uint8_t> jpeg = {0xff, 0xd8, 0xff, 0xd9};
  inspector_.chip_descriptor.assign(128, 0.1f);  // 1.13 away from what the client sent
  auto batch = Challenge();
  batch.push_back(Next(EventKind::kIdentityVerified, probe, jpeg));
  ASSERT_TRUE(Ingest(batch).ok());
  auto card = ledger_.Close("s1", 5000);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(inspector_.chips.load(), 1);  // FINAL re-checks every chip
  const auto findings = FindingsOf(EventKind::kEvidenceMismatch);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].event_seq, batch.back().seq);
  EXPECT_EQ(card->verdict, Verdict::kPendingReview);
  // Closed: a resend of what was stored is still acknowledged (the client may have missed the
  // ack), nothing new is accepted, and closing again keeps the outcome.
  seq_ = 0;
  head_ = Hash32{};
  std::vector<Event> resend = Challenge();
  resend.push_back(Next(EventKind::kIdentityVerified, probe, jpeg));
  auto again = Ingest(resend);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->duplicates, resend.size());
  EXPECT_EQ(Ingest({Next(EventKind::kHeartbeat)}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ledger_.Close("s1", 9000)->verdict, Verdict::kPendingReview);
}

// A client that "could not tell" whether anyone was there must show it: the server measures the
// frame it sent, believes a dark one, and records a clear one as EVIDENCE_MISMATCH.
TEST_F(SessionLedgerTest, CouldNotTellIsCheckedOnTheFrameTheClientSent) {
  const std::vector<uint8_t> dark = {0xff, 0xd8, 0x00, 0xff, 0xd9};
  const std::vector<uint8_t> clear = {0xff, 0xd8, 0x01, 0xff, 0xd9};
  const std::string claim = "could not tell: frame too dark (brightness 8)";
  ASSERT_TRUE(Ingest({Next(EventKind::kFaceAbsent, {}, dark, EventPhase::kBegin, claim),
                      Next(EventKind::kFaceAbsent, {}, {}, EventPhase::kEnd, "face back"),
                      Next(EventKind::kFaceAbsent, {}, clear, EventPhase::kBegin, claim),
                      Next(EventKind::kFaceAbsent, {}, {}, EventPhase::kEnd, "face back"),
                      Next(EventKind::kFaceAbsent, {}, clear, EventPhase::kBegin,
                           "no face in view")})
                  .ok());
  ASSERT_TRUE(ledger_.Close("s1", 9000).ok());
  EXPECT_EQ(inspector_.frames.load(), 2) << "every claim is checked, and only claims";
  auto findings = storage_.ListFindings("s1");
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u) << "the dark frame is believed";
  EXPECT_EQ((*findings)[0].kind, EventKind::kEvidenceMismatch);
  EXPECT_EQ((*findings)[0].event_seq, 3u);
  EXPECT_NE((*findings)[0].detail.find("frame too dark"), std::string::npos);
  EXPECT_NE((*findings)[0].detail.find("is clear"), std::string::npos) << (*findings)[0].detail;
}

// Quality control: with 100% sampling a session the policy auto-accepts goes to review, and the
// audit log says why; with 0% it is accepted. A session that needs review is not "sampled".
TEST_F(SessionLedgerTest, AutoAcceptedSessionsAreSampledIntoReviewForQualityControl) {
  std::vector<float> probe(128, 0.0f);
  const std::vector<uint8_t> jpeg = {0xff, 0xd8, 0xff, 0xd9};
  // FINAL: liveness passed, identity verified with a chip that re-embeds as sent.
  auto batch = Challenge();
  batch.push_back(Next(EventKind::kIdentityVerified, probe, jpeg));
  ASSERT_TRUE(Ingest(batch).ok());
  ledger_.set_quality_sample_percent(100);
  auto card = ledger_.Close("s1", 3000);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->verdict, Verdict::kPendingReview);
  EXPECT_EQ(storage_.GetSession("s1")->verdict, Verdict::kPendingReview);
  auto audit = storage_.ListAudit();
  ASSERT_TRUE(audit.ok());
  int sampled = 0;
  for (const auto& e : *audit) sampled += e.action == "review.sampled" && e.subject == "s1";
  EXPECT_EQ(sampled, 1);
  ASSERT_TRUE(ledger_.Close("s1", 3000).ok());
  audit = storage_.ListAudit();
  sampled = 0;
  for (const auto& e : *audit) sampled += e.action == "review.sampled";
  EXPECT_EQ(sampled, 1) << "closing again draws nothing new";
}

TEST_F(SessionLedgerTest, WithoutSamplingACleanSessionIsAutoAccepted) {
  std::vector<float> probe(128, 0.0f);
  const std::vector<uint8_t> jpeg = {0xff, 0xd8, 0xff, 0xd9};
  auto batch = Challenge();
  batch.push_back(Next(EventKind::kIdentityVerified, probe, jpeg));
  ASSERT_TRUE(Ingest(batch).ok());
  auto card = ledger_.Close("s1", 3000);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->verdict, Verdict::kAutoAccepted);
  ASSERT_EQ(FindingsOf(EventKind::kLivenessPassed).size(), 1u);
}

// The server judges the challenge from the frames, not from the client's word.
TEST_F(SessionLedgerTest, LivenessIsJudgedFromTheStepFramesNotTheClaim) {
  const auto spec = LivenessChallengeFor(box_, "s1");
  EXPECT_EQ(LivenessChallengeFor(box_, "s1").nonce_hex, spec.nonce_hex) << "every replica alike";
  EXPECT_NE(LivenessChallengeFor(box_, "s2").nonce_hex, spec.nonce_hex);
  EXPECT_NE(LivenessChallengeFor(SealedBox::FromKeyForTest({1}), "s1").nonce_hex, spec.nonce_hex)
      << "another key, another nonce: a client cannot compute it";
  // A recording of the learner performing another order, with a claimed pass.
  std::vector<protocol::LivenessAction> other = spec.actions;
  std::rotate(other.begin(), other.begin() + 1, other.end());
  ASSERT_TRUE(Ingest(Challenge(other)).ok());
  auto card = ledger_.Close("s1", 10000);
  ASSERT_TRUE(card.ok()) << card.status();
  const auto failed = FindingsOf(EventKind::kLivenessFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].detail.find("failed at step 1/5"), std::string::npos) << failed[0].detail;
  const auto mismatch = FindingsOf(EventKind::kEvidenceMismatch);
  ASSERT_EQ(mismatch.size(), 1u) << "the client claimed a pass the frames do not show";
  EXPECT_NE(mismatch[0].detail.find("reported LIVENESS_PASSED"), std::string::npos);
  EXPECT_TRUE(FindingsOf(EventKind::kLivenessPassed).empty());
  EXPECT_EQ(card->verdict, Verdict::kPendingReview);
  EXPECT_EQ(ledger_.stats().liveness_failed, 1u);
  // Closing again judges nothing twice.
  ASSERT_TRUE(ledger_.Close("s1", 10000).ok());
  EXPECT_EQ(FindingsOf(EventKind::kLivenessFailed).size(), 1u);
}

TEST_F(SessionLedgerTest, ABareLivenessClaimIsNotAPass) {
  ASSERT_TRUE(Ingest({Next(EventKind::kSessionStarted), Next(EventKind::kLivenessPassed)}).ok());
  ASSERT_TRUE(ledger_.Close("s1", 5000).ok());
  const auto failed = FindingsOf(EventKind::kLivenessFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].detail.find("sent no frame of the server's challenge"), std::string::npos)
      << failed[0].detail;
  EXPECT_TRUE(FindingsOf(EventKind::kEvidenceMismatch).empty())
      << "a client older than the challenge is not accused of lying";
}

// A client that ran the challenge but never claimed anything is judged when the session closes;
// a session that ran no challenge at all is not judged (its policy says whether that matters).
TEST_F(SessionLedgerTest, StepsWithoutAClaimAreJudgedAtClose) {
  ASSERT_TRUE(Ingest(Challenge({}, EventKind::kUnspecified)).ok());
  ASSERT_TRUE(ledger_.Close("s1", 10000).ok());
  EXPECT_EQ(FindingsOf(EventKind::kLivenessPassed).size(), 1u);
  EXPECT_TRUE(FindingsOf(EventKind::kEvidenceMismatch).empty());
}

TEST_F(SessionLedgerTest, ASessionWithoutAChallengeIsNotJudged) {
  ASSERT_TRUE(Ingest({Next(EventKind::kSessionStarted)}).ok());
  ASSERT_TRUE(ledger_.Close("s1", 5000).ok());
  EXPECT_TRUE(storage_.ListFindings("s1")->empty());
}

// Retention on a database with an old and a new session: the run deletes exactly the old
// session's evidence (a dry run nothing), audits it, leaves every event, hash and signature in
// place, never repeats itself, and later the templates of a learner without a recent session.
TEST_F(SessionLedgerTest, RetentionDeletesExactlyWhatIsDueAndKeepsTheChain) {
  constexpr int64_t kDay = 86'400'000;
  ProctorCore core(&storage_, &ledger_, &box_, &inspector_, &clock_);
  core.set_retention({180, 180, 365});
  const Principal admin{Role::kAdministrator, "admin", ""};
  std::vector<float> probe(128, 0.0f);
  const std::vector<uint8_t> jpeg = {0xff, 0xd8, 0xff, 0xd9};
  auto run_session = [&](const std::string& id, const std::string& pass) {
    if (id != "s1") {
      ASSERT_TRUE(storage_.PutPass({pass, "l", "a", clock_.NowUnixMs() + kDay, false}).ok());
      SessionRecord r;
      r.id = id;
      r.client_public_key.assign(key_.public_key().begin(), key_.public_key().end());
      ASSERT_TRUE(storage_.RedeemPass(pass, clock_.NowUnixMs(), r,
                                      {"t-" + id, Role::kLearner, "x", id, 0}).ok());
    }
    sid_ = id;
    seq_ = 0;
    head_ = Hash32{};
    ASSERT_TRUE(Ingest({Next(EventKind::kLivenessPassed),
                        Next(EventKind::kIdentityVerified, probe, jpeg)})
                    .ok());
    ASSERT_TRUE(ledger_.Close(id, 3000).ok());
    ASSERT_TRUE(core.Decide(admin, id, Verdict::kAccepted, "fine").ok());
  };
  run_session("s1", "");
  run_session("s3", "ph3");
  // s3 is appealed: back in review, its verdict is not final and its evidence stays.
  ASSERT_TRUE(core.FileAppeal(admin, "s3", "the learner disputes the flag").ok());
  clock_.Advance(100 * kDay);
  run_session("s2", "ph2");
  clock_.Advance(81 * kDay + 1000);  // s1 closed 181 days ago, s2 81 days ago
  const auto hashes_before = storage_.EventHashes("s1", 1, 2);
  ASSERT_TRUE(hashes_before.ok());

  auto dry = core.RunRetention(admin, true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  ASSERT_EQ(dry->sessions.size(), 1u);
  EXPECT_EQ(dry->sessions[0].session_id, "s1");
  EXPECT_TRUE(dry->learners.empty());
  EXPECT_TRUE(storage_.GetEvidence("s1", 2).ok()) << "a dry run deletes nothing";

  auto done = core.RunRetention(admin, false);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->sessions.size(), 1u);
  EXPECT_EQ(done->sessions[0].session_id, "s1");
  EXPECT_EQ(done->sessions[0].evidence_removed, 1);
  EXPECT_FALSE(storage_.GetEvidence("s1", 2).ok()) << "the old evidence is gone";
  EXPECT_TRUE(storage_.GetEvidence("s2", 2).ok()) << "the new evidence stays";
  EXPECT_EQ(storage_.ListEvents("s1")->size(), 2u) << "events stay";
  EXPECT_EQ(*storage_.EventHashes("s1", 1, 2), *hashes_before) << "so does the chain";
  EXPECT_FALSE(storage_.ListBatchSignatures("s1")->empty());
  int audited = 0;
  const auto audit = storage_.ListAudit();  // held: a range-for over *temporary would dangle
  ASSERT_TRUE(audit.ok());
  for (const auto& e : *audit) audited += e.action == "retention.evidence";
  EXPECT_EQ(audited, 1);
  EXPECT_TRUE(core.RunRetention(admin, false)->sessions.empty()) << "done once";

  // A year after the learner's latest session: the templates go too (and s2's evidence is due);
  // the appealed session keeps its evidence through both.
  clock_.Advance(300 * kDay);
  auto later = core.RunRetention(admin, false);
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->learners.size(), 1u);
  EXPECT_EQ(later->learners[0].templates_removed, 1);
  EXPECT_EQ(storage_.GetLearner("l")->template_count, 0);
  ASSERT_EQ(later->sessions.size(), 1u);
  EXPECT_EQ(later->sessions[0].session_id, "s2");
  EXPECT_TRUE(storage_.GetEvidence("s3", 2).ok()) << "in appeal: neither run took its evidence";
  // Re-enrolled today: the new templates are not due, whatever the old sessions' age.
  ASSERT_TRUE(storage_.ReplaceTemplates("l", {box_.Seal(DescriptorBytes(probe), TemplateAd("l"))})
                  .ok());
  ASSERT_TRUE(core.EnrollLearner(admin, "l", "L", {}).ok());
  EXPECT_TRUE(core.RunRetention(admin, true)->learners.empty());
}

// Consent: biometric events only from a session whose first event is the learner's
// CONSENT_GIVEN naming a notice of its assessment; refused batches store nothing; a ledger that
// loads the session later (a restart, another replica) knows it began with consent.
TEST_F(SessionLedgerTest, BiometricEventsNeedTheLearnersConsentAtTheHead) {
  ledger_.set_consent_required(true);
  std::vector<float> probe(128, 0.0f);
  auto restart_chain = [&] {
    seq_ = 0;
    head_ = Hash32{};
  };
  auto consent = [&](int32_t version, const std::string& sha) {
    return Next(EventKind::kConsentGiven, {}, {}, EventPhase::kInstant,
                protocol::ConsentDetail({version, sha, 1'765'000'000'000}));
  };

  auto refused = Ingest({Next(EventKind::kSessionStarted), Next(EventKind::kIdentityVerified, probe)});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_NE(refused.status().message().find("CONSENT_GIVEN"), std::string::npos);
  EXPECT_TRUE(storage_.ListEvents("s1")->empty()) << "nothing of a refused batch is stored";

  restart_chain();
  const std::vector<uint8_t> jpeg = {0xff, 0xd8, 0xff, 0xd9};
  auto chip_without = Ingest({Next(EventKind::kHeartbeat, {}, jpeg)});
  EXPECT_EQ(chip_without.status().code(), absl::StatusCode::kPermissionDenied)
      << "an evidence image is biometric data too";

  restart_chain();
  auto wrong_digest = Ingest({consent(0, std::string(64, 'a'))});
  EXPECT_EQ(wrong_digest.status().code(), absl::StatusCode::kInvalidArgument);
  restart_chain();
  auto unknown_version = Ingest({consent(7, ConsentNotices::BuiltIn().sha256_hex)});
  EXPECT_EQ(unknown_version.status().code(), absl::StatusCode::kInvalidArgument)
      << "the assessment has no notice v7";

  restart_chain();
  auto ok = Ingest({consent(0, ConsentNotices::BuiltIn().sha256_hex),
                    Next(EventKind::kSessionStarted), Next(EventKind::kLivenessPassed)});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->acked_seq, 3u);
  ASSERT_TRUE(Ingest({Next(EventKind::kIdentityVerified, probe, jpeg)}).ok());

  // Another ledger on the same database (a restart, a replica) reads the head from storage.
  SessionLedger other(&storage_, &committer_, &box_, &inspector_, &clock_);
  const Event e = Next(EventKind::kIdentityVerified, probe);
  const Hash32 h = EventDigest(e);
  std::promise<absl::StatusOr<IngestAck>> done;
  other.Ingest("s1", {e}, key_.Sign(h.data(), h.size()),
               [&](absl::StatusOr<IngestAck> r) { done.set_value(std::move(r)); });
  const auto later = done.get_future().get();
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->acked_seq, 5u);
}

// A session opened before consent existed (the upgrade found it open) finishes as it began.
TEST_F(SessionLedgerTest, ASessionOpenedBeforeConsentExistedIsNotHeldToIt) {
  ledger_.set_consent_required(true);
  ASSERT_TRUE(storage_.PutPass({"ph-old", "l", "a", 10'000, false}).ok());
  SessionRecord r;
  r.id = "old";
  r.consent_required = false;
  r.client_public_key.assign(key_.public_key().begin(), key_.public_key().end());
  ASSERT_TRUE(storage_.RedeemPass("ph-old", 0, r, {"t-old", Role::kLearner, "x", "old", 0}).ok());
  sid_ = "old";
  std::vector<float> probe(128, 0.0f);
  auto ack = Ingest({Next(EventKind::kSessionStarted), Next(EventKind::kIdentityVerified, probe)});
  EXPECT_TRUE(ack.ok()) << ack.status();
}

// A heartbeat-only session (no camera analysis yet) needs no consent; a CONSENT_GIVEN anywhere
// but first is malformed; an assessment's own notice version is accepted by its digest.
TEST_F(SessionLedgerTest, ConsentIsFirstAndNamesTheAssessmentsOwnNotice) {
  ledger_.set_consent_required(true);
  ConsentNotice notice{"a", 1, "Our notice", protocol::NoticeSha256Hex("Our notice"), "admin", 1};
  ASSERT_TRUE(storage_.PutConsentNotice(notice).ok());
  ASSERT_TRUE(Ingest({Next(EventKind::kSessionStarted), Next(EventKind::kHeartbeat)}).ok());
  auto late = Ingest({Next(EventKind::kConsentGiven, {}, {}, EventPhase::kInstant,
                           protocol::ConsentDetail({1, notice.sha256_hex, 1}))});
  EXPECT_EQ(late.status().code(), absl::StatusCode::kInvalidArgument) << late.status();

  sid_ = "s2";
  seq_ = 0;
  head_ = Hash32{};
  ASSERT_TRUE(storage_.PutPass({"ph2", "l", "a", 10'000, false}).ok());
  SessionRecord r;
  r.id = "s2";
  r.client_public_key.assign(key_.public_key().begin(), key_.public_key().end());
  ASSERT_TRUE(storage_.RedeemPass("ph2", 0, r, {"t2", Role::kLearner, "x", "s2", 0}).ok());
  auto own = Ingest({Next(EventKind::kConsentGiven, {}, {}, EventPhase::kInstant,
                          protocol::ConsentDetail({1, notice.sha256_hex, 1})),
                     Next(EventKind::kLivenessPassed)});
  EXPECT_TRUE(own.ok()) << own.status();
}

// The basis of an enrollment and a withdrawal of consent are in the audit log; the notice an
// administrator writes is versioned there too.
TEST_F(SessionLedgerTest, ConsentBasisWithdrawalAndNoticesAreAudited) {
  ProctorCore core(&storage_, &ledger_, &box_, &inspector_, &clock_);
  const Principal admin{Role::kAdministrator, "admin", ""};
  ASSERT_TRUE(core.EnrollLearner(admin, "kid", "Kid", {}, {"form 2026-17", true}).ok());
  ASSERT_TRUE(core.EnrollLearner(admin, "adult", "Adult", {}).ok());
  EXPECT_EQ(core.EnrollLearner(admin, "x", "X", {}, {std::string(201, 'r'), false})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(core.PurgeLearner(admin, "kid", /*consent_withdrawn=*/true).ok());
  auto v1 = core.SetConsentNotice(admin, "a", "Notice one");
  ASSERT_TRUE(v1.ok()) << v1.status();
  auto v2 = core.SetConsentNotice(admin, "a", "Notice two");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(core.SetConsentNotice(admin, "nope", "x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(core.SetConsentNotice(admin, "a", std::string("\xff\xfe")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core.SetConsentNotice({Role::kExaminer, "e", ""}, "a", "x").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(core.GetConsentNotice(admin, "a", 1)->text, "Notice one");
  EXPECT_EQ(core.GetConsentNotice(admin, "a", 0)->text, "Notice two");

  const auto audit = storage_.ListAudit();
  ASSERT_TRUE(audit.ok());
  std::map<std::string, std::vector<std::string>> details;  // action/subject -> details
  for (const auto& e : *audit) details[e.action + "/" + e.subject].push_back(e.detail);
  ASSERT_EQ(details["learner.enroll/kid"].size(), 1u);
  EXPECT_NE(details["learner.enroll/kid"][0].find("consent: form 2026-17 (by a guardian)"),
            std::string::npos)
      << details["learner.enroll/kid"][0];
  EXPECT_NE(details["learner.enroll/adult"][0].find("no consent reference given"),
            std::string::npos);
  EXPECT_EQ(details["consent.withdrawn/kid"].size(), 1u);
  EXPECT_EQ(details["learner.purge/kid"].size(), 1u) << "a withdrawal is a purge";
  ASSERT_EQ(details["consent.notice/a"].size(), 2u);
  EXPECT_NE(details["consent.notice/a"][1].find("version 2, sha256 " + v2->sha256_hex),
            std::string::npos);
}

// A revoked examiner token stops at once on the replica that revoked it and within the token
// cache's minute on another replica sharing the database.
TEST_F(SessionLedgerTest, ARevokedTokenStopsHereAtOnceAndOnOtherReplicasWithinAMinute) {
  ProctorCore here(&storage_, &ledger_, &box_, &inspector_, &clock_);
  ProctorCore there(&storage_, &ledger_, &box_, &inspector_, &clock_);
  const Principal admin{Role::kAdministrator, "admin", ""};
  auto token = here.IssueToken(admin, Role::kExaminer, "left-in-june");
  ASSERT_TRUE(token.ok());
  auto kept = here.IssueToken(admin, Role::kExaminer, "stays");
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(here.Authenticate(*token).ok());
  ASSERT_TRUE(there.Authenticate(*token).ok());  // cached there now

  EXPECT_EQ(here.RevokeTokens({Role::kExaminer, "e", ""}, "left-in-june", Role::kExaminer)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(here.RevokeTokens(admin, "admin", Role::kAdministrator).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto revoked = here.RevokeTokens(admin, "left-in-june", Role::kExaminer);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(*revoked, 1);
  EXPECT_EQ(here.Authenticate(*token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(there.Authenticate(*token).ok()) << "still cached on the other replica";
  clock_.Advance(ProctorCore::kTokenCacheMs + 1);
  EXPECT_EQ(there.Authenticate(*token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(there.Authenticate(*kept).ok()) << "only that label's tokens";
  EXPECT_EQ(here.RevokeTokens(admin, "left-in-june", Role::kExaminer).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SessionLedgerTest, EvidenceIsSealedAtRest) {
  const std::vector<uint8_t> jpeg = {0xff, 0xd8, 'f', 'a', 'c', 'e', 0xff, 0xd9};
  ASSERT_TRUE(Ingest({Next(EventKind::kHeartbeat, {}, jpeg)}).ok());
  auto sealed = storage_.GetEvidence("s1", 1);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(std::search(sealed->begin(), sealed->end(), jpeg.begin() + 2, jpeg.begin() + 6),
            sealed->end())
      << "plain evidence bytes found in storage";
  auto opened = box_.Open(*sealed, EvidenceAd("s1", 1));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, jpeg);
}

}  // namespace
}  // namespace proctor::server
