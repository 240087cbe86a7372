// proctorctl review decide SESSION --verdict accept|reject --note TEXT
// proctorctl appeal file --session ID --reason TEXT
// proctorctl review enrollment list [--all] [--json]
// proctorctl review enrollment photo LEARNER --out FILE
// proctorctl review enrollment decide LEARNER --decision confirm|reject --note TEXT
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/i18n.h"
#include "proctor/v1/review.grpc.pb.h"
#include "server/ctl/commands.h"
#include "server/ctl/wire_names.h"

namespace proctor::ctl {
namespace {

struct DecideOptions {
  std::string session_id;
  std::string verdict;  // --verdict: "accept" or "reject", checked by the parser
  std::string note;
};

int RunDecide(const CtlContext& context, const DecideOptions& options) {
  v1::DecideRequest request;
  request.set_session_id(options.session_id);
  request.set_verdict(options.verdict == "accept" ? v1::ACCEPTED : v1::REJECTED);
  request.set_note(options.note);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::DecideResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::Decide, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("deciding session $0", options.session_id), status);
  }
  if (context.json()) {
    context.PrintJson(
        {{"session_id", options.session_id}, {"verdict", VerdictName(response.verdict())}});
  } else {
    std::printf(
        "%s\n",
        i18n::Trf("session $0: $1", options.session_id, VerdictName(response.verdict())).c_str());
    if (options.verdict == "reject" && response.verdict() == v1::PENDING_REVIEW) {
      std::printf("%s\n", i18n::Tr("rejection proposed: a FINAL session is rejected only when a "
                                   "second examiner agrees")
                              .c_str());
    }
  }
  return kExitOk;
}

struct AppealOptions {
  std::string session_id;
  std::string reason;
};

int RunAppeal(const CtlContext& context, const AppealOptions& options) {
  v1::FileAppealRequest request;
  request.set_session_id(options.session_id);
  request.set_reason(options.reason);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::FileAppealResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::FileAppeal, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(
        i18n::Trf("filing an appeal against session $0", options.session_id), status);
  }
  if (context.json()) {
    context.PrintJson(
        {{"session_id", options.session_id}, {"verdict", VerdictName(response.verdict())}});
  } else {
    std::printf("%s\n", i18n::Trf("appeal filed: session $0 is back in review ($1) for an "
                                  "examiner who did not decide it before",
                                  options.session_id, VerdictName(response.verdict()))
                            .c_str());
  }
  return kExitOk;
}

struct EnrollmentListOptions {
  bool all = false;
};

int RunEnrollmentList(const CtlContext& context, const EnrollmentListOptions& options) {
  v1::ListSelfEnrollmentsRequest request;
  request.set_pending_only(!options.all);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::ListSelfEnrollmentsResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::ListSelfEnrollments, request, &response);
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("listing self-enrollments"), status);
  if (context.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : response.enrollments()) {
      list.push_back({{"learner_id", e.learner_id()},
                      {"learner_name", e.learner_name()},
                      {"assessment_id", e.assessment_id()},
                      {"state", e.state()},
                      {"photos", e.photos()},
                      {"created_at_unix_ms", e.created_at_unix_ms()},
                      {"decided_by", e.decided_by()},
                      {"decided_at_unix_ms", e.decided_at_unix_ms()},
                      {"note", e.note()}});
    }
    context.PrintJson(list);
    return kExitOk;
  }
  if (response.enrollments().empty()) {
    std::printf("%s\n", (options.all ? i18n::Tr("no learner has enrolled themselves")
                                     : i18n::Tr("no self-enrollment waits for a check"))
                            .c_str());
    return kExitOk;
  }
  for (const auto& e : response.enrollments()) {
    std::printf("%-24s %-10s %s  %s  (%s)\n", e.learner_id().c_str(), e.state().c_str(),
                UtcTime(e.created_at_unix_ms()).c_str(), e.learner_name().c_str(),
                e.assessment_id().c_str());
    if (e.state() != "pending") {
      std::printf("    %s\n", i18n::Trf("by $0 at $1: $2", e.decided_by(),
                                        UtcTime(e.decided_at_unix_ms()), e.note())
                                  .c_str());
    }
  }
  return kExitOk;
}

struct EnrollmentPhotoOptions {
  std::string learner;
  std::string out;
};

