// proctorctl admin backup --out FILE [--deadline S]
// proctorctl admin verify
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/i18n.h"
#include "common/crypto.h"
#include "proctor/v1/admin.grpc.pb.h"
#include "server/ctl/commands.h"
#include "server/ctl/wire_names.h"

namespace proctor::ctl {
namespace {

struct BackupOptions {
  std::string out;
  double deadline_s = 3600;
};

struct VerifyOptions {};

// The backup as it arrives: FILE.partial (0600, never an existing file), renamed to FILE only
// once complete, its SHA-256 checked and its data on disk.
class BackupFile {
 public:
  explicit BackupFile(std::string path) : path_(std::move(path)), partial_(path_ + ".partial") {}
  ~BackupFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!done_) ::unlink(partial_.c_str());
  }
  absl::Status Open() {
    std::error_code ec;
    if (std::filesystem::exists(path_, ec)) {
      return absl::AlreadyExistsError(absl::StrCat(path_, " exists; choose a new file"));
    }
    fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) return Errno("creating " + partial_);
    return absl::OkStatus();
  }
  absl::Status Append(const std::string& data) {
    sha_.Update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    for (size_t done = 0; done < data.size();) {
      const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("writing " + partial_);
      done += static_cast<size_t>(n);
    }
    written_ += data.size();
    return absl::OkStatus();
  }
  // Checks size and digest, syncs, renames and syncs the folder.
  absl::Status Commit(uint64_t total, const std::string& sha256) {
    if (written_ != total) {
      return absl::DataLossError(
          absl::StrCat("the backup ended after ", written_, " of ", total, " bytes"));
    }
    const auto digest = sha_.Finish();
    if (sha256.size() != digest.size() || std::memcmp(sha256.data(), digest.data(), 32) != 0) {
      return absl::DataLossError("the backup's SHA-256 does not match what the server sent");
    }
    hex_ = ToHex(digest.data(), digest.size());
    if (::fsync(fd_) != 0) return Errno("syncing " + partial_);
    ::close(fd_);
    fd_ = -1;
    if (::rename(partial_.c_str(), path_.c_str()) != 0) return Errno("renaming to " + path_);
    done_ = true;
    const std::string dir = std::filesystem::path(path_).parent_path().string();
    const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return absl::OkStatus();
  }
  uint64_t written() const { return written_; }
  const std::string& hex() const { return hex_; }

 private:
  static absl::Status Errno(const std::string& what) {
    return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
  }
  const std::string path_;
  const std::string partial_;
  int fd_ = -1;
  bool done_ = false;
  uint64_t written_ = 0;
  Sha256Stream sha_;
  std::string hex_;
};

int RunBackup(const CtlContext& context, const BackupOptions& options) {
  BackupFile file(options.out);
  if (absl::Status s = file.Open(); !s.ok()) return ReportLocalError(std::string(s.message()));
  auto stub = v1::AdminService::NewStub(context.channel());
  grpc::ClientContext call;
  context.PrepareCall(&call);
  call.set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(options.deadline_s * 1e3)));
  auto reader = stub->BackupDatabase(&call, v1::BackupDatabaseRequest());
  v1::BackupChunk chunk;
  uint64_t total = 0;
  std::string sha256;
  int reported_tenth = 0;
  while (reader->Read(&chunk)) {
    total = chunk.total_bytes();
    if (absl::Status s = file.Append(chunk.data()); !s.ok()) {
      call.TryCancel();
      reader->Finish();
      return ReportLocalError(std::string(s.message()));
    }
    if (!chunk.sha256().empty()) sha256 = chunk.sha256();
    const int tenth = total > 0 ? static_cast<int>(10 * file.written() / total) : 10;
    if (!context.json() && total > (64u << 20) && tenth > reported_tenth) {
      reported_tenth = tenth;
      std::fprintf(stderr, "%s\n",
                   i18n::Trf("backup: $0 of $1 MiB", file.written() >> 20, total >> 20).c_str());
    }
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("backing up the database"), status);
  if (absl::Status s = file.Commit(total, sha256); !s.ok()) {
    std::fprintf(stderr, "proctorctl: %s\n",
                 i18n::Trf("backing up the database: $0", s.message()).c_str());
    return kExitServerError;
  }
  if (context.json()) {
    context.PrintJson({{"path", options.out}, {"bytes", file.written()}, {"sha256", file.hex()}});
  } else {
    std::printf("%s\n", i18n::Trf("backed up the database to $0: $1 bytes, sha256 $2", options.out,
                                  file.written(), file.hex())
                            .c_str());
  }
  return kExitOk;
}

