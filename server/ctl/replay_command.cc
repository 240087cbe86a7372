// proctorctl session replay: plays a scripted session against the server as a learner's client
// would — opens it with the exam pass, signs and chains every event, streams them in batches,
// closes the session and prints its verdict. For demos, drills and acceptance checks before the
// real client (proctor-client) is at hand.
//
// Script: one event per line, '#' starts a comment:
//   AT_MS KIND [BEGIN|END] [face=N]
// KIND is an event kind name (IDENTITY_VERIFIED, FACE_ABSENT, ...). Identity events carry the
// descriptor of face N (default 0) of --faces, the output of `proctor-face embed --json`, and
// the client's distance to the reference the server returned; END events get the duration since
// their BEGIN. When --faces names chips (`proctor-face embed --json --chips DIR`), identity
// events carry the face's chip as evidence, which the server re-embeds.
// The scripted learner agrees to the assessment's consent notice: the session begins with a
// CONSENT_GIVEN naming the notice OpenSession returned (a CONSENT_GIVEN line in the script puts
// it there; without one it is added before the first line), unless --no-consent (a drill of
// the server's refusal of biometric events without consent).
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/i18n.h"
#include "common/crypto.h"
#include "common/event.h"
#include "common/status_macros.h"
#include "proctor/v1/session.grpc.pb.h"
#include "protocol/chain.h"
#include "protocol/consent.h"
#include "protocol/event_codec.h"
#include "server/ctl/commands.h"
#include "server/ctl/wire_names.h"

namespace proctor::ctl {
namespace {

struct ReplayOptions {
  std::string pass;
  std::string script;
  std::string faces;
  int batch = 20;
  bool keep_open = false;
  bool no_consent = false;
};

struct ScriptLine {
  int64_t at_ms = 0;
  EventKind kind = EventKind::kUnspecified;
  EventPhase phase = EventPhase::kInstant;
  size_t face = 0;
};

absl::StatusOr<std::vector<ScriptLine>> ParseScript(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read script ", path));
  std::vector<ScriptLine> lines;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    text = text.substr(0, text.find('#'));
    std::istringstream words(text);
    std::string at, kind, word;
    if (!(words >> at >> kind)) continue;  // blank or comment
    ScriptLine line;
    auto parsed = EventKindFromName(kind);
    char* end = nullptr;
    line.at_ms = std::strtoll(at.c_str(), &end, 10);
    if (!parsed || *end != '\0' || line.at_ms < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": expected 'AT_MS KIND', got '", text, "'"));
    }
    line.kind = *parsed;
    while (words >> word) {
      if (word == "BEGIN")
        line.phase = EventPhase::kBegin;
      else if (word == "END")
        line.phase = EventPhase::kEnd;
      else if (word.rfind("face=", 0) == 0)
        line.face = std::stoul(word.substr(5));
      else
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", number, ": unknown '", word, "'"));
    }
    lines.push_back(line);
  }
  if (lines.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no events"));
  return lines;
}

struct ScriptFace {
  std::vector<float> descriptor;
  std::vector<uint8_t> chip_jpeg;  // empty when the faces file names no chip
};

// Every face in a `proctor-face embed --json [--chips DIR]` document, in order.
absl::StatusOr<std::vector<ScriptFace>> ReadFaces(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read faces file ", path));
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  std::vector<ScriptFace> faces;
  if (doc.is_object() && doc.contains("images")) {
    for (const auto& image : doc["images"]) {
      if (!image.contains("faces")) continue;
      for (const auto& face : image["faces"]) {
        ScriptFace f;
        f.descriptor = face["descriptor"].get<std::vector<float>>();
        if (face.contains("chip")) {
          const std::string chip = face["chip"].get<std::string>();
          std::ifstream in(chip, std::ios::binary);
          if (!in) return absl::NotFoundError(absl::StrCat("cannot read chip ", chip));
          f.chip_jpeg.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        faces.push_back(std::move(f));
      }
    }
  }
  if (faces.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " holds no faces (expected `proctor-face embed --json` output)"));
  }
  return faces;
}

// Builds the script's events for the opened session, sealed into its chain as the client does.
absl::StatusOr<std::vector<protocol::SignedEvent>> BuildEvents(
    const std::vector<ScriptLine>& script, const std::vector<ScriptFace>& faces,
    const v1::OpenSessionResponse& opened, bool consent, protocol::ChainSealer& sealer) {
  ASSIGN_OR_RETURN(const std::vector<protocol::Template> templates,
                   protocol::TemplatesFromProto(opened));
  const std::string consent_detail = protocol::ConsentDetail(
      {opened.consent_notice().version(), opened.consent_notice().sha256(),
       std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
           .count()});
  std::vector<ScriptLine> lines = script;
  if (consent && (lines.empty() || lines.front().kind != EventKind::kConsentGiven)) {
    ScriptLine given;
    given.kind = EventKind::kConsentGiven;
    given.at_ms = lines.empty() ? 0 : lines.front().at_ms;
    lines.insert(lines.begin(), given);
  }
  std::vector<protocol::SignedEvent> events;
  std::map<EventKind, int64_t> begun;
  for (const ScriptLine& line : lines) {
    Event e;
    e.kind = line.kind;
    e.phase = line.phase;
    e.at_ms = line.at_ms;
    if (line.kind == EventKind::kConsentGiven) e.detail = consent_detail;
    if (line.phase == EventPhase::kBegin) begun[line.kind] = line.at_ms;
    if (line.phase == EventPhase::kEnd && begun.count(line.kind)) {
      e.duration_ms = line.at_ms - begun[line.kind];
    }
    if (line.kind == EventKind::kIdentityVerified || line.kind == EventKind::kIdentityMismatch) {
      if (line.face >= faces.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("face=", line.face, " but --faces has ", faces.size(), " face(s)"));
      }
      e.descriptor = faces[line.face].descriptor;
      e.evidence_jpeg = faces[line.face].chip_jpeg;
      const auto distance = protocol::IdentityDistance(e.descriptor, templates);
      e.client_distance = distance ? static_cast<float>(*distance) : -1.0f;
      e.face_count = 1;
    } else if (line.kind == EventKind::kMultipleFaces && line.phase == EventPhase::kBegin) {
      e.face_count = 2;
    }
    events.push_back(sealer.Seal(std::move(e)));
  }
  return events;
}

