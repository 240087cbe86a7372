// The session page (review) and the per-session report (appeal). Both show the same sections;
// the report adds the chain verification and embeds the evidence so it stands on its own.
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

std::string Distance(float d) { return d >= 0 ? absl::StrFormat("%.3f", d) : std::string("-"); }

std::string Summary(const SessionPage& page) {
  const SessionRecord& s = page.view.session;
  return absl::StrCat(
      "<dl class=\"summary\"><dt>Learner</dt><dd><span id=\"learner-name\">",
      Html(page.learner.name), "</span> <span class=\"sub\">", Html(s.learner_id),
      "</span></dd><dt>Assessment</dt><dd>", Html(page.assessment.title), " <span class=\"sub\">",
      Html(page.assessment.course), " · ", Html(AssessmentKindName(page.assessment.kind)),
      "</span></dd><dt>Session</dt><dd><code>", Html(s.id), "</code> ",
      Html(SessionStateName(s.state)), ", opened ", Html(UtcTime(s.opened_at_unix_ms)), ", length ",
      Html(Duration(TimelineSpanMs(page.view))), ", ", s.last_seq, " events</dd><dt>Risk</dt><dd>",
      RiskBar(s.risk_score), "</dd><dt>Verdict</dt><dd>", VerdictBadge(s.verdict),
      "</dd><dt>Policy</dt><dd class=\"policy\">",
      Html(DescribePolicy(page.assessment.kind, page.view.policy)), "</dd></dl>");
}

std::string Reasons(const SessionView& view) {
  if (view.scorecard.reasons.empty()) return "<p class=\"empty\">No risk contributions.</p>";
  std::string out = "<ul class=\"reasons\">";
  for (const std::string& r : view.scorecard.reasons)
    absl::StrAppend(&out, "<li>", Html(r), "</li>");
  return out + "</ul>";
}

std::string FlagsTable(const SessionView& view) {
  if (view.scorecard.flags.empty()) return "<p class=\"empty\">No flags.</p>";
  std::string out =
      "<table class=\"flags\" id=\"flags\"><thead><tr><th>Flag</th><th>From</th><th>To</th>"
      "<th>Duration</th><th>Why</th></tr></thead><tbody>";
  for (const FlagSpan& f : view.scorecard.flags) {
    const std::string name = EventKindName(f.kind);
    absl::StrAppend(&out, "<tr><td><span class=\"swatch band-", Html(name), "\"></span>",
                    Html(name), "</td><td>", Html(MediaTime(f.from_ms)), "</td><td>",
                    Html(MediaTime(f.to_ms)), "</td><td>",
                    f.to_ms > f.from_ms ? Html(Duration(f.to_ms - f.from_ms)) : "instant",
                    "</td><td>", Html(f.detail), "</td></tr>");
  }
  return out + "</tbody></table>";
}

std::string IdentityTable(const SessionView& view) {
  std::string rows;
  for (const StoredEvent& s : view.events) {
    if (!IsIdentityKind(s.event.kind)) continue;
    const std::string decision = IdentityDecision(s, view.policy);
    absl::StrAppend(
        &rows, "<tr class=\"", decision.find("mismatch") != std::string::npos ? "bad" : "ok",
        "\"><td>", s.event.seq, "</td><td>", Html(MediaTime(s.event.at_ms)), "</td><td>",
        Html(EventKindName(s.event.kind)), "</td><td class=\"num\">", Distance(s.server_distance),
        "</td><td class=\"num\">", absl::StrFormat("%.2f", view.policy.match_threshold),
        "</td><td>", Html(decision), "</td><td class=\"num\">", Distance(s.event.client_distance),
        "</td><td>",
        s.has_evidence ? absl::StrCat("<a href=\"#chip-", s.event.seq, "\">chip</a>") : "-",
        "</td></tr>");
  }
  if (rows.empty()) return "<p class=\"empty\">No identity checks.</p>";
  return absl::StrCat(
      "<table class=\"identity\" id=\"identity\"><thead><tr><th>Seq</th><th>At</th>"
      "<th>Client said</th><th>Server distance</th><th>Threshold</th><th>Decision</th>"
      "<th>Client distance</th><th>Evidence</th></tr></thead><tbody>",
      rows, "</tbody></table>");
}

// The server keeps no enrollment photo (only sealed templates computed from it), so the
// reference shown is what it does keep: the template count and the threshold every chip's
// distance is measured against.
std::string ReferenceCard(const SessionPage& page) {
  return absl::StrCat(
      "<figure class=\"chip reference\" id=\"reference\"><div class=\"reference-box\">"
      "<strong>Enrollment reference</strong><span>",
      page.learner.template_count, " face template(s)</span><span>threshold ",
      absl::StrFormat("%.2f", page.view.policy.match_threshold),
      "</span></div><figcaption>Enrollment photos are not kept (privacy); each chip's "
      "distance is measured against these templates.</figcaption></figure>");
}