nlohmann::json IntegrityToJson(const v1::SessionIntegrity& s) {
  return {{"session_id", s.session_id()},
          {"learner_id", s.learner_id()},
          {"assessment_id", s.assessment_id()},
          {"state", SessionStateName(s.state())},
          {"events", s.events()},
          {"recomputed", s.recomputed()},
          {"linked", s.linked()},
          {"unverifiable", s.unverifiable()},
          {"head_matches", s.head_matches()},
          {"signatures", s.signatures()},
          {"signatures_verified", s.signatures_verified()},
          {"unsigned_events", s.unsigned_events()},
          {"problems", std::vector<std::string>(s.problems().begin(), s.problems().end())},
          {"ok", s.ok()}};
}

int RunVerify(const CtlContext& context, const VerifyOptions&) {
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::VerifyIntegrityResponse response;
  const grpc::Status status = context.Invoke(*stub, &v1::AdminService::Stub::VerifyIntegrity,
                                             v1::VerifyIntegrityRequest(), &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Tr("verifying the stored sessions"), status);
  }
  uint64_t events = 0, failed = 0, unverifiable = 0;
  for (const v1::SessionIntegrity& s : response.sessions()) {
    events += s.events();
    unverifiable += s.unverifiable();
    if (!s.ok()) ++failed;
  }
  if (context.json()) {
    nlohmann::json sessions = nlohmann::json::array();
    for (const v1::SessionIntegrity& s : response.sessions())
      sessions.push_back(IntegrityToJson(s));
    context.PrintJson({{"sessions_checked", response.sessions_size()},
                       {"sessions_failed", failed},
                       {"events", events},
                       {"unverifiable", unverifiable},
                       {"ok", failed == 0},
                       {"sessions", sessions}});
  } else {
    for (const v1::SessionIntegrity& s : response.sessions()) {
      if (s.ok()) continue;
      std::printf("%s\n", i18n::Trf("FAILED $0 (learner $1): $2", s.session_id(), s.learner_id(),
                                    s.problems_size() > 0 ? s.problems(0) : "")
                              .c_str());
      for (int i = 1; i < s.problems_size(); ++i) std::printf("  %s\n", s.problems(i).c_str());
    }
    const i18n::Translator& t = i18n::Process();
    std::string line = t.TrNf("$0 session checked, events: $1, failed: $2",
                              "$0 sessions checked, events: $1, failed: $2",
                              response.sessions_size(), response.sessions_size(), events, failed);
    if (unverifiable > 0) {
      absl::StrAppend(&line, " ",
                      t.Trf("(events with purged evidence: $0; linked, not recomputed)",
                            unverifiable));
    }
    std::printf("%s\n", line.c_str());
  }
  return failed == 0 ? kExitOk : kExitServerError;
}

void AddBackup(CLI::App* group, CommandAction* action) {
  auto options = std::make_shared<BackupOptions>();
  CLI::App* backup = group->add_subcommand(
      "backup",
      "Online copy of the server's SQLite database, consistent as of one moment, into a new "
      "file (ingest goes on). The copy holds sealed biometric data; the key that opens it, "
      "DATA_DIR/storage.key, is not in it: keep that key's copy apart");
  backup->add_option("--out", options->out, "New file to write (refused if it exists)")->required();
  backup->add_option("--deadline", options->deadline_s, "Seconds the whole copy may take")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  SetActionOnParse(backup, action, options, &RunBackup);
}

