// The uplink's delivery logic in process, against a scripted server behind the ServerConnection
// seam: an ack lost after the server stored the batch, the server's refusal codes, the order in
// which --server addresses are tried, a server that stops acknowledging.
#include "client/uplink/uplink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>

#include "client/uplink/testing/fake_session_server.h"
#include "common/testing/platform_testing.h"
#include "common/testing/test_dir.h"

namespace proctor::client {
namespace {

namespace fs = std::filesystem;

using testing::Behaviour;
using testing::FakeConnection;
using testing::FakeSessionStore;

class UplinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = proctor::testing::FreshTestDir("uplink_test");
    auto journal = Journal::Open(dir_, nullptr);
    ASSERT_TRUE(journal.ok()) << journal.status();
    journal_ = std::move(*journal);
    JournalMeta meta;
    meta.session_id = "s-1";
    meta.signing_key = SigningKey::Generate().SecretBytes();
    ASSERT_TRUE(journal_->BeginSession(meta).ok());
    options_.initial_backoff_ms = 5;
    options_.max_backoff_ms = 20;
    options_.rpc_timeout_ms = 300;
    options_.max_batch_events = 4;
  }
  void TearDown() override {
    journal_.reset();  // Windows removes no folder whose files are open
    std::error_code error;
    fs::remove_all(dir_, error);
    EXPECT_FALSE(error) << dir_ << ": " << error.message();
  }

  void AppendEvents(int count) {
    std::vector<Event> events(count);
    for (auto& e : events) {
      e.kind = EventKind::kHeartbeat;
      e.at_ms = at_ms_ += 1000;
    }
    ASSERT_TRUE(journal_->Append(sealer_.SealAll(std::move(events))).ok());
  }

  std::unique_ptr<Uplink> MakeUplink(const std::vector<std::string>& addresses) {
    options_.servers = addresses;
    return std::make_unique<Uplink>(
        journal_.get(), options_, "token", [this](const std::string& address) {
          return std::make_unique<FakeConnection>(address, &store_, &behaviour_[address]);
        });
  }

  // Every journaled event stored exactly once, in order, with the journal's hashes.
  void ExpectStoredExactlyOnce(size_t count) {
    std::lock_guard<std::mutex> lock(store_.mu);
    ASSERT_EQ(store_.events.size(), count);
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(store_.events[i].event.seq, i + 1);
      EXPECT_EQ(store_.events[i].hash, *journal_->HashAt(i + 1));
    }
  }

  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> lock(store_.mu);
    return store_.calls;
  }

  std::string dir_;
  std::unique_ptr<Journal> journal_;
  protocol::ChainSealer sealer_{"s-1", SigningKey::Generate()};
  int64_t at_ms_ = 0;
  UplinkOptions options_;
  FakeSessionStore store_;
  std::map<std::string, Behaviour> behaviour_;
};

TEST_F(UplinkTest, DeliversEverythingInBatchesAndRecordsTheAcks) {
  AppendEvents(10);
  auto uplink = MakeUplink({"a:1"});
  uplink->Start();
  ASSERT_TRUE(uplink->WaitDrained(5000)) << uplink->fatal_error();
  ExpectStoredExactlyOnce(10);
  EXPECT_EQ(journal_->acked_seq(), 10u);
  EXPECT_EQ(uplink->stats().batches_acked, 3u);  // 4 + 4 + 2
  EXPECT_EQ(uplink->stats().duplicates, 0u);
}

TEST_F(UplinkTest, AnAckLostAfterTheServerStoredTheBatchIsNeitherLostNorDuplicated) {
  AppendEvents(8);
  behaviour_["a:1"].lose_acks = 1;
  auto uplink = MakeUplink({"a:1"});
  uplink->Start();
  ASSERT_TRUE(uplink->WaitDrained(5000)) << uplink->fatal_error();
  ExpectStoredExactlyOnce(8);
  EXPECT_EQ(journal_->pending(), 0u);
  EXPECT_EQ(uplink->stats().reconnects, 1u);
  // The reconnect asked where the session stands before sending again.
  const auto calls = Calls();
  ASSERT_GE(calls.size(), 4u);
  EXPECT_EQ(calls[2], "a:1 GetHead");
}

class UplinkRefusalTest : public UplinkTest,
                          public ::testing::WithParamInterface<absl::StatusCode> {};

TEST_P(UplinkRefusalTest, ARefusalRetryingCannotFixStopsDeliveryAndKeepsTheEvents) {
  const absl::StatusCode code = GetParam();
  AppendEvents(3);
  behaviour_["a:1"].batch_error = absl::Status(code, "refused");
  auto uplink = MakeUplink({"a:1"});
  uplink->Start();
  EXPECT_FALSE(uplink->WaitDrained(3000));
  EXPECT_EQ(uplink->fatal_error().code(), code);
  EXPECT_EQ(journal_->pending(), 3u) << "a refused event stays in the journal";
  EXPECT_EQ(uplink->stats().reconnects, 0u) << "a permanent refusal is not retried";
}

