// The session page (review) and the per-session report (appeal). Both show the same sections;
// the report adds the chain verification and embeds the evidence so it stands on its own.
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "server/core/event_validation.h"
#include "server/http/assets.h"
#include "server/http/html.h"
#include "server/http/page_layout.h"
#include "server/http/pages.h"
#include "server/http/timeline.h"

namespace proctor::server::http {
namespace {

using EvidenceSource = std::function<std::string(uint64_t seq)>;  // "" when not available
using Tl = i18n::Translator;

std::string Distance(const Tl& t, float d) { return d >= 0 ? t.Number(d, 3) : std::string("-"); }

std::string Summary(const SessionPage& page, const Tl& t) {
  const SessionRecord& s = page.view.session;
  return absl::StrCat(
      "<dl class=\"summary\"><dt>", Html(t.Tr("Learner")), "</dt><dd><span id=\"learner-name\">",
      Html(page.learner.name), "</span> <span class=\"sub\">", Html(s.learner_id), "</span></dd><dt>",
      Html(t.Tr("Assessment")), "</dt><dd>", Html(page.assessment.title), " <span class=\"sub\">",
      Html(page.assessment.course), " · ", Html(AssessmentKindName(page.assessment.kind)),
      "</span></dd><dt>", Html(t.Tr("Session")), "</dt><dd><code>", Html(s.id), "</code> ",
      Html(t.TrNf("$0, opened $1, length $2, $3 event", "$0, opened $1, length $2, $3 events",
                  static_cast<int64_t>(s.last_seq), SessionStateName(s.state),
                  t.DateTime(s.opened_at_unix_ms), Duration(TimelineSpanMs(page.view), t),
                  s.last_seq)),
      "</dd><dt>", Html(t.Tr("Risk")), "</dt><dd>", RiskBar(s.risk_score, t), "</dd><dt>",
      Html(t.Tr("Verdict")), "</dt><dd>", VerdictBadge(s.verdict, t), "</dd><dt>",
      Html(t.Tr("Policy")), "</dt><dd class=\"policy\">",
      Html(DescribePolicy(page.assessment.kind, page.view.policy, t)), "</dd><dt>",
      Html(t.Tr("Retention")), "</dt><dd id=\"retention\">",
      Html(page.evidence_purged_at
               ? t.Trf("evidence deleted under retention on $0",
                       t.DateTime(*page.evidence_purged_at))
           : page.evidence_kept_until
               ? t.Trf("evidence kept until $0", t.DateTime(*page.evidence_kept_until))
               : t.Tr("evidence kept until the verdict is final, then for the retention period")),
      "</dd></dl>");
}

std::string Reasons(const SessionView& view, const Tl& t) {
  if (view.scorecard.reasons.empty()) {
    return absl::StrCat("<p class=\"empty\">", Html(t.Tr("No risk contributions.")), "</p>");
  }
  std::string out = "<ul class=\"reasons\">";
  for (const std::string& r : view.scorecard.reasons)
    absl::StrAppend(&out, "<li>", Html(r), "</li>");
  return out + "</ul>";
}

std::string FlagsTable(const SessionView& view, const Tl& t) {
  if (view.scorecard.flags.empty()) {
    return absl::StrCat("<p class=\"empty\">", Html(t.Tr("No flags.")), "</p>");
  }
  std::string out = "<table class=\"flags\" id=\"flags\"><thead><tr>";
  for (const char* heading : {i18n::N_("Flag"), i18n::N_("From"), i18n::N_("To"),
                              i18n::N_("Duration"), i18n::N_("Why")}) {
    absl::StrAppend(&out, "<th>", Html(t.Tr(heading)), "</th>");
  }
  out += "</tr></thead><tbody>";
  for (const FlagSpan& f : view.scorecard.flags) {
    const std::string name = EventKindName(f.kind);
    absl::StrAppend(&out, "<tr><td><span class=\"swatch band-", Html(name), "\"></span>",
                    Html(name), "</td><td>", Html(MediaTime(f.from_ms)), "</td><td>",
                    Html(MediaTime(f.to_ms)), "</td><td>",
                    f.to_ms > f.from_ms ? Html(Duration(f.to_ms - f.from_ms, t))
                                        : Html(t.Tr("instant")),
                    "</td><td>", Html(f.detail), "</td></tr>");
  }
  return out + "</tbody></table>";
}

std::string IdentityTable(const SessionView& view, const Tl& t) {
  std::string rows;
  for (const StoredEvent& s : view.events) {
    if (!IsIdentityKind(s.event.kind)) continue;
    const std::string decision = IdentityDecision(s, view.policy);
    absl::StrAppend(
        &rows, "<tr class=\"", decision.find("mismatch") != std::string::npos ? "bad" : "ok",
        "\"><td>", s.event.seq, "</td><td>", Html(MediaTime(s.event.at_ms)), "</td><td>",
        Html(EventKindName(s.event.kind)), "</td><td class=\"num\">",
        Distance(t, s.server_distance), "</td><td class=\"num\">",
        t.Number(view.policy.match_threshold, 2), "</td><td>",
        Html(IdentityDecisionText(decision, t)), "</td><td class=\"num\">",
        Distance(t, s.event.client_distance), "</td><td>",
        s.has_evidence
            ? absl::StrCat("<a href=\"#chip-", s.event.seq, "\">", Html(t.Tr("chip")), "</a>")
            : "-",
        "</td></tr>");
  }
  if (rows.empty()) {
    return absl::StrCat("<p class=\"empty\">", Html(t.Tr("No identity checks.")), "</p>");
  }
  std::string out = "<table class=\"identity\" id=\"identity\"><thead><tr>";
  for (const char* heading :
       {i18n::N_("Seq"), i18n::N_("At"), i18n::N_("Client said"), i18n::N_("Server distance"),
        i18n::N_("Threshold"), i18n::N_("Decision"), i18n::N_("Client distance"),
        i18n::N_("Evidence")}) {
    absl::StrAppend(&out, "<th>", Html(t.Tr(heading)), "</th>");
  }
  return absl::StrCat(out, "</tr></thead><tbody>", rows, "</tbody></table>");
}

// The server keeps no enrollment photo (only sealed templates computed from it), so the
// reference shown is what it does keep: the template count and the threshold every chip's
// distance is measured against.
std::string ReferenceCard(const SessionPage& page, const Tl& t) {
  const int64_t templates = page.learner.template_count;
  return absl::StrCat(
      "<figure class=\"chip reference\" id=\"reference\"><div class=\"reference-box\">"
      "<strong>",
      Html(t.Tr("Enrollment reference")), "</strong><span>",
      Html(t.TrNf("$0 face template", "$0 face templates", templates, templates)), "</span><span>",
      Html(t.Trf("threshold $0", t.Number(page.view.policy.match_threshold, 2))),
      "</span></div><figcaption>",
      Html(t.Tr("Enrollment photos are not kept (privacy); each chip's distance is measured "
                "against these templates.")),
      "</figcaption></figure>");
}

std::string EvidenceStrip(const SessionPage& page, const EvidenceSource& source, const Tl& t) {
  std::string out =
      absl::StrCat("<div class=\"evidence\" id=\"evidence\">", ReferenceCard(page, t));
  size_t chips = 0;
  for (const StoredEvent& s : page.view.events) {
    if (!s.has_evidence) continue;
    ++chips;
    const std::string src = source(s.event.seq);
    const bool identity = IsIdentityKind(s.event.kind);
    const std::string decision = identity ? IdentityDecision(s, page.view.policy) : "";
    absl::StrAppend(&out, "<figure class=\"chip",
                    decision.find("mismatch") != std::string::npos ? " bad" : "", "\" id=\"chip-",
                    s.event.seq, "\">");
    if (src.empty()) {
      absl::StrAppend(&out, "<div class=\"purged\">", Html(t.Tr("evidence purged")), "</div>");
    } else {
      absl::StrAppend(&out, "<img src=\"", Html(src), "\" alt=\"",
                      Html(t.Trf("evidence of seq $0", s.event.seq)),
                      "\" width=\"120\" height=\"120\">");
    }
    absl::StrAppend(&out, "<figcaption>#", s.event.seq, " · ", Html(MediaTime(s.event.at_ms)),
                    "<br>", Html(EventKindName(s.event.kind)));
    if (identity) {
      absl::StrAppend(&out, "<br>d ", Distance(t, s.server_distance), " · ",
                      Html(IdentityDecisionText(decision, t)));
    }
    absl::StrAppend(&out, "</figcaption></figure>");
  }
  if (chips == 0) {
    absl::StrAppend(&out, "<p class=\"empty\">", Html(t.Tr("No evidence chips.")), "</p>");
  }
  return out + "</div>";
}

std::string ResultSection(const SessionPage& page, const Tl& t) {
  if (!page.result) {
    return absl::StrCat("<p class=\"empty\" id=\"result-status\">",
                        Html(t.Tr("No result recorded for this session yet.")), "</p>");
  }
  const ResultRecord& r = page.result->result;
  return absl::StrCat(
      "<p class=\"result\">",
      Html(t.Trf("Score $0, submitted $1 by $2.", absl::StrFormat("%g / %g", r.score, r.max_score),
                 t.DateTime(r.submitted_at_unix_ms), r.submitted_by)),
      " ", Html(t.Tr("Status:")), " <span id=\"result-status\">",
      StatusBadge(page.result->status, t), "</span></p>");
}

std::string DecisionSection(const SessionPage& page, const Tl& t) {
  const SessionRecord& s = page.view.session;
  std::string out =
      absl::StrCat("<p>", Html(t.Tr("Verdict:")), " ", VerdictBadge(s.verdict, t));
  if (!s.decided_by.empty()) {
    absl::StrAppend(&out, " ", Html(t.Tr("by")), " <strong id=\"decided-by\">",
                    Html(s.decided_by), "</strong></p><blockquote id=\"decision-note\">",
                    Html(s.decision_note), "</blockquote>");
  } else {
    out += "</p>";
  }
  if (page.pending_rejection) {
    absl::StrAppend(&out, "<p class=\"notice\" id=\"pending-rejection\">",
                    Html(t.Trf("$0 proposed to reject this FINAL session ($1). It is rejected "
                               "only when a second examiner agrees; until then the result is "
                               "not official.",
                               page.pending_rejection->actor,
                               t.DateTime(page.pending_rejection->at_unix_ms))),
                    "</p>");
  }
  if (page.open_appeal) {
    absl::StrAppend(
        &out, "<p class=\"notice\" id=\"open-appeal\">",
        Html(page.barred_examiners.empty()
                 ? t.Trf("The learner appealed ($0): $1", t.DateTime(page.open_appeal->at_unix_ms),
                         page.open_appeal->detail)
                 : t.Trf("The learner appealed ($0): $1. An examiner who did not decide the "
                         "session before reviews it (not $2).",
                         t.DateTime(page.open_appeal->at_unix_ms), page.open_appeal->detail,
                         absl::StrJoin(page.barred_examiners, ", "))),
        "</p>");
  }
  if (!page.decisions.empty()) {
    out += "<ol class=\"trail\">";
    for (const AuditEntry& e : page.decisions) {
      const std::string what = e.action == "review.reject_proposed" ? t.Tr("proposed rejection")
                               : e.action == "appeal.filed"          ? t.Tr("appeal")
                               : e.action == "review.sampled" ? t.Tr("quality-control sample")
                                                              : t.Tr("decision");
      absl::StrAppend(&out, "<li>", Html(t.DateTime(e.at_unix_ms)), " · ", Html(e.actor), " · ",
                      Html(what), " · ", Html(e.detail), "</li>");
    }
    out += "</ol>";
  }
  return out;
}

std::string VerdictForm(const PageContext& context, const SessionPage& page, const Tl& t) {
  const SessionRecord& s = page.view.session;
  if (s.state != SessionState::kClosed) {
    return absl::StrCat("<p class=\"empty\">",
                        Html(t.Tr("The session is still open; a verdict can be given once it "
                                  "closes.")),
                        "</p>");
  }
  return absl::StrCat(
      "<form method=\"post\" action=\"/sessions/", Html(s.id),
      "/verdict\" id=\"verdict-form\" class=\"verdict\">", CsrfField(context), "<fieldset><legend>",
      Html(t.Tr("Your verdict")),
      "</legend><label><input type=\"radio\" name=\"verdict\" value=\"accept\" "
      "id=\"verdict-accept\" required> ",
      Html(t.Tr("Accept: the result may become official")),
      "</label><label><input type=\"radio\" name=\"verdict\" value=\"reject\" "
      "id=\"verdict-reject\"> ",
      Html(t.Tr("Reject: the result is not recognised")),
      "</label></fieldset><label for=\"note\">",
      Html(t.Tr("Note (kept in the audit log and shown in the report)")),
      "</label><textarea id=\"note\" name=\"note\" rows=\"3\" maxlength=\"2000\" "
      "required></textarea><button type=\"submit\" id=\"submit-verdict\">",
      Html(t.Tr("Record verdict")), "</button></form>");
}

std::string Section(const std::string& title, const std::string& id, const std::string& body) {
  return absl::StrCat("<section class=\"card\" id=\"", id, "-section\"><h2>", Html(title), "</h2>",
                      body, "</section>");
}

// "N batch signatures verified, M failed", the failures named by seq (in red), and the events
// after the last signed head, which no stored signature covers.
std::string SignatureLines(const SessionReport& report, const Tl& t) {
  const SignatureCheck& g = report.signatures;
  const int64_t verified = static_cast<int64_t>(g.verified);
  std::string out = absl::StrCat(
      "<p class=\"", g.failed.empty() ? "verified" : "error", "\" id=\"signature-result\">",
      Html(t.TrNf("$0 batch signature verified, $1 failed.",
                  "$0 batch signatures verified, $1 failed.", verified, verified,
                  g.failed.size())),
      "</p><ul><li>",
      Html(t.Trf("Each batch was accepted only after the client's Ed25519 signature over the "
                 "hash of its last event verified with the session key above. The stored "
                 "signatures ($0) are verified again here over the stored hashes; since each "
                 "hash covers the one before it, a verified signature vouches for every event "
                 "up to its seq.",
                 g.signatures)),
      "</li>");
  if (g.unsigned_events > 0) {
    const int64_t n = static_cast<int64_t>(g.unsigned_events);
    absl::StrAppend(
        &out, "<li class=\"error\" id=\"unsigned-events\">",
        Html(g.last_signed_seq == 0
                 ? t.TrNf("$0 event unsigned: no batch signature is stored for this session "
                          "(sessions stored before signatures were kept have none).",
                          "$0 events unsigned: no batch signature is stored for this session "
                          "(sessions stored before signatures were kept have none).",
                          n, n)
                 : t.TrNf("$0 event after seq $1, the last signed head, unsigned: no stored "
                          "signature covers it.",
                          "$0 events after seq $1, the last signed head, unsigned: no stored "
                          "signature covers them.",
                          n, n, g.last_signed_seq)),
        "</li>");
  }
  out += "</ul>";
  if (!g.failed.empty()) {
    out += "<ul class=\"problems\" id=\"signature-failures\">";
    for (const std::string& p : g.problems) absl::StrAppend(&out, "<li>", Html(p), "</li>");
    out += "</ul>";
  }
  return out;
}

std::string ChainSection(const SessionReport& report, const Tl& t) {
  const ChainCheck& c = report.chain;
  const SessionRecord& s = report.page.view.session;
  std::string out = absl::StrCat(
      "<p class=\"", c.ok() ? "verified" : "error", "\" id=\"chain-result\">",
      Html(c.ok() ? t.Tr("Hash chain verified.") : t.Tr("Hash chain verification FAILED.")),
      "</p><ul><li>",
      Html(t.Trf("$0 of $1 event hashes recomputed (BLAKE2b-256 over each stored event, its "
                 "evidence included) and equal to the stored hashes.",
                 c.recomputed, c.events)),
      "</li><li>",
      Html(t.Trf("$0 of $1 events link to the hash of the event before them (prev_hash).",
                 c.linked, c.events)),
      "</li><li>",
      Html(c.head_matches
               ? t.Trf("The session head (seq $0) is the hash of the last stored event:",
                       s.last_seq)
               : t.Trf("The session head (seq $0) is NOT the hash of the last stored event:",
                       s.last_seq)),
      " <code>", ToHex(s.head_hash.data(), s.head_hash.size()), "</code></li>");
  if (c.unverifiable > 0) {
    absl::StrAppend(
        &out, "<li id=\"purged-evidence\">",
        Html(report.page.evidence_purged_at
                 ? t.Trf("Events whose evidence was deleted under retention on $0 cannot be "
                         "re-hashed ($1); their links are still checked. They are reported as "
                         "purged, not as verified.",
                         t.DateTime(*report.page.evidence_purged_at), c.unverifiable)
                 : t.Trf("Events whose evidence was purged cannot be re-hashed ($0); "
                         "their links are still checked.",
                         c.unverifiable)),
        "</li>");
  }
  absl::StrAppend(&out, "<li>", Html(t.Tr("Session public key (Ed25519):")), " <code>",
                  ToHex(s.client_public_key.data(), s.client_public_key.size()),
                  "</code></li></ul>");
  if (!c.ok()) {
    out += "<ul class=\"problems\">";
    for (const std::string& p : c.problems) absl::StrAppend(&out, "<li>", Html(p), "</li>");
    out += "</ul>";
  }
  return out + SignatureLines(report, t);
}

}  // namespace

std::string SessionPageHtml(const PageContext& context, const SessionPage& page,
                            const std::string& notice) {
  const Tl& t = Tl::For(context.language);
  const std::string& id = page.view.session.id;
  std::string body = absl::StrCat(
      "<div class=\"title-row\"><h1>", Html(t.Tr("Session of")), " <span class=\"name\">",
      Html(page.learner.name), "</span></h1><span class=\"report-links\">",
      "<a class=\"button\" id=\"report-link\" href=\"/sessions/", Html(id), "/report?lang=",
      i18n::LanguageCode(context.language), "\">", Html(t.Tr("Printable report")), "</a>");
  for (i18n::Language other : i18n::kLanguages) {
    if (other == context.language) continue;
    const std::string code(i18n::LanguageCode(other));
    absl::StrAppend(&body, " <a class=\"report-other\" id=\"report-link-", code,
                    "\" hreflang=\"", code, "\" href=\"/sessions/", Html(id), "/report?lang=", code,
                    "\">", Html(i18n::Translator::For(other).Tr("Printable report")), " (",
                    Html(std::string(i18n::LanguageName(other))), ")</a>");
  }
  absl::StrAppend(&body, "</span></div>");
  if (!notice.empty()) absl::StrAppend(&body, "<p class=\"notice\">", Html(notice), "</p>");
  absl::StrAppend(
      &body, "<div class=\"columns\"><div class=\"main-col\">",
      Section(t.Tr("Timeline"), "timeline",
              absl::StrCat(TimelineSvg(page.view, t), "<p class=\"legend\">",
                           Html(t.Tr("Dots: identity checks at their server-side distance (green "
                                     "at or under the threshold, red above). Bands: flags over "
                                     "their duration. Hover for figures.")),
                           "</p>")),
      Section(t.Tr("Evidence in order"), "evidence",
              EvidenceStrip(
                  page,
                  [&](uint64_t seq) { return absl::StrCat("/sessions/", id, "/evidence/", seq); },
                  t)),
      Section(t.Tr("Flags"), "flags", FlagsTable(page.view, t)),
      Section(t.Tr("Identity decisions"), "identity", IdentityTable(page.view, t)),
      "</div><div class=\"side-col\">", Section(t.Tr("Session"), "summary", Summary(page, t)),
      Section(t.Tr("Why it is in review"), "reasons", Reasons(page.view, t)),
      Section(t.Tr("Recorded result"), "result", ResultSection(page, t)),
      Section(t.Tr("Verdict"), "verdict",
              DecisionSection(page, t) + VerdictForm(context, page, t)),
      "</div></div>");
  return Layout(t.Trf("Session $0", id), &context, body, context.language);
}

std::string ReportPage(const SessionReport& report, const std::string& generated_for,
                       int64_t generated_at_unix_ms, i18n::Language language) {
  const Tl& t = Tl::For(language);
  const SessionPage& page = report.page;
  const std::string& id = page.view.session.id;
  std::string out = absl::StrCat(
      "<!doctype html>\n<html lang=\"", i18n::LanguageCode(language),
      "\"><head><meta charset=\"utf-8\"><title>", Html(t.Trf("Proctoring report $0", id)),
      "</title><style>", std::string(ConsoleCss()),
      "</style></head><body class=\"report\"><main><h1>", Html(t.Tr("Proctoring report")),
      "</h1><p class=\"sub\">",
      Html(t.Trf("Generated $0 for $1 by proctor-server. Times on the timeline are media time "
                 "since the session started.",
                 t.DateTime(generated_at_unix_ms), generated_for)),
      "</p>", Section(t.Tr("Session"), "summary", Summary(page, t)),
      Section(t.Tr("Verdict"), "verdict", DecisionSection(page, t)),
      Section(t.Tr("Recorded result"), "result", ResultSection(page, t)),
      Section(t.Tr("Why it was flagged"), "reasons", Reasons(page.view, t)),
      Section(t.Tr("Timeline"), "timeline", TimelineSvg(page.view, t)),
      Section(t.Tr("Flags"), "flags", FlagsTable(page.view, t)),
      Section(t.Tr("Identity decisions"), "identity", IdentityTable(page.view, t)),
      Section(t.Tr("Evidence"), "evidence",
              EvidenceStrip(
                  page,
                  [&](uint64_t seq) -> std::string {
                    auto it = report.evidence.find(seq);
                    if (it == report.evidence.end()) return "";
                    return "data:image/jpeg;base64," + Base64(it->second);
                  },
                  t)),
      Section(t.Tr("Integrity"), "chain", ChainSection(report, t)), "</main></body></html>\n");
  return out;
}

}  // namespace proctor::server::http