std::string EvidenceStrip(const SessionPage& page, const EvidenceSource& source) {
  std::string out = absl::StrCat("<div class=\"evidence\" id=\"evidence\">", ReferenceCard(page));
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
      absl::StrAppend(&out, "<div class=\"purged\">evidence purged</div>");
    } else {
      absl::StrAppend(&out, "<img src=\"", Html(src), "\" alt=\"evidence of seq ", s.event.seq,
                      "\" width=\"120\" height=\"120\">");
    }
    absl::StrAppend(&out, "<figcaption>#", s.event.seq, " · ", Html(MediaTime(s.event.at_ms)),
                    "<br>", Html(EventKindName(s.event.kind)));
    if (identity) {
      absl::StrAppend(&out, "<br>d ", Distance(s.server_distance), " · ", Html(decision));
    }
    absl::StrAppend(&out, "</figcaption></figure>");
  }
  if (chips == 0) absl::StrAppend(&out, "<p class=\"empty\">No evidence chips.</p>");
  return out + "</div>";
}

std::string ResultSection(const SessionPage& page) {
  if (!page.result) {
    return "<p class=\"empty\" id=\"result-status\">No result recorded for this session yet.</p>";
  }
  const ResultRecord& r = page.result->result;
  return absl::StrCat(
      "<p class=\"result\">Score ", absl::StrFormat("%g / %g", r.score, r.max_score),
      ", submitted ", Html(UtcTime(r.submitted_at_unix_ms)), " by ", Html(r.submitted_by),
      ". Status: <span id=\"result-status\">", StatusBadge(page.result->status), "</span></p>");
}

std::string DecisionSection(const SessionPage& page) {
  const SessionRecord& s = page.view.session;
  std::string out = absl::StrCat("<p>Verdict: ", VerdictBadge(s.verdict));
  if (!s.decided_by.empty()) {
    absl::StrAppend(&out, " by <strong id=\"decided-by\">", Html(s.decided_by),
                    "</strong></p><blockquote id=\"decision-note\">", Html(s.decision_note),
                    "</blockquote>");
  } else {
    out += "</p>";
  }
  if (!page.decisions.empty()) {
    out += "<ol class=\"trail\">";
    for (const AuditEntry& e : page.decisions) {
      absl::StrAppend(&out, "<li>", Html(UtcTime(e.at_unix_ms)), " · ", Html(e.actor), " · ",
                      Html(e.detail), "</li>");
    }
    out += "</ol>";
  }
  return out;
}

std::string VerdictForm(const PageContext& context, const SessionPage& page) {
  const SessionRecord& s = page.view.session;
  if (s.state != SessionState::kClosed) {
    return "<p class=\"empty\">The session is still open; a verdict can be given once it "
           "closes.</p>";
  }
  return absl::StrCat(
      "<form method=\"post\" action=\"/sessions/", Html(s.id),
      "/verdict\" id=\"verdict-form\" class=\"verdict\">", CsrfField(context),
      "<fieldset><legend>Your verdict</legend>"
      "<label><input type=\"radio\" name=\"verdict\" value=\"accept\" id=\"verdict-accept\" "
      "required> Accept: the result may become official</label>"
      "<label><input type=\"radio\" name=\"verdict\" value=\"reject\" id=\"verdict-reject\"> "
      "Reject: the result is not recognised</label></fieldset>"
      "<label for=\"note\">Note (kept in the audit log and shown in the report)</label>"
      "<textarea id=\"note\" name=\"note\" rows=\"3\" maxlength=\"2000\" required></textarea>"
      "<button type=\"submit\" id=\"submit-verdict\">Record verdict</button></form>");
}

std::string Section(const std::string& title, const std::string& id, const std::string& body) {
  return absl::StrCat("<section class=\"card\" id=\"", id, "-section\"><h2>", Html(title), "</h2>",
                      body, "</section>");
}