// Streams the events in batches on one stream, one batch in flight; returns the last acked seq.
grpc::Status Stream(v1::SessionService::Stub& stub, const std::string& session_token,
                    const std::vector<protocol::SignedEvent>& events, int batch_size,
                    uint64_t* acked) {
  grpc::ClientContext call;
  PrepareCall(&call, session_token, 60);
  auto stream = stub.StreamEvents(&call);
  for (size_t from = 0; from < events.size(); from += batch_size) {
    const size_t to = std::min(events.size(), from + batch_size);
    v1::EventBatch batch;
    for (size_t i = from; i < to; ++i) protocol::EventToProto(events[i].event, batch.add_events());
    const Signature& sig = events[to - 1].signature;
    batch.set_head_signature(std::string(sig.begin(), sig.end()));
    v1::BatchAck ack;
    if (!stream->Write(batch) || !stream->Read(&ack)) break;
    *acked = ack.acked_seq();
  }
  stream->WritesDone();
  return stream->Finish();
}

int RunReplay(const CtlContext& context, const ReplayOptions& options) {
  auto script = ParseScript(options.script);
  if (!script.ok()) return ReportLocalError(std::string(script.status().message()));
  auto faces = ReadFaces(options.faces);
  if (!faces.ok()) return ReportLocalError(std::string(faces.status().message()));
  auto stub = v1::SessionService::NewStub(context.channel());
  SigningKey key = SigningKey::Generate();
  v1::ConsentNotice notice;
  v1::GetConsentNoticeRequest read;
  read.set_pass(options.pass);
  grpc::Status status =
      context.Invoke(*stub, &v1::SessionService::Stub::GetConsentNotice, read, &notice);
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("opening the session"), status);
  v1::OpenSessionRequest open;
  open.set_pass(options.pass);
  open.set_consented_notice_sha256(notice.sha256());
  open.set_client_public_key(std::string(key.public_key().begin(), key.public_key().end()));
  v1::OpenSessionResponse opened;
  status = context.Invoke(*stub, &v1::SessionService::Stub::OpenSession, open, &opened);
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("opening the session"), status);
  protocol::ChainSealer sealer(opened.session_id(), std::move(key));
  auto events = BuildEvents(*script, *faces, opened, !options.no_consent, sealer);
  if (!events.ok()) return ReportLocalError(std::string(events.status().message()));
  uint64_t acked = 0;
  status = Stream(*stub, opened.session_token(), *events, options.batch, &acked);
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("streaming events"), status);
  nlohmann::json out = {
      {"session_id", opened.session_id()}, {"sent", events->size()}, {"acked", acked}};
  if (!options.keep_open) {
    grpc::ClientContext call;
    PrepareCall(&call, opened.session_token(), 60);
    v1::CloseSessionRequest close;
    close.set_ended_at_ms(events->back().event.at_ms);
    v1::CloseSessionResponse closed;
    status = stub->CloseSession(&call, close, &closed);
    if (!status.ok()) return context.ReportRpcError(i18n::Tr("closing the session"), status);
    out["verdict"] = VerdictName(closed.verdict());
    out["risk_score"] = closed.risk_score();
  }
  if (context.json()) {
    context.PrintJson(out);
  } else {
    const i18n::Translator& t = i18n::Process();
    std::printf("%s\n", t.Trf("session $0: events sent: $1, acknowledged up to seq $2",
                              opened.session_id(), events->size(), acked)
                            .c_str());
    if (out.contains("verdict")) {
      std::printf("%s\n", t.Trf("closed: verdict $0, risk $1", out["verdict"].get<std::string>(),
                                t.Number(out["risk_score"].get<double>(), 2))
                              .c_str());
    }
  }
  return acked == events->size() ? kExitOk : kExitServerError;
}

}  // namespace

void AddReplayCommand(CLI::App* session_group, CommandAction* action) {
  auto options = std::make_shared<ReplayOptions>();
  CLI::App* replay = session_group->add_subcommand(
      "replay", "Play a scripted session as a learner's client would (demos, drills)");
  replay->add_option("--pass", options->pass, "One-time exam pass (from `pass issue`)")->required();
  replay->add_option("--script", options->script, "Script: 'AT_MS KIND [BEGIN|END] [face=N]' lines")
      ->required()
      ->check(CLI::ExistingFile);
  replay->add_option("--faces", options->faces, "`proctor-face embed --json` output")
      ->required()
      ->check(CLI::ExistingFile);
  replay->add_option("--batch", options->batch, "Events per batch, 1-500")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  replay->add_flag("--keep-open", options->keep_open, "Do not close the session at the end");
  replay->add_flag("--no-consent", options->no_consent,
                   "Do not begin with the learner's CONSENT_GIVEN (the server then refuses "
                   "identity and liveness events)");
  SetActionOnParse(replay, action, options, &RunReplay);
}

}  // namespace proctor::ctl
