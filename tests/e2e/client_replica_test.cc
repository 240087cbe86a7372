// Two proctor-server replicas on one PostgreSQL database and the real proctor-client given both
// addresses: the replica it is talking to is SIGKILLed mid-session and the client carries on with
// the other — the same session, nothing lost, nothing stored twice, closed by the survivor.
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

  auto admin = v1::AdminService::NewStub(a.channel());
  {
    grpc::ClientContext context;
    Authorize(&context, a.admin_token());
    v1::CreateAssessmentRequest request;
    request.set_assessment_id("exam");
    request.set_course("C");
    request.set_title("T");
    request.set_kind(v1::FINAL);
    v1::CreateAssessmentResponse response;
    ASSERT_TRUE(admin->CreateAssessment(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    Authorize(&context, a.admin_token());
    v1::EnrollLearnerRequest request;
    request.set_learner_id("ada");
    request.set_name("Ada");
    request.add_photos(std::string(faces[0].photo_jpeg.begin(), faces[0].photo_jpeg.end()));
    v1::EnrollLearnerResponse response;
    ASSERT_TRUE(admin->EnrollLearner(&context, request, &response).ok());
  }
  std::string pass;
  {
    grpc::ClientContext context;
    Authorize(&context, a.admin_token());
    v1::IssuePassRequest request;
    request.set_learner_id("ada");
    request.set_assessment_id("exam");
    v1::IssuePassResponse response;
    ASSERT_TRUE(admin->IssuePass(&context, request, &response).ok());
    pass = response.pass();
  }

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
  auto review = v1::ReviewService::NewStub(b.channel());
  grpc::ClientContext context;
  Authorize(&context, b.admin_token());
  v1::GetSessionRequest request;
  request.set_session_id(summary["session_id"].get<std::string>());
  v1::SessionDetail detail;
  const auto status = review->GetSession(&context, request, &detail);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::RecordedEvent> events;
  for (const auto& e : detail.events()) {
    if (!e.from_server()) events.push_back(e);
  }
  std::printf("[ counts ] journaled %llu, acknowledged %llu, stored %zu, reconnects %d\n",
              static_cast<unsigned long long>(summary["events"].get<uint64_t>()),
              static_cast<unsigned long long>(summary["acknowledged"].get<uint64_t>()),
              events.size(), summary["reconnects"].get<int>());
  ASSERT_EQ(events.size(), summary["events"].get<uint64_t>());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].seq(), i + 1);
  EXPECT_EQ(events.back().kind(), v1::SESSION_ENDED);
  EXPECT_EQ(detail.summary().state(), v1::CLOSED);
}

}  // namespace
}  // namespace proctor::testing
