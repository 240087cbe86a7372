// proctor-server on PostgreSQL with the real proctor-client, when parts of the deployment die:
// - two replicas on one database, the client given both addresses: the replica it is talking to
//   is SIGKILLed mid-session and the client carries on with the other — the same session,
//   nothing lost, nothing stored twice, closed by the survivor;
// - the database itself stops: the server answers UNAVAILABLE, acknowledges nothing it has not
//   stored, and recovers when the database returns; the client's events all arrive once.
#include <filesystem>
#include <map>

#include "client/tools/sample_video.h"
#include "gtest/gtest.h"
#include "tests/support/client_process.h"
#include "tests/support/face_fixtures.h"
#include "tests/support/postgres_test_server.h"
#include "tests/support/server_harness.h"
#include "tests/support/test_data.h"

namespace proctor::testing {
namespace {

// An assessment "exam", the learner "ada" enrolled from `photo`, and `count` passes.
std::vector<std::string> SetUpLearner(ServerProcess& server, const std::vector<uint8_t>& photo,
                                      int count) {
  auto admin = v1::AdminService::NewStub(server.channel());
  {
    grpc::ClientContext context;
    Authorize(&context, server.admin_token());
    v1::CreateAssessmentRequest request;
    request.set_assessment_id("exam");
    request.set_course("C");
    request.set_title("T");
    request.set_kind(v1::FINAL);
    v1::CreateAssessmentResponse response;
    EXPECT_TRUE(admin->CreateAssessment(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    Authorize(&context, server.admin_token());
    v1::EnrollLearnerRequest request;
    request.set_learner_id("ada");
    request.set_name("Ada");
    request.add_photos(std::string(photo.begin(), photo.end()));
    v1::EnrollLearnerResponse response;
    EXPECT_TRUE(admin->EnrollLearner(&context, request, &response).ok());
  }
  std::vector<std::string> passes;
  for (int i = 0; i < count; ++i) {
    grpc::ClientContext context;
    Authorize(&context, server.admin_token());
    v1::IssuePassRequest request;
    request.set_learner_id("ada");
    request.set_assessment_id("exam");
    v1::IssuePassResponse response;
    EXPECT_TRUE(admin->IssuePass(&context, request, &response).ok());
    passes.push_back(response.pass());
  }
  return passes;
}

// The client's events the server stored for a session (its own findings, seq 0, left out).
std::vector<v1::RecordedEvent> StoredEvents(ServerProcess& server, const std::string& session) {
  auto review = v1::ReviewService::NewStub(server.channel());
  grpc::ClientContext context;
  Authorize(&context, server.admin_token());
  v1::GetSessionRequest request;
  request.set_session_id(session);
  v1::SessionDetail detail;
  const auto status = review->GetSession(&context, request, &detail);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::RecordedEvent> events;
  for (const auto& e : detail.events()) {
    if (!e.from_server()) events.push_back(e);
  }
  return events;
}

void ExpectSeqsOneToN(const std::vector<v1::RecordedEvent>& events, uint64_t n) {
  ASSERT_EQ(events.size(), n);
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].seq(), i + 1);
}

TEST(ClientReplicaTest, ReplicaKilledMidSessionTheClientContinuesOnTheOther) {
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u);
  auto postgres = PostgresTestServer::Start();
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  auto uri = (*postgres)->CreateDatabase("proctor");
  ASSERT_TRUE(uri.ok()) << uri.status();

  ServerProcess a;
  ServerProcess b;
  a.set_db(*uri);
  b.set_db(*uri);
  b.ShareDataDir(a);  // one storage key and admin token for the whole deployment
  std::string why;
  ASSERT_TRUE(a.Start(&why)) << why;
  ASSERT_TRUE(b.Start(&why)) << why;

  const std::string video = a.data_dir() + "/exam.avi";
  ASSERT_TRUE(client::BuildProctoringVideo(video, {{{faces[0].photo_jpeg}, 12, true},
                                                   {{}, 6, false},
                                                   {{faces[0].photo_jpeg}, 12, true}})
                  .ok());

  const auto passes = SetUpLearner(a, faces[0].photo_jpeg, 1);
  ASSERT_EQ(passes.size(), 1u);
  const std::string pass = passes[0];

  ClientProcess client(a.data_dir(),
                       {"--server", a.address() + "," + b.address(), "--pass", pass, "--journal",
                        a.data_dir() + "/journal", "--headless", "--json", "--models", ModelsDir(),
                        "--video", video, "--drain-timeout", "120"});
  ASSERT_TRUE(client.WaitForOutput("proctoring from")) << client.err();
  a.Kill();  // the replica that opened the session (the first address) dies
  ASSERT_EQ(client.Wait(), 0) << client.err();
  const auto summary = client.summary();
  EXPECT_EQ(summary["pending"], 0);
  EXPECT_EQ(summary["closed"], true);
  EXPECT_GE(summary["reconnects"].get<int>(), 1);

