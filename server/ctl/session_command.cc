// proctorctl session list [--flagged] [--json]
// proctorctl session show ID [--json]
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/i18n.h"
#include "proctor/v1/review.grpc.pb.h"
#include "server/ctl/commands.h"
#include "server/ctl/wire_names.h"

namespace proctor::ctl {
namespace {

struct ListSessionsOptions {
  bool flagged = false;  // --flagged: only sessions pending review
};

struct ShowSessionOptions {
  std::string session_id;
};

nlohmann::json SummaryToJson(const v1::SessionSummary& s) {
  return {{"session_id", s.session_id()},
          {"learner_id", s.learner_id()},
          {"assessment_id", s.assessment_id()},
          {"state", SessionStateName(s.state())},
          {"risk_score", s.risk_score()},
          {"verdict", VerdictName(s.verdict())},
          {"opened_at_unix_ms", s.opened_at_unix_ms()},
          {"event_count", s.event_count()}};
}

void PrintSessionTable(const v1::ListSessionsResponse& response) {
  using i18n::PadRight;
  using i18n::Tr;
  // TRANSLATORS: column headings of `proctorctl session list`, in capitals.
  std::printf("%s %s %s %s %s %s %s\n", PadRight(Tr("SESSION"), 28).c_str(),
              PadRight(Tr("LEARNER"), 20).c_str(), PadRight(Tr("ASSESSMENT"), 20).c_str(),
              PadRight(Tr("STATE"), 7).c_str(), PadRight(Tr("RISK"), 5).c_str(),
              PadRight(Tr("VERDICT"), 15).c_str(), Tr("EVENTS").c_str());
  for (const v1::SessionSummary& s : response.sessions()) {
    std::printf("%s %s %s %-7s %5.2f %-15s %8lld\n", PadRight(s.session_id(), 28).c_str(),
                PadRight(s.learner_id(), 20).c_str(), PadRight(s.assessment_id(), 20).c_str(),
                SessionStateName(s.state()).c_str(), s.risk_score(),
                VerdictName(s.verdict()).c_str(), static_cast<long long>(s.event_count()));
  }
  if (response.sessions().empty()) std::printf("%s\n", Tr("(no sessions)").c_str());
}

int RunListSessions(const CtlContext& context, const ListSessionsOptions& options) {
  v1::ListSessionsRequest request;
  request.set_flagged_only(options.flagged);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::ListSessionsResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::ListSessions, request, &response);
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("listing sessions"), status);
  if (context.json()) {
    nlohmann::json sessions = nlohmann::json::array();
    for (const v1::SessionSummary& s : response.sessions()) sessions.push_back(SummaryToJson(s));
    context.PrintJson({{"sessions", std::move(sessions)}});
  } else {
    PrintSessionTable(response);
  }
  return kExitOk;
}

nlohmann::json EventToJson(const v1::RecordedEvent& e) {
  nlohmann::json j = {{"seq", e.seq()},
                      {"kind", EventKindName(e.kind())},
                      {"phase", EventPhaseName(e.phase())},
                      {"at_ms", e.at_ms()},
                      {"duration_ms", e.duration_ms()},
                      {"face_count", e.face_count()},
                      {"has_evidence", e.has_evidence()},
                      {"detail", e.detail()},
                      {"from_server", e.from_server()}};
  if (e.distance() >= 0) j["distance"] = ShortDouble(e.distance());
  return j;
}

nlohmann::json DetailToJson(const v1::SessionDetail& detail) {
  nlohmann::json j = SummaryToJson(detail.summary());
  j["match_threshold"] = ShortDouble(detail.match_threshold());
  j["decision_note"] = detail.decision_note();
  j["decided_by"] = detail.decided_by();
  j["risk_reasons"] = nlohmann::json::array();
  for (const std::string& reason : detail.risk_reasons()) j["risk_reasons"].push_back(reason);
  j["events"] = nlohmann::json::array();
  for (const v1::RecordedEvent& e : detail.events()) j["events"].push_back(EventToJson(e));
  j["flags"] = nlohmann::json::array();
  for (const v1::Flag& f : detail.flags()) {
    j["flags"].push_back({{"kind", EventKindName(f.kind())},
                          {"from_ms", f.from_ms()},
                          {"to_ms", f.to_ms()},
                          {"detail", f.detail()}});
  }
  return j;
}

// "label       value": the labels in the reader's language, the values as recorded.
void PrintField(const std::string& label, const std::string& value) {
  std::printf("%s %s\n", i18n::PadRight(label, 11).c_str(), value.c_str());
}

void PrintSessionHeader(const v1::SessionDetail& detail) {
  using i18n::Tr;
  const i18n::Translator& t = i18n::Process();
  const v1::SessionSummary& s = detail.summary();
  // TRANSLATORS: field labels of `proctorctl session show`, up to 11 characters.
  PrintField(Tr("session"), s.session_id());
  PrintField(Tr("learner"), s.learner_id());
  PrintField(Tr("assessment"), s.assessment_id());
  PrintField(Tr("opened"), t.DateTime(s.opened_at_unix_ms()));
  PrintField(Tr("state"), SessionStateName(s.state()));
  PrintField(Tr("verdict"), VerdictName(s.verdict()));
  PrintField(Tr("risk"), t.Number(s.risk_score(), 2));
  PrintField(Tr("events"), std::to_string(s.event_count()));
  for (const std::string& reason : detail.risk_reasons()) {
    std::printf("  %s\n", t.Trf("risk: $0", reason).c_str());
  }
  if (!detail.decision_note().empty() || !detail.decided_by().empty()) {
    PrintField(Tr("decision"), t.Trf("by $0: $1", detail.decided_by(), detail.decision_note()));
  }
}