void AddVerify(CLI::App* group, CommandAction* action) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* verify = group->add_subcommand(
      "verify",
      "Re-verify every stored session's hash chain and batch signatures (the console report's "
      "check); exit 1 when any session fails");
  SetActionOnParse(verify, action, options, &RunVerify);
}

}  // namespace

namespace {

// One line per session and learner the run deleted (or, dry, would delete), then the totals.
void PrintRetentionReport(const v1::RunRetentionResponse& response) {
  const i18n::Translator& t = i18n::Process();
  const bool dry = response.dry_run();
  for (const auto& s : response.sessions()) {
    const std::string due = t.DateTime(s.kept_until_unix_ms());
    const std::string line =
        dry ? t.Trf("would delete the evidence of session $0 (learner $1), due since $2",
                    s.session_id(), s.learner_id(), due)
            : t.TrNf("deleted $0 evidence image of session $1 (learner $2), due since $3",
                     "deleted $0 evidence images of session $1 (learner $2), due since $3",
                     s.evidence_removed(), s.evidence_removed(), s.session_id(), s.learner_id(),
                     due);
    std::printf("%s\n", line.c_str());
  }
  for (const auto& l : response.learners()) {
    const std::string due = t.DateTime(l.kept_until_unix_ms());
    const std::string line =
        dry ? t.Trf("would delete the face templates of learner $0, due since $1",
                    l.learner_id(), due)
            : t.TrNf("deleted $0 face template of learner $1, due since $2",
                     "deleted $0 face templates of learner $1, due since $2",
                     l.templates_removed(), l.templates_removed(), l.learner_id(), due);
    std::printf("%s\n", line.c_str());
  }
  const std::string total =
      dry ? t.Trf("dry run, nothing deleted: sessions due: $0, learners due: $1",
                  response.sessions_size(), response.learners_size())
          : t.Trf("retention done: evidence of sessions: $0, templates of learners: $1",
                  response.sessions_size(), response.learners_size());
  std::printf("%s\n", total.c_str());
}

}  // namespace

struct RetentionOptions {
  bool dry_run = false;
};

int RunRetention(const CtlContext& context, const RetentionOptions& options) {
  v1::RunRetentionRequest request;
  request.set_dry_run(options.dry_run);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::RunRetentionResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::RunRetention, request, &response);
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("running retention"), status);
  if (context.json()) {
    nlohmann::json sessions = nlohmann::json::array(), learners = nlohmann::json::array();
    for (const auto& s : response.sessions()) {
      sessions.push_back({{"session_id", s.session_id()},
                          {"learner_id", s.learner_id()},
                          {"kept_until_unix_ms", s.kept_until_unix_ms()},
                          {"evidence_removed", s.evidence_removed()}});
    }
    for (const auto& l : response.learners()) {
      learners.push_back({{"learner_id", l.learner_id()},
                          {"kept_until_unix_ms", l.kept_until_unix_ms()},
                          {"templates_removed", l.templates_removed()}});
    }
    context.PrintJson({{"dry_run", response.dry_run()},
                       {"sessions", sessions},
                       {"learners", learners}});
    return kExitOk;
  }
  PrintRetentionReport(response);
  return kExitOk;
}

void AddRetentionCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group = app->add_subcommand(
      "retention", "Delete biometric data whose retention period is over (administrator)");
  group->require_subcommand(1);
  auto options = std::make_shared<RetentionOptions>();
  CLI::App* run = group->add_subcommand(
      "run", "Run the retention job now (the server also runs it daily); audited");
  run->add_flag("--dry-run", options->dry_run, "Say what is due; delete nothing");
  SetActionOnParse(run, action, options, &RunRetention);
}

void AddAdminCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group = app->add_subcommand(
      "admin", "Back up the database and verify what it holds (administrator; verify: examiner)");
  group->require_subcommand(1);
  AddBackup(group, action);
  AddVerify(group, action);
}

}  // namespace proctor::ctl