INSTANTIATE_TEST_SUITE_P(Codes, UplinkRefusalTest,
                         ::testing::Values(absl::StatusCode::kUnauthenticated,
                                           absl::StatusCode::kPermissionDenied,
                                           absl::StatusCode::kAlreadyExists,
                                           absl::StatusCode::kInvalidArgument,
                                           absl::StatusCode::kFailedPrecondition),
                         [](const auto& info) { return absl::StatusCodeToString(info.param); });

TEST_F(UplinkTest, ARefusedSessionTokenIsFatalBeforeAnythingIsSent) {
  AppendEvents(2);
  behaviour_["a:1"].head_error = absl::UnauthenticatedError("unknown token");
  auto uplink = MakeUplink({"a:1"});
  uplink->Start();
  EXPECT_FALSE(uplink->WaitDrained(3000));
  EXPECT_EQ(uplink->fatal_error().code(), absl::StatusCode::kUnauthenticated);
  std::lock_guard<std::mutex> lock(store_.mu);
  EXPECT_TRUE(store_.events.empty());
}

TEST_F(UplinkTest, UnavailableServersAreTriedInTheOrderGivenThenTheNextOneDelivers) {
  AppendEvents(5);
  behaviour_["a:1"].head_error = absl::UnavailableError("connection refused");
  behaviour_["b:2"].head_error = absl::UnavailableError("connection refused");
  auto uplink = MakeUplink({"a:1", "b:2", "c:3"});
  uplink->Start();
  ASSERT_TRUE(uplink->WaitDrained(5000)) << uplink->fatal_error();
  ExpectStoredExactlyOnce(5);
  const auto calls = Calls();
  ASSERT_GE(calls.size(), 4u);
  EXPECT_EQ(calls[0], "a:1 GetHead");
  EXPECT_EQ(calls[1], "b:2 GetHead");
  EXPECT_EQ(calls[2], "c:3 GetHead");
  EXPECT_EQ(calls[3], "c:3 Stream");
  EXPECT_EQ(uplink->stats().server, "c:3");
  EXPECT_EQ(uplink->stats().reconnects, 2u);
  // Each failed server's transport is dropped, so that its next attempt connects afresh; the
  // one that delivered keeps its connection.
  EXPECT_EQ(behaviour_["a:1"].reconnects, 1);
  EXPECT_EQ(behaviour_["b:2"].reconnects, 1);
  EXPECT_EQ(behaviour_["c:3"].reconnects, 0);
}

TEST_F(UplinkTest, AServerThatStopsAcknowledgingIsLeftForTheNextAfterTheAckTimeout) {
  AppendEvents(4);
  behaviour_["a:1"].hang = true;
  auto uplink = MakeUplink({"a:1", "b:2"});
  uplink->Start();
  ASSERT_TRUE(uplink->WaitDrained(10000)) << uplink->fatal_error();
  // a:1 stored the batch but never acknowledged it; b:2 (same database) acknowledged it.
  ExpectStoredExactlyOnce(4);
  EXPECT_NE(uplink->stats().last_error.find("did not acknowledge"), std::string::npos)
      << uplink->stats().last_error;
}

TEST_F(UplinkTest, CloseRetriesOnTheNextServerAndRecordsTheVerdict) {
  behaviour_["a:1"].head_error = absl::UnavailableError("down");
  auto uplink = MakeUplink({"a:1", "b:2"});
  auto closed = uplink->Close(1000, 3000);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->verdict, "AUTO_ACCEPTED");
  EXPECT_TRUE(journal_->closed());
  EXPECT_EQ(Calls(), (std::vector<std::string>{"a:1 Close", "b:2 Close"}));
}

TEST_F(UplinkTest, OpeningWithAPassTriesEveryServerAndAnUnknownPassIsFinal) {
  options_.servers = {"a:1", "b:2"};
  behaviour_["a:1"].head_error = absl::UnavailableError("down");
  auto factory = [this](const std::string& address) {
    return std::make_unique<FakeConnection>(address, &store_, &behaviour_[address]);
  };
  auto opened = OpenSessionWithPass(options_, "pass", PublicKey{}, "", 3000, factory);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->server, "b:2");
  behaviour_["b:2"].head_error = absl::UnauthenticatedError("unknown exam pass");
  behaviour_["a:1"].head_error = absl::UnauthenticatedError("unknown exam pass");
  EXPECT_EQ(OpenSessionWithPass(options_, "pass", PublicKey{}, "", 3000, factory).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace proctor::client