int RunEnrollmentPhoto(const CtlContext& context, const EnrollmentPhotoOptions& options) {
  // Biometric data: a new file only the caller can read, never one that exists.
  const int fd = ::open(options.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return ReportLocalError(i18n::Trf("--out $0: $1 (the photo is written to a new file only)",
                                      options.out, std::strerror(errno)));
  }
  v1::GetSelfEnrollmentPhotoRequest request;
  request.set_learner_id(options.learner);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::SelfEnrollmentPhoto response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::GetSelfEnrollmentPhoto, request, &response);
  bool written = status.ok();
  if (written) {
    const std::string& jpeg = response.jpeg();
    size_t done = 0;
    while (written && done < jpeg.size()) {
      const ssize_t n = ::write(fd, jpeg.data() + done, jpeg.size() - done);
      if (n < 0 && errno == EINTR) continue;
      written = n > 0;
      if (written) done += static_cast<size_t>(n);
    }
    written = written && ::fsync(fd) == 0;
  }
  const int write_errno = errno;
  ::close(fd);
  if (!written) ::unlink(options.out.c_str());
  if (!status.ok()) {
    return context.ReportRpcError(
        i18n::Trf("reading the self-enrollment photo of $0", options.learner), status);
  }
  if (!written) {
    return ReportLocalError(i18n::Trf("--out $0: $1", options.out, std::strerror(write_errno)));
  }
  if (context.json()) {
    context.PrintJson(
        {{"learner_id", options.learner}, {"out", options.out}, {"bytes", response.jpeg().size()}});
  } else {
    std::printf("%s\n", i18n::Trf("wrote the photo of $0 to $1 ($2 bytes): compare it with the "
                                  "institution's record, then delete the file",
                                  options.learner, options.out, response.jpeg().size())
                            .c_str());
  }
  return kExitOk;
}

struct EnrollmentDecideOptions {
  std::string learner;
  std::string decision;  // "confirm" or "reject", checked by the parser
  std::string note;
};

int RunEnrollmentDecide(const CtlContext& context, const EnrollmentDecideOptions& options) {
  v1::DecideSelfEnrollmentRequest request;
  request.set_learner_id(options.learner);
  request.set_confirmed(options.decision == "confirm");
  request.set_note(options.note);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::DecideSelfEnrollmentResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::DecideSelfEnrollment, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("deciding the self-enrollment of $0", options.learner),
                                  status);
  }
  if (context.json()) {
    context.PrintJson({{"learner_id", options.learner}, {"state", response.state()}});
  } else if (response.state() == "confirmed") {
    std::printf("%s\n",
                i18n::Trf("self-enrollment of $0 confirmed; the photo was deleted", options.learner)
                    .c_str());
  } else {
    std::printf("%s\n", i18n::Trf("self-enrollment of $0 rejected; the photo and the templates "
                                  "were deleted: an administrator enrolls this learner now",
                                  options.learner)
                            .c_str());
  }
  return kExitOk;
}

void AddEnrollmentCommands(CLI::App* review, CommandAction* action) {
  CLI::App* group = review->add_subcommand(
      "enrollment", "Check learners who enrolled themselves against the institution's record");
  group->require_subcommand(1);

  auto list_options = std::make_shared<EnrollmentListOptions>();
  CLI::App* list = group->add_subcommand("list", "Self-enrollments waiting for a check");
  list->add_flag("--all", list_options->all, "Also the confirmed and rejected ones");
  SetActionOnParse(list, action, list_options, &RunEnrollmentList);

  auto photo_options = std::make_shared<EnrollmentPhotoOptions>();
  CLI::App* photo = group->add_subcommand(
      "photo", "Write the kept photo (JPEG) of a pending self-enrollment to a new file");
  photo->add_option("learner", photo_options->learner, "Learner id")->required();
  photo->add_option("--out", photo_options->out, "New file (mode 0600)")->required();
  SetActionOnParse(photo, action, photo_options, &RunEnrollmentPhoto);

  auto decide_options = std::make_shared<EnrollmentDecideOptions>();
  CLI::App* decide = group->add_subcommand(
      "decide", "Confirm or reject a self-enrollment; the photo is deleted either way");
  decide->add_option("learner", decide_options->learner, "Learner id")->required();
  decide->add_option("--decision", decide_options->decision, "confirm or reject")
      ->required()
      ->transform(CLI::IsMember({"confirm", "reject"}, CLI::ignore_case));
  decide
      ->add_option("--note", decide_options->note,
                   "What you compared with what, 1-2000 bytes; kept in the audit log")
      ->required();
  SetActionOnParse(decide, action, decide_options, &RunEnrollmentDecide);
}

}  // namespace

void AddAppealCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group =
      app->add_subcommand("appeal", "A learner's appeal against a verdict (LMS or administrator)");
  group->require_subcommand(1);
  auto options = std::make_shared<AppealOptions>();
  CLI::App* file = group->add_subcommand(
      "file", "Reopen review of a decided session for an examiner who did not decide it first");
  file->add_option("--session", options->session_id, "Session id")->required();
  file->add_option("--reason", options->reason, "The learner's reason, 1-4000 bytes")->required();
  SetActionOnParse(file, action, options, &RunAppeal);
}

void AddReviewCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group = app->add_subcommand("review", "Decide flagged sessions (examiner)");
  group->require_subcommand(1);

  auto options = std::make_shared<DecideOptions>();
  CLI::App* decide = group->add_subcommand(
      "decide", "Accept or reject a closed session; the decision goes to the audit log");
  decide->add_option("session", options->session_id, "Session id")->required();
  decide->add_option("--verdict", options->verdict, "accept or reject")
      ->required()
      ->transform(CLI::IsMember({"accept", "reject"}, CLI::ignore_case));
  decide->add_option("--note", options->note, "Why, 1-2000 bytes; kept in the audit log")
      ->required();
  SetActionOnParse(decide, action, options, &RunDecide);
  AddEnrollmentCommands(group, action);
}

}  // namespace proctor::ctl