std::string Plural(size_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

// "N batch signatures verified, M failed", the failures named by seq (in red), and the events
// after the last signed head, which no stored signature covers.
std::string SignatureLines(const SessionReport& report) {
  const SignatureCheck& g = report.signatures;
  std::string out = absl::StrCat(
      "<p class=\"", g.failed.empty() ? "verified" : "error", "\" id=\"signature-result\">",
      Plural(g.verified, "batch signature", "batch signatures"), " verified, ", g.failed.size(),
      " failed.</p><ul><li>Each batch was accepted only after the client's Ed25519 signature over "
      "the hash of its last event verified with the session key above. The stored signatures (",
      g.signatures,
      ") are verified again here over the stored hashes; since each hash covers the one before "
      "it, a verified signature vouches for every event up to its seq.</li>");
  if (g.unsigned_events > 0) {
    absl::StrAppend(&out, "<li class=\"error\" id=\"unsigned-events\">",
                    Plural(g.unsigned_events, "event", "events"),
                    g.last_signed_seq == 0
                        ? std::string(" unsigned: no batch signature is stored for this session "
                                      "(sessions stored before signatures were kept have none)")
                        : absl::StrCat(" after seq ", g.last_signed_seq,
                                       ", the last signed head, unsigned: no stored signature "
                                       "covers them"),
                    ".</li>");
  }
  out += "</ul>";
  if (!g.failed.empty()) {
    out += "<ul class=\"problems\" id=\"signature-failures\">";
    for (const std::string& p : g.problems) absl::StrAppend(&out, "<li>", Html(p), "</li>");
    out += "</ul>";
  }
  return out;
}

std::string ChainSection(const SessionReport& report) {
  const ChainCheck& c = report.chain;
  const SessionRecord& s = report.page.view.session;
  std::string out = absl::StrCat(
      "<p class=\"", c.ok() ? "verified" : "error", "\" id=\"chain-result\">",
      c.ok() ? "Hash chain verified." : "Hash chain verification FAILED.", "</p><ul>", "<li>",
      c.recomputed, " of ", c.events,
      " event hashes recomputed (BLAKE2b-256 over each stored event, its evidence included) and "
      "equal to the stored hashes.</li><li>",
      c.linked, " of ", c.events,
      " events link to the hash of the event before them (prev_hash).</li><li>The session head "
      "(seq ",
      s.last_seq, ") ", c.head_matches ? "is" : "is NOT",
      " the hash of the last stored event: <code>", ToHex(s.head_hash.data(), s.head_hash.size()),
      "</code></li>");
  if (c.unverifiable > 0) {
    absl::StrAppend(&out, "<li>", c.unverifiable,
                    " event(s) whose evidence was purged cannot be re-hashed; their links are "
                    "still checked.</li>");
  }
  absl::StrAppend(&out, "<li>Session public key (Ed25519): <code>",
                  ToHex(s.client_public_key.data(), s.client_public_key.size()),
                  "</code></li></ul>");
  if (!c.ok()) {
    out += "<ul class=\"problems\">";
    for (const std::string& p : c.problems) absl::StrAppend(&out, "<li>", Html(p), "</li>");
    out += "</ul>";
  }
  return out + SignatureLines(report);
}

}  // namespace

std::string SessionPageHtml(const PageContext& context, const SessionPage& page,
                            const std::string& notice) {
  const std::string& id = page.view.session.id;
  std::string body = absl::StrCat(
      "<div class=\"title-row\"><h1>Session of <span class=\"name\">", Html(page.learner.name),
      "</span></h1><a class=\"button\" id=\"report-link\" href=\"/sessions/", Html(id),
      "/report\">Printable report</a></div>");
  if (!notice.empty()) absl::StrAppend(&body, "<p class=\"notice\">", Html(notice), "</p>");
  absl::StrAppend(
      &body, "<div class=\"columns\"><div class=\"main-col\">",
      Section("Timeline", "timeline",
              absl::StrCat(TimelineSvg(page.view),
                           "<p class=\"legend\">Dots: identity checks at their server-side "
                           "distance (green at or under the threshold, red above). Bands: flags "
                           "over their duration. Hover for figures.</p>")),
      Section("Evidence in order", "evidence",
              EvidenceStrip(
                  page,
                  [&](uint64_t seq) { return absl::StrCat("/sessions/", id, "/evidence/", seq); })),
      Section("Flags", "flags", FlagsTable(page.view)),
      Section("Identity decisions", "identity", IdentityTable(page.view)),
      "</div><div class=\"side-col\">", Section("Session", "summary", Summary(page)),
      Section("Why it is in review", "reasons", Reasons(page.view)),
      Section("Recorded result", "result", ResultSection(page)),
      Section("Verdict", "verdict", DecisionSection(page) + VerdictForm(context, page)),
      "</div></div>");
  return Layout(absl::StrCat("Session ", id), &context, body);
}

std::string ReportPage(const SessionReport& report, const std::string& generated_for,
                       int64_t generated_at_unix_ms) {
  const SessionPage& page = report.page;
  const std::string& id = page.view.session.id;
  std::string out = absl::StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Proctoring "
      "report ",
      Html(id), "</title><style>", std::string(ConsoleCss()),
      "</style></head><body class=\"report\"><main><h1>Proctoring report</h1><p class=\"sub\">"
      "Generated ",
      Html(UtcTime(generated_at_unix_ms)), " for ", Html(generated_for),
      " by proctor-server. Times on the timeline are media time since the session started.</p>",
      Section("Session", "summary", Summary(page)),
      Section("Verdict", "verdict", DecisionSection(page)),
      Section("Recorded result", "result", ResultSection(page)),
      Section("Why it was flagged", "reasons", Reasons(page.view)),
      Section("Timeline", "timeline", TimelineSvg(page.view)),
      Section("Flags", "flags", FlagsTable(page.view)),
      Section("Identity decisions", "identity", IdentityTable(page.view)),
      Section("Evidence", "evidence",
              EvidenceStrip(page,
                            [&](uint64_t seq) -> std::string {
                              auto it = report.evidence.find(seq);
                              if (it == report.evidence.end()) return "";
                              return "data:image/jpeg;base64," + Base64(it->second);
                            })),
      Section("Integrity", "chain", ChainSection(report)), "</main></body></html>\n");
  return out;
}

}  // namespace proctor::server::http