  // What the survivor has: the whole session, once.
  const auto events = StoredEvents(b, summary["session_id"].get<std::string>());
  std::printf("[ counts ] journaled %llu, acknowledged %llu, stored %zu, reconnects %d\n",
              static_cast<unsigned long long>(summary["events"].get<uint64_t>()),
              static_cast<unsigned long long>(summary["acknowledged"].get<uint64_t>()),
              events.size(), summary["reconnects"].get<int>());
  ExpectSeqsOneToN(events, summary["events"].get<uint64_t>());
  EXPECT_EQ(events.back().kind(), v1::SESSION_ENDED);
}

TEST(DatabaseOutageTest, ServerAnswersUnavailableAcksNothingUnstoredAndRecovers) {
  const auto faces = DemoFaces(1);
  ASSERT_GE(faces.size(), 1u);
  PostgresTestServerOptions durable;
  durable.durable = true;
  auto postgres = PostgresTestServer::Start(durable);
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  auto uri = (*postgres)->CreateDatabase("proctor");
  ASSERT_TRUE(uri.ok()) << uri.status();
  ServerProcess server;
  server.set_db(*uri);
  std::string why;
  ASSERT_TRUE(server.Start(&why)) << why;
  const auto passes = SetUpLearner(server, faces[0].photo_jpeg, 2);
  ASSERT_EQ(passes.size(), 2u);

  // The protocol itself: a batch sent while the database is down is refused, not acknowledged.
  LearnerSession learner(server.channel());
  ASSERT_TRUE(learner.Open(passes[0]).ok());
  v1::BatchAck ack;
  ASSERT_TRUE(learner
                  .Send({learner.Next(EventKind::kSessionStarted, 0),
                         learner.Next(EventKind::kHeartbeat, 1000)},
                        &ack)
                  .ok());
  ASSERT_EQ(ack.acked_seq(), 2u);
  const std::vector<Event> during = {learner.Next(EventKind::kHeartbeat, 2000),
                                     learner.Next(EventKind::kHeartbeat, 3000)};
  ASSERT_TRUE((*postgres)->Stop().ok());
  v1::BatchAck refused;
  const grpc::Status down = learner.Send(during, &refused);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  EXPECT_EQ(down.error_message().find("postgresql"), std::string::npos)
      << "a learner must not learn the database's address: " << down.error_message();
  EXPECT_LT(refused.acked_seq(), 3u) << "acknowledged an event it could not store";
  ASSERT_TRUE((*postgres)->Restart().ok());
  // Back: the same batch is accepted (the server reconnects to the database by itself).
  grpc::Status up;
  v1::BatchAck accepted;
  for (int attempt = 0; attempt < 60; ++attempt) {
    up = learner.Send(during, &accepted);
    if (up.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_EQ(accepted.acked_seq(), 4u);
  ExpectSeqsOneToN(StoredEvents(server, learner.session_id()), 4);

  // The real client through an outage mid-session: it journals, retries, and delivers once.
  const std::string video = server.data_dir() + "/exam.avi";
  ASSERT_TRUE(client::BuildProctoringVideo(video, {{{faces[0].photo_jpeg}, 12, true},
                                                   {{}, 6, false},
                                                   {{faces[0].photo_jpeg}, 12, true}})
                  .ok());
  ClientProcess client(server.data_dir(),
                       {"--server", server.address(), "--pass", passes[1], "--journal",
                        server.data_dir() + "/journal", "--headless", "--json", "--models",
                        ModelsDir(), "--video", video, "--drain-timeout", "120"});
  ASSERT_TRUE(client.WaitForOutput("proctoring from")) << client.err();
  ASSERT_TRUE((*postgres)->Stop().ok());
  ASSERT_TRUE(client.WaitForOutput("SESSION_ENDED")) << client.err();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_TRUE(client.Running()) << "it cannot have closed the session without the database";
  ASSERT_TRUE((*postgres)->Restart().ok());
  ASSERT_EQ(client.Wait(), 0) << client.err();
  const auto summary = client.summary();
  EXPECT_EQ(summary["pending"], 0);
  EXPECT_GE(summary["reconnects"].get<int>(), 1);
  const auto events = StoredEvents(server, summary["session_id"].get<std::string>());
  std::printf("[ counts ] journaled %llu, acknowledged %llu, stored %zu, reconnects %d\n",
              static_cast<unsigned long long>(summary["events"].get<uint64_t>()),
              static_cast<unsigned long long>(summary["acknowledged"].get<uint64_t>()),
              events.size(), summary["reconnects"].get<int>());
  ExpectSeqsOneToN(events, summary["events"].get<uint64_t>());
}

}  // namespace
}  // namespace proctor::testing
