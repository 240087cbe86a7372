#include "client/eval/eval_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "protocol/identity_rule.h"

namespace proctor::eval {
namespace {

struct Policy {
  const char* name;
  protocol::MatchThreshold threshold;
};
constexpr Policy kPolicies[] = {{"INTERMEDIATE", protocol::kDefaultMatchThreshold},
                                {"FINAL", protocol::kFinalMatchThreshold}};

std::string Percent(double share) { return absl::StrFormat("%.2f%%", 100 * share); }

std::string RateText(const Rate& r) {
  const Interval ci = r.interval();
  return absl::StrFormat("%s (%d/%d, 95%% CI %.2f-%.2f%%)", Percent(r.value()), r.errors, r.trials,
                         100 * ci.low, 100 * ci.high);
}

nlohmann::json RateJson(const Rate& r) {
  const Interval ci = r.interval();
  return {
      {"errors", r.errors}, {"trials", r.trials}, {"rate", r.value()}, {"ci95", {ci.low, ci.high}}};
}

std::string Spread(const std::vector<double>& sorted) {
  if (sorted.empty()) return "none";
  return absl::StrFormat("min %.3f  median %.3f  max %.3f", sorted.front(),
                         sorted[sorted.size() / 2], sorted.back());
}

std::vector<Comparison> Worst(const ConditionResult& c, bool genuine, int worst) {
  std::vector<Comparison> list;
  for (const Comparison& x : c.comparisons) {
    if (x.genuine == genuine) list.push_back(x);
  }
  // Genuine: largest distance first; impostor: smallest first. Ties by face order, for a stable
  // report.
  std::stable_sort(list.begin(), list.end(), [genuine](const Comparison& l, const Comparison& r) {
    return genuine ? l.distance > r.distance : l.distance < r.distance;
  });
  if (static_cast<int>(list.size()) > worst) list.resize(std::max(0, worst));
  return list;
}

nlohmann::json OperatingPointsJson(const ScoreSet& scores) {
  nlohmann::json points = nlohmann::json::array();
  for (const Policy& p : kPolicies) {
    const OperatingPoint op = scores.At(p.threshold);
    points.push_back({{"policy", p.name},
                      {"threshold", protocol::ShortDouble(p.threshold)},
                      {"fmr", RateJson(op.fmr)},
                      {"fnmr", RateJson(op.fnmr)}});
  }
  return points;
}

void AppendDegradation(const EvalResult& result, std::string& out) {
  out +=
      "\nunder degraded capture (the enrolled side clean, the probe degraded; FMR and FNMR at\n"
      "INTERMEDIATE 0.60 / FINAL 0.55, change from clean in percentage points):\n";
  absl::StrAppendFormat(&out, "  %-15s %-18s %-22s %-22s %-22s %-22s %s\n", "condition",
                        "failed to acquire", "FMR 0.60", "FNMR 0.60", "FMR 0.55", "FNMR 0.55",
                        "EER");
  auto row = [&](const ConditionResult& c) {
    std::string line = absl::StrFormat(
        "  %-15s %-18s", c.name,
        absl::StrFormat("%d/%d %s", c.failed_to_acquire, c.attempts,
                        Percent(c.attempts == 0 ? 0 : double(c.failed_to_acquire) / c.attempts)));
    for (const Policy& p : kPolicies) {
      const OperatingPoint now = c.scores.At(p.threshold);
      const OperatingPoint base = result.clean.scores.At(p.threshold);
      for (auto [rate, before] : {std::pair{now.fmr, base.fmr}, std::pair{now.fnmr, base.fnmr}}) {
        const std::string cell =
            &c == &result.clean
                ? absl::StrFormat("%s %d/%d", Percent(rate.value()), rate.errors, rate.trials)
                : absl::StrFormat("%s (%+.1f) %d/%d", Percent(rate.value()),
                                  100 * (rate.value() - before.value()), rate.errors, rate.trials);
        absl::StrAppendFormat(&line, " %-22s", cell);
      }
    }
    const auto eer = c.scores.EqualErrorRate();
    absl::StrAppendFormat(&line, " %s", Percent(eer.rate));
    out += line + "\n";
  };
  row(result.clean);
  for (const ConditionResult& c : result.degraded) row(c);
}

}  // namespace

std::vector<Comparison> WorstGenuine(const ConditionResult& c, int worst) {
  return Worst(c, true, worst);
}
std::vector<Comparison> WorstImpostor(const ConditionResult& c, int worst) {
  return Worst(c, false, worst);
}

std::string ReportText(const EvalResult& result, const ReportOptions& options) {
  const ConditionResult& clean = result.clean;
  const ScoreSet& s = clean.scores;
  std::string out = absl::StrFormat(
      "photos: %d of %d people (labelled or from the pairs file, %d pairs listed), %d group "
      "photos, %d faces compared\n",
      result.labelled_photos, result.people, result.pairs_file_pairs, result.group_photos,
      result.faces.size());
  absl::StrAppendFormat(
      &out, "failure to acquire: %d of %d photos (%s)\n", clean.failed_to_acquire, clean.attempts,
      Percent(clean.attempts == 0 ? 0 : double(clean.failed_to_acquire) / clean.attempts));
  for (const std::string& why : result.not_acquired) out += "  " + why + "\n";
  absl::StrAppendFormat(&out, "comparisons: %d genuine, %d impostor\n", s.genuine().size(),
                        s.impostor().size());
  absl::StrAppendFormat(&out, "genuine distances:  %s\nimpostor distances: %s\n",
                        Spread(s.genuine()), Spread(s.impostor()));
  out += "\nat the policies' thresholds (a match is distance <= threshold):\n";
  for (const Policy& p : kPolicies) {
    const OperatingPoint op = s.At(p.threshold);
    absl::StrAppendFormat(&out, "  %-12s %.2f  FMR %s\n  %-12s       FNMR %s\n", p.name,
                          protocol::ShortDouble(p.threshold), RateText(op.fmr), "",
                          RateText(op.fnmr));
  }
  const auto eer = s.EqualErrorRate();
  absl::StrAppendFormat(&out, "equal error rate: %s at threshold %.3f\n", Percent(eer.rate),
                        eer.threshold);
  out += "\nsweep:\n  threshold  FMR                 FNMR\n";
  for (const OperatingPoint& op :
       s.Sweep(options.sweep_from, options.sweep_to, options.sweep_step)) {
    absl::StrAppendFormat(
        &out, "  %.2f       %-19s %s\n", op.threshold,
        absl::StrFormat("%s %d/%d", Percent(op.fmr.value()), op.fmr.errors, op.fmr.trials),
        absl::StrFormat("%s %d/%d", Percent(op.fnmr.value()), op.fnmr.errors, op.fnmr.trials));
  }
  out += "\nworst genuine pairs (largest distance):\n";
  for (const Comparison& c : WorstGenuine(clean, options.worst)) {
    absl::StrAppendFormat(&out, "  %.3f  %s  %s\n", c.distance, result.faces[c.a].label,
                          result.faces[c.b].label);
  }
  out += "worst impostor pairs (smallest distance):\n";
  for (const Comparison& c : WorstImpostor(clean, options.worst)) {
    absl::StrAppendFormat(&out, "  %.3f  %s  %s\n", c.distance, result.faces[c.a].label,
                          result.faces[c.b].label);
  }
  if (!result.degraded.empty()) AppendDegradation(result, out);
  return out;
}

nlohmann::json ReportJson(const EvalResult& result, const ReportOptions& options) {
  const ConditionResult& clean = result.clean;
  const ScoreSet& s = clean.scores;
  auto pairs = [&](const std::vector<Comparison>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const Comparison& c : list) {
      out.push_back({{"a", result.faces[c.a].label},
                     {"b", result.faces[c.b].label},
                     {"distance", c.distance}});
    }
    return out;
  };
  auto spread = [](const std::vector<double>& v) -> nlohmann::json {
    if (v.empty()) return nullptr;
    return {{"min", v.front()}, {"median", v[v.size() / 2]}, {"max", v.back()}};
  };
  nlohmann::json j;
  j["photos"] = result.labelled_photos;
  j["people"] = result.people;
  j["group_photos"] = result.group_photos;
  j["pairs_file_pairs"] = result.pairs_file_pairs;
  j["faces"] = result.faces.size();
  j["failure_to_acquire"] = RateJson({clean.failed_to_acquire, clean.attempts});
  j["not_acquired"] = result.not_acquired;
  j["genuine"] = s.genuine().size();
  j["impostor"] = s.impostor().size();
  j["genuine_distances"] = spread(s.genuine());
  j["impostor_distances"] = spread(s.impostor());
  j["operating_points"] = OperatingPointsJson(s);
  const auto eer = s.EqualErrorRate();
  j["eer"] = {{"rate", eer.rate}, {"threshold", eer.threshold}};
  j["sweep"] = nlohmann::json::array();
  for (const OperatingPoint& op :
       s.Sweep(options.sweep_from, options.sweep_to, options.sweep_step)) {
    j["sweep"].push_back(
        {{"threshold", op.threshold}, {"fmr", RateJson(op.fmr)}, {"fnmr", RateJson(op.fnmr)}});
  }
  j["worst_genuine"] = pairs(WorstGenuine(clean, options.worst));
  j["worst_impostor"] = pairs(WorstImpostor(clean, options.worst));
  if (!result.degraded.empty()) {
    j["degraded"] = nlohmann::json::array();
    for (const ConditionResult& c : result.degraded) {
      const auto e = c.scores.EqualErrorRate();
      j["degraded"].push_back({{"condition", c.name},
                               {"key", c.key},
                               {"failure_to_acquire", RateJson({c.failed_to_acquire, c.attempts})},
                               {"genuine", c.scores.genuine().size()},
                               {"impostor", c.scores.impostor().size()},
                               {"operating_points", OperatingPointsJson(c.scores)},
                               {"eer", {{"rate", e.rate}, {"threshold", e.threshold}}}});
    }
  }
  return j;
}

}  // namespace proctor::eval