// "distance 0.412 <= 0.600 (same person)" for identity events, "" otherwise.
std::string DistanceText(const v1::RecordedEvent& e, float threshold) {
  if (e.distance() < 0) return "";
  const bool same = e.distance() <= threshold;
  const i18n::Translator& t = i18n::Process();
  return t.Trf("distance $0 $1 $2 ($3)", t.Number(e.distance(), 3), same ? "<=" : ">",
               t.Number(threshold, 3), same ? t.Tr("same person") : t.Tr("different person"));
}

// One timeline line: media time, seq ("server" for the server's own events), kind, phase,
// distance against the threshold, evidence, detail.
void PrintTimelineEvent(const v1::RecordedEvent& e, float threshold) {
  std::string line = absl::StrFormat("  %s  %11s  %-18s", MediaTime(e.at_ms()),
                                     e.from_server() ? i18n::Tr("server") : std::to_string(e.seq()),
                                     EventKindName(e.kind()));
  if (e.phase() != v1::INSTANT) absl::StrAppendFormat(&line, " %s", EventPhaseName(e.phase()));
  if (e.phase() == v1::END) {
    const i18n::Translator& t = i18n::Process();
    absl::StrAppend(&line, " ", t.Trf("after $0 s", t.Number(e.duration_ms() / 1e3, 1)));
  }
  if (const std::string d = DistanceText(e, threshold); !d.empty()) absl::StrAppend(&line, "  ", d);
  if (e.has_evidence()) absl::StrAppend(&line, "  ", i18n::Tr("[evidence]"));
  if (!e.detail().empty()) absl::StrAppend(&line, "  ", e.detail());
  std::printf("%s\n", std::string(absl::StripTrailingAsciiWhitespace(line)).c_str());
}

// A heartbeat that says nothing but "still here"; runs of them print as one line.
bool IsPlainHeartbeat(const v1::RecordedEvent& e) {
  return e.kind() == v1::HEARTBEAT && !e.has_evidence() && e.detail().empty() && !e.from_server();
}

void PrintTimeline(const v1::SessionDetail& detail) {
  const i18n::Translator& t = i18n::Process();
  std::printf("\n%s\n", t.Trf("timeline (media time; match threshold $0)",
                               t.Number(detail.match_threshold(), 3))
                            .c_str());
  const auto& events = detail.events();
  for (int i = 0; i < events.size();) {
    int end = i;
    while (end < events.size() && IsPlainHeartbeat(events[end])) ++end;
    if (end - i < 2) {
      PrintTimelineEvent(events[i++], detail.match_threshold());
      continue;
    }
    const std::string seqs = absl::StrCat(events[i].seq(), "-", events[end - 1].seq());
    std::printf("  %s  %11s  %s\n", MediaTime(events[i].at_ms()).c_str(), seqs.c_str(),
                t.Trf("HEARTBEAT x$0, until $1", end - i, MediaTime(events[end - 1].at_ms()))
                    .c_str());
    i = end;
  }
  if (events.empty()) std::printf("  %s\n", t.Tr("(no events)").c_str());
}

void PrintFlags(const v1::SessionDetail& detail) {
  std::printf("\n%s\n", i18n::Tr("flags").c_str());
  for (const v1::Flag& f : detail.flags()) {
    std::printf("  %s - %s  %-18s %s\n", MediaTime(f.from_ms()).c_str(),
                MediaTime(f.to_ms()).c_str(), EventKindName(f.kind()).c_str(), f.detail().c_str());
  }
  if (detail.flags().empty()) std::printf("  %s\n", i18n::Tr("(none)").c_str());
}

int RunShowSession(const CtlContext& context, const ShowSessionOptions& options) {
  v1::GetSessionRequest request;
  request.set_session_id(options.session_id);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::SessionDetail detail;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::GetSession, request, &detail);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("reading session $0", options.session_id), status);
  }
  if (context.json()) {
    context.PrintJson(DetailToJson(detail));
  } else {
    PrintSessionHeader(detail);
    PrintTimeline(detail);
    PrintFlags(detail);
  }
  return kExitOk;
}

}  // namespace

void AddSessionCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group =
      app->add_subcommand("session", "List and inspect proctored sessions (examiner)");
  group->require_subcommand(1);

  auto list_options = std::make_shared<ListSessionsOptions>();
  CLI::App* list = group->add_subcommand("list", "Sessions, highest risk first");
  list->add_flag("--flagged", list_options->flagged,
                 "Only sessions whose verdict is PENDING_REVIEW");
  SetActionOnParse(list, action, list_options, &RunListSessions);

  auto show_options = std::make_shared<ShowSessionOptions>();
  CLI::App* show =
      group->add_subcommand("show", "One session: summary, event timeline, flags, risk reasons");
  show->add_option("session", show_options->session_id, "Session id")->required();
  SetActionOnParse(show, action, show_options, &RunShowSession);
  AddReplayCommand(group, action);
}

}  // namespace proctor::ctl
