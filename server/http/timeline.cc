#include "server/http/timeline.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/core/event_validation.h"
#include "server/http/html.h"

namespace proctor::server::http {
namespace {

constexpr double kLeft = 170, kRight = 960, kAxisHeight = 26;
constexpr double kIdentityHeight = 90, kLaneHeight = 30, kMaxPlottedDistance = 1.2;

struct Scale {
  int64_t span_ms;
  double X(int64_t ms) const {
    return kLeft + (kRight - kLeft) * static_cast<double>(std::clamp<int64_t>(ms, 0, span_ms)) /
                       static_cast<double>(span_ms);
  }
};

std::string F(double v) { return absl::StrFormat("%.1f", v); }

int64_t TickStep(int64_t span_ms) {
  static constexpr int64_t kSteps[] = {1,   2,   5,   10,   15,   30,   60,   120,
                                       300, 600, 900, 1800, 3600, 7200, 14400};
  for (int64_t s : kSteps) {
    if (span_ms / (s * 1000) <= 10) return s * 1000;
  }
  return 28800 * 1000;
}

void Axis(std::string& svg, const Scale& scale, double bottom) {
  const int64_t step = TickStep(scale.span_ms);
  for (int64_t t = 0; t <= scale.span_ms; t += step) {
    const double x = scale.X(t);
    absl::StrAppend(&svg, "<line class=\"tick\" x1=\"", F(x), "\" y1=\"18\" x2=\"", F(x),
                    "\" y2=\"", F(bottom), "\"/><text class=\"tick-label\" x=\"", F(x),
                    "\" y=\"13\">", Html(MediaTime(t)), "</text>");
  }
}

void IdentityLane(std::string& svg, const SessionView& view, const Scale& scale, double top,
                  const i18n::Translator& t) {
  const Policy& p = view.policy;
  auto y = [&](double d) {
    return top + 6 +
           (kIdentityHeight - 12) * (1 - std::min(d, kMaxPlottedDistance) / kMaxPlottedDistance);
  };
  absl::StrAppend(&svg, "<rect class=\"lane\" x=\"", F(kLeft), "\" y=\"", F(top), "\" width=\"",
                  F(kRight - kLeft), "\" height=\"", F(kIdentityHeight), "\"/>");
  absl::StrAppend(&svg, "<text class=\"lane-label\" x=\"6\" y=\"", F(top + 20),
                  "\">", Html(t.Tr("identity distance")),
                  "</text><text class=\"lane-note\" x=\"6\" y=\"", F(top + 36), "\">",
                  Html(t.Tr("server-side, lower = same")), "</text>");
  const double ty = y(p.match_threshold);
  absl::StrAppend(&svg, "<line class=\"threshold\" x1=\"", F(kLeft), "\" y1=\"", F(ty), "\" x2=\"",
                  F(kRight), "\" y2=\"", F(ty), "\"/><text class=\"threshold-label\" x=\"",
                  F(kLeft - 4), "\" y=\"", F(ty + 4), "\">",
                  Html(t.Trf("threshold $0", t.Number(p.match_threshold, 2))), "</text>");
  size_t identity_events = 0;
  for (const StoredEvent& s : view.events) identity_events += IsIdentityKind(s.event.kind);
  for (const StoredEvent& s : view.events) {
    if (!IsIdentityKind(s.event.kind)) continue;
    const double d = s.server_distance >= 0 ? s.server_distance : s.event.client_distance;
    const std::string decision = IdentityDecision(s, p);
    const bool bad = decision.find("mismatch") != std::string::npos;
    const double cx = scale.X(s.event.at_ms), cy = d >= 0 ? y(d) : top + kIdentityHeight / 2;
    absl::StrAppend(
        &svg, "<circle class=\"", bad ? "id-bad" : "id-ok", "\" cx=\"", F(cx), "\" cy=\"", F(cy),
        "\" r=\"6\"><title>",
        Html(absl::StrCat(
            t.Trf("seq $0 at $1: $2; server distance $3, client distance $4, threshold $5",
                  s.event.seq, MediaTime(s.event.at_ms), IdentityDecisionText(decision, t),
                  s.server_distance >= 0 ? t.Number(s.server_distance, 3)
                                         : t.Tr("none (no template)"),
                  s.event.client_distance >= 0 ? t.Number(s.event.client_distance, 3)
                                               : t.Tr("none"),
                  t.Number(p.match_threshold, 2)),
            s.has_evidence ? ", " + t.Tr("evidence chip") : "")),
        "</title></circle>");
    if (d >= 0 && identity_events <= 40) {
      absl::StrAppend(&svg, "<text class=\"id-label\" x=\"", F(cx + 8), "\" y=\"", F(cy + 4), "\">",
                      t.Number(d, 2), "</text>");
    }
  }
}

void FlagLanes(std::string& svg, const SessionView& view, const Scale& scale, double top,
               const i18n::Translator& t) {
  std::vector<EventKind> kinds;
  for (const FlagSpan& f : view.scorecard.flags) {
    if (std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end()) kinds.push_back(f.kind);
  }
  for (size_t lane = 0; lane < kinds.size(); ++lane) {
    const double y = top + lane * kLaneHeight;
    const std::string name = EventKindName(kinds[lane]);
    absl::StrAppend(&svg, "<rect class=\"lane\" x=\"", F(kLeft), "\" y=\"", F(y), "\" width=\"",
                    F(kRight - kLeft), "\" height=\"", F(kLaneHeight - 4), "\"/>",
                    "<text class=\"lane-label\" x=\"6\" y=\"", F(y + 17), "\">", Html(name),
                    "</text>");
    for (const FlagSpan& f : view.scorecard.flags) {
      if (f.kind != kinds[lane]) continue;
      const double x1 = scale.X(f.from_ms), x2 = std::max(scale.X(f.to_ms), x1 + 4);
      absl::StrAppend(&svg, "<rect class=\"band band-", Html(name), "\" x=\"", F(x1), "\" y=\"",
                      F(y + 3), "\" width=\"", F(x2 - x1), "\" height=\"", F(kLaneHeight - 10),
                      "\"><title>",
                      Html(absl::StrCat(t.Trf("$0 $1 to $2 ($3)", name, MediaTime(f.from_ms),
                                              MediaTime(f.to_ms), Duration(f.to_ms - f.from_ms, t)),
                                        f.detail.empty() ? "" : ": ", f.detail)),
                      "</title></rect>");
    }
  }
}

}  // namespace

int64_t TimelineSpanMs(const SessionView& view) {
  int64_t span = std::max<int64_t>(view.session.ended_at_ms, 1000);
  if (!view.events.empty()) span = std::max(span, view.events.back().event.at_ms);
  for (const FlagSpan& f : view.scorecard.flags) span = std::max(span, f.to_ms);
  return span;
}

std::string IdentityDecision(const StoredEvent& s, const Policy& policy) {
  if (s.server_distance >= 0) return ServerSeesMismatch(s, policy) ? "mismatch" : "match";
  return s.event.kind == EventKind::kIdentityMismatch ? "client: mismatch" : "client: match";
}

std::string IdentityDecisionText(const std::string& decision, const i18n::Translator& t) {
  if (decision == "match") return t.Tr("match");
  if (decision == "mismatch") return t.Tr("mismatch");
  if (decision == "client: match") return t.Tr("client: match");
  if (decision == "client: mismatch") return t.Tr("client: mismatch");
  return decision;
}

std::string TimelineSvg(const SessionView& view, const i18n::Translator& t) {
  const Scale scale{TimelineSpanMs(view)};
  size_t flag_kinds = 0;
  {
    std::vector<EventKind> seen;
    for (const FlagSpan& f : view.scorecard.flags) {
      if (std::find(seen.begin(), seen.end(), f.kind) == seen.end()) seen.push_back(f.kind);
    }
    flag_kinds = seen.size();
  }
  const double height = kAxisHeight + kIdentityHeight + 8 + flag_kinds * kLaneHeight + 4;
  std::string svg = absl::StrCat(
      "<svg class=\"timeline\" id=\"timeline\" viewBox=\"0 0 1000 ", F(height),
      "\" role=\"img\" aria-label=\"", Html(t.Tr("session timeline")),
      "\" xmlns=\"http://www.w3.org/2000/svg\">");
  Axis(svg, scale, height);
  IdentityLane(svg, view, scale, kAxisHeight, t);
  FlagLanes(svg, view, scale, kAxisHeight + kIdentityHeight + 8, t);
  svg += "</svg>";
  return svg;
}

}  // namespace proctor::server::http
