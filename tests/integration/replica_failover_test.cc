// proctor-server processes on a throwaway PostgreSQL server that this test starts, under load.
// 1. Two replicas, learners streaming to both: SIGKILL a replica five times in a row
//    (alternating, each restarted after its kill); the learners whose replica died continue
//    their sessions on the other one, resending from their last acknowledgement. Afterwards
//    every session holds each of its events exactly once, and after every kill the database
//    already held every event acknowledged before it.
// 2. PostgreSQL stopped under a loaded server: UNAVAILABLE meanwhile, nothing acknowledged that
//    is not stored, and the same process carries on once the database is back.
// Both print their counts (sent or made, acknowledged, stored).
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "protocol/event_codec.h"
#include "tests/support/postgres_test_server.h"
#include "tests/support/server_harness.h"
#include "tests/support/server_replicas.h"
#include "tests/support/test_data.h"

namespace proctor::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Replicas, batches and counts: tests/support/server_replicas.h.

TEST(ReplicaFailoverTest, SigkillingAReplicaFiveTimesUnderLoadLosesAndDuplicatesNothing) {
  constexpr int kSessions = 8;
  // Each learner streams until the five kills are done and it has sent at least this many
  // events, however slow the machine: every kill hits a live load.
  constexpr uint64_t kMinEvents = 4000;
  constexpr uint64_t kBatch = 20;
  // A learner sends a batch at most every 20 ms (1,000 events/s).
  constexpr auto kPace = std::chrono::milliseconds(20);
  constexpr int kKills = 5;

  auto postgres = PostgresTestServer::Start();
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  auto uri = (*postgres)->CreateDatabase("proctor");
  ASSERT_TRUE(uri.ok()) << uri.status();
  ScratchDir data;
  ASSERT_FALSE(data.path().empty());
  std::vector<std::unique_ptr<ServerReplica>> replicas;
  for (const char* name : {"replica-a", "replica-b"}) {
    replicas.push_back(std::make_unique<ServerReplica>(name, data.path(), *uri));
    std::string why;
    // One after the other: the first creates storage.key and the admin token, both share them.
    ASSERT_TRUE(replicas.back()->Start(&why)) << why;
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::SessionService::Stub>> stubs;
  for (const auto& replica : replicas) {
    channels.push_back(grpc::CreateChannel(replica->address(), grpc::InsecureChannelCredentials()));
    stubs.push_back(v1::SessionService::NewStub(channels.back()));
  }

  // Set-up through replica A: an assessment, learners, passes, open sessions.
  const std::string admin_token = [&] {
    std::ifstream in(data.path() + "/admin.token");
    std::string token;
    in >> token;
    return token;
  }();
  auto admin = v1::AdminService::NewStub(channels[0]);
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token);
    v1::CreateAssessmentRequest request;
    request.set_assessment_id("failover");
    request.set_course("Algebra 101");
    request.set_title("Final exam");
    request.set_kind(v1::INTERMEDIATE);
    v1::CreateAssessmentResponse response;
    const grpc::Status status = admin->CreateAssessment(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  std::vector<std::unique_ptr<LearnerSession>> sessions;
  // The events each learner has made so far (signed and chained as it goes), owned by its thread
  // until the join.
  std::vector<std::vector<Event>> planned(kSessions);
  for (int i = 0; i < kSessions; ++i) {
    const std::string learner = "learner-" + std::to_string(i);
    {
      grpc::ClientContext context;
      Authorize(&context, admin_token);
      v1::EnrollLearnerRequest request;
      request.set_learner_id(learner);
      request.set_name("Learner " + learner);
      v1::EnrollLearnerResponse response;
      const grpc::Status status = admin->EnrollLearner(&context, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    grpc::ClientContext context;
    Authorize(&context, admin_token);
    v1::IssuePassRequest request;
    request.set_learner_id(learner);
    request.set_assessment_id("failover");
    v1::IssuePassResponse pass;
    const grpc::Status issued = admin->IssuePass(&context, request, &pass);
    ASSERT_TRUE(issued.ok()) << issued.error_message();
    sessions.push_back(std::make_unique<LearnerSession>(channels[0]));
    ASSERT_TRUE(sessions.back()->Open(pass.pass()).ok());
  }

  // Each learner streams to replica i % 2 and moves to the other one when a call fails,
  // resending everything after its last acknowledgement.
  std::vector<std::atomic<uint64_t>> acked(kSessions);
  std::vector<std::atomic<int>> on_replica(kSessions);  // where each learner streams now
  std::atomic<uint64_t> events_sent{0};
  std::atomic<int> failovers{0};
  std::atomic<bool> gave_up{false};
  std::atomic<bool> kills_done{false};
  std::vector<std::thread> learners;
  for (int i = 0; i < kSessions; ++i) {
    learners.emplace_back([&, i] {
      int replica = i % 2;
      on_replica[i] = replica;
      const auto deadline = Clock::now() + std::chrono::seconds(300);
      std::vector<Event>& mine = planned[i];
      for (;;) {
        if (Clock::now() > deadline) {
          gave_up = true;
          return;
        }
        const uint64_t from = acked[i];
        if (from == mine.size()) {  // everything made so far is acknowledged
          if (kills_done && from >= kMinEvents) return;
          for (uint64_t k = 0; k < kBatch; ++k) {
            mine.push_back(
                sessions[i]->Next(EventKind::kHeartbeat, static_cast<int64_t>(mine.size()) * 200));
          }
        }
        std::vector<Event> batch(mine.begin() + from,
                                 mine.begin() + std::min<uint64_t>(mine.size(), from + kBatch));
        events_sent += batch.size();
        v1::BatchAck ack;
        const grpc::Status status = SendBatchVia(*stubs[replica], *sessions[i], batch, &ack);
        if (status.ok()) {
          acked[i] = std::max<uint64_t>(acked[i], ack.acked_seq());
          std::this_thread::sleep_for(kPace);
          continue;
        }
        ++failovers;
        replica = 1 - replica;
        on_replica[i] = replica;
        std::this_thread::sleep_for(kPace);
      }
    });
  }

  const auto total_acked = [&] {
    uint64_t sum = 0;
    for (auto& a : acked) sum += a;
    return sum;
  };
  int kills = 0;
  uint64_t lost = 0;
  for (int k = 0; k < kKills; ++k) {
    // Kill once the load has moved on since the last restart (not after a fixed time: a loaded
    // CI machine is slow).
    const uint64_t target = total_acked() + 2000;
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    while (total_acked() < target && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // Replicas in turn, unless every learner sits on the other one now (a learner moves only
    // when a call fails, and on a loaded machine may have moved back before the kill): a kill
    // must hit a live load.
    const auto learners_on = [&](int r) {
      int n = 0;
      for (int i = 0; i < kSessions; ++i) n += on_replica[i] == r ? 1 : 0;
      return n;
    };
    const int victim_index = learners_on(k % 2) > 0 ? k % 2 : 1 - k % 2;
    ServerReplica& victim = *replicas[victim_index];
    const int hit = learners_on(victim_index);
    std::vector<uint64_t> acked_before(kSessions);
    for (int i = 0; i < kSessions; ++i) acked_before[i] = acked[i];
    victim.Kill();
    ++kills;
    EXPECT_GT(hit, 0) << "kill " << k + 1 << " hit no learner's replica";
    const auto stored = StoredPerSession(*uri);
    uint64_t acked_sum = 0;
    uint64_t stored_sum = 0;
    for (int i = 0; i < kSessions; ++i) {
      const StoredCounts& s = stored.at(sessions[i]->session_id());
      acked_sum += acked_before[i];
      stored_sum += static_cast<uint64_t>(s.rows);
      if (static_cast<uint64_t>(s.max_seq) < acked_before[i]) lost += acked_before[i] - s.max_seq;
      EXPECT_GE(static_cast<uint64_t>(s.rows), acked_before[i])
          << "kill " << k + 1 << ": an acknowledged event of session " << i << " was lost";
      EXPECT_EQ(s.rows, s.max_seq) << "kill " << k + 1 << ": gap or duplicate in session " << i;
    }
    std::printf(
        "kill %d: SIGKILL %s (streaming %d of %d sessions) with %llu events acknowledged, "
        "%llu stored\n",
        k + 1, victim.name().c_str(), hit, kSessions, static_cast<unsigned long long>(acked_sum),
        static_cast<unsigned long long>(stored_sum));
    std::fflush(stdout);
    std::string why;
    if (!victim.Start(&why)) {
      kills_done = true;  // the learners finish before the test ends
      for (std::thread& t : learners) t.join();
      FAIL() << why;
    }
  }
  kills_done = true;
  for (std::thread& t : learners) t.join();
  EXPECT_FALSE(gave_up) << "a learner could not deliver its session within 240 s";
  EXPECT_EQ(kills, kKills);
  EXPECT_EQ(lost, 0u);

  const auto stored = StoredPerSession(*uri);
  uint64_t stored_sum = 0;
  uint64_t made = 0;
  for (int i = 0; i < kSessions; ++i) {
    const StoredCounts& s = stored.at(sessions[i]->session_id());
    const auto events = static_cast<int64_t>(planned[i].size());
    EXPECT_GE(planned[i].size(), kMinEvents) << "session " << i;
    EXPECT_EQ(s.rows, events) << "session " << i;
    EXPECT_EQ(s.distinct_seqs, s.rows) << "session " << i << " holds an event twice";
    EXPECT_EQ(s.max_seq, events) << "session " << i;
    EXPECT_EQ(acked[i].load(), planned[i].size()) << "session " << i;
    stored_sum += static_cast<uint64_t>(s.rows);
    made += planned[i].size();
  }
  EXPECT_GT(failovers.load(), 0) << "no learner ever had to move: the kills hit nothing";
  std::printf(
      "replica failover: %d kills, %d sessions, %llu events made; sent %llu (with resends), "
      "acknowledged %llu, stored %llu (each seq once); %d failed calls moved a learner\n",
      kills, kSessions, static_cast<unsigned long long>(made),
      static_cast<unsigned long long>(events_sent.load()),
      static_cast<unsigned long long>(total_acked()), static_cast<unsigned long long>(stored_sum),
      failovers.load());
}

// The database goes away under a loaded server: while PostgreSQL is stopped the server answers
// UNAVAILABLE (or ABORTED, retryable) and acknowledges nothing it has not stored; once the
// database is back the same server process carries on and every event ends up stored once.
TEST(ReplicaFailoverTest, WhilePostgresIsStoppedTheServerIsUnavailableAndRecoversAfter) {
  constexpr int kSessions = 4;
  constexpr uint64_t kBatch = 20;
  constexpr auto kPace = std::chrono::milliseconds(20);

  auto postgres = PostgresTestServer::Start();
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  auto uri = (*postgres)->CreateDatabase("proctor");
  ASSERT_TRUE(uri.ok()) << uri.status();
  ScratchDir data;
  ASSERT_FALSE(data.path().empty());
  ServerReplica server("server", data.path(), *uri);
  std::string why;
  ASSERT_TRUE(server.Start(&why)) << why;
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto stub = v1::SessionService::NewStub(channel);
  const std::string admin_token = [&] {
    std::ifstream in(data.path() + "/admin.token");
    std::string token;
    in >> token;
    return token;
  }();
  auto admin = v1::AdminService::NewStub(channel);
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token);
    v1::CreateAssessmentRequest request;
    request.set_assessment_id("outage");
    request.set_course("Algebra 101");
    request.set_title("Final exam");
    request.set_kind(v1::INTERMEDIATE);
    v1::CreateAssessmentResponse response;
    ASSERT_TRUE(admin->CreateAssessment(&context, request, &response).ok());
  }
  std::vector<std::unique_ptr<LearnerSession>> sessions;
  for (int i = 0; i < kSessions; ++i) {
    const std::string learner = "learner-" + std::to_string(i);
    grpc::ClientContext enroll_context;
    Authorize(&enroll_context, admin_token);
    v1::EnrollLearnerRequest enroll;
    enroll.set_learner_id(learner);
    enroll.set_name(learner);
    v1::EnrollLearnerResponse enrolled;
    ASSERT_TRUE(admin->EnrollLearner(&enroll_context, enroll, &enrolled).ok());
    grpc::ClientContext pass_context;
    Authorize(&pass_context, admin_token);
    v1::IssuePassRequest request;
    request.set_learner_id(learner);
    request.set_assessment_id("outage");
    v1::IssuePassResponse pass;
    ASSERT_TRUE(admin->IssuePass(&pass_context, request, &pass).ok());
    sessions.push_back(std::make_unique<LearnerSession>(channel));
    ASSERT_TRUE(sessions.back()->Open(pass.pass()).ok());
  }

  std::vector<std::vector<Event>> made(kSessions);
  std::vector<std::atomic<uint64_t>> acked(kSessions);
  std::atomic<bool> done{false};
  std::mutex codes_mu;
  std::map<std::string, int> codes;  // guarded by codes_mu: refusals seen, by gRPC code
  std::vector<std::thread> learners;
  for (int i = 0; i < kSessions; ++i) {
    learners.emplace_back([&, i] {
      std::vector<Event>& mine = made[i];
      const auto deadline = Clock::now() + std::chrono::seconds(240);
      while (Clock::now() < deadline) {
        const uint64_t from = acked[i];
        if (from == mine.size()) {
          if (done) return;
          for (uint64_t k = 0; k < kBatch; ++k) {
            mine.push_back(
                sessions[i]->Next(EventKind::kHeartbeat, static_cast<int64_t>(mine.size()) * 200));
          }
        }
        std::vector<Event> batch(mine.begin() + from,
                                 mine.begin() + std::min<uint64_t>(mine.size(), from + kBatch));
        v1::BatchAck ack;
        const grpc::Status status = SendBatchVia(*stub, *sessions[i], batch, &ack);
        if (status.ok()) {
          acked[i] = std::max<uint64_t>(acked[i], ack.acked_seq());
        } else {
          std::lock_guard<std::mutex> lock(codes_mu);
          ++codes[std::to_string(status.error_code()) + " " + status.error_message()];
        }
        std::this_thread::sleep_for(kPace);
      }
    });
  }
  const auto total_acked = [&] {
    uint64_t sum = 0;
    for (auto& a : acked) sum += a;
    return sum;
  };
  const auto wait_for_progress = [&](uint64_t events) {
    const uint64_t target = total_acked() + events;
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    while (total_acked() < target && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return total_acked() >= target;
  };
  const auto stop_learners = [&] {
    done = true;
    for (std::thread& t : learners) t.join();
  };

  const bool streaming = wait_for_progress(1000);
  const uint64_t before_stop = total_acked();
  const absl::Status stopped = (*postgres)->Stop();
  if (!streaming || !stopped.ok()) {
    stop_learners();
    FAIL() << "streaming: " << streaming << ", stopping PostgreSQL: " << stopped;
  }
  // Let every learner run into the outage for a while.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const uint64_t during_outage = total_acked();
  std::map<std::string, int> outage_codes;
  {
    std::lock_guard<std::mutex> lock(codes_mu);
    outage_codes.swap(codes);
  }
  const absl::Status restarted = (*postgres)->Restart();
  if (!restarted.ok()) {
    stop_learners();
    FAIL() << restarted;
  }
  // Everything acknowledged until now, the outage included, is in the database. The acks are
  // read before the rows: the learners go on after the restart, and an ack counted after the
  // query would be an event the query could not have seen.
  std::vector<uint64_t> acked_at_restart(kSessions);
  for (int i = 0; i < kSessions; ++i) acked_at_restart[i] = acked[i].load();
  const auto stored_at_restart = StoredPerSession(*uri);
  for (int i = 0; i < kSessions; ++i) {
    const StoredCounts& s = stored_at_restart.at(sessions[i]->session_id());
    EXPECT_GE(static_cast<uint64_t>(s.rows), acked_at_restart[i])
        << "session " << i << ": acknowledged while the database was down, never stored";
  }
  const bool recovered = wait_for_progress(1000);
  stop_learners();
  EXPECT_TRUE(recovered) << "no progress after PostgreSQL came back";

  int unavailable = 0;
  for (const auto& [code, count] : outage_codes) {
    std::printf("  during the outage, %d x %s\n", count, code.c_str());
    const bool retryable =
        code.rfind("14 ", 0) == 0 || code.rfind("10 ", 0) == 0;  // UNAVAILABLE, ABORTED
    EXPECT_TRUE(retryable) << count << " x " << code;
    if (code.rfind("14 ", 0) == 0) unavailable += count;
  }
  EXPECT_GT(unavailable, 0) << "no call was refused UNAVAILABLE while the database was down";
  const auto stored = StoredPerSession(*uri);
  uint64_t stored_sum = 0;
  uint64_t made_sum = 0;
  for (int i = 0; i < kSessions; ++i) {
    const StoredCounts& s = stored.at(sessions[i]->session_id());
    const auto events = static_cast<int64_t>(made[i].size());
    EXPECT_EQ(s.rows, events) << "session " << i;
    EXPECT_EQ(s.distinct_seqs, s.rows) << "session " << i;
    EXPECT_EQ(s.max_seq, events) << "session " << i;
    EXPECT_EQ(acked[i].load(), made[i].size()) << "session " << i;
    stored_sum += static_cast<uint64_t>(s.rows);
    made_sum += made[i].size();
  }
  std::printf(
      "database outage: %llu events acknowledged before PostgreSQL stopped, %llu when it came "
      "back 3 s later; %d calls refused UNAVAILABLE meanwhile; at the end %llu made, %llu "
      "acknowledged, %llu stored (each seq once)\n",
      static_cast<unsigned long long>(before_stop), static_cast<unsigned long long>(during_outage),
      unavailable, static_cast<unsigned long long>(made_sum),
      static_cast<unsigned long long>(total_acked()), static_cast<unsigned long long>(stored_sum));
}

}  // namespace
}  // namespace proctor::testing
