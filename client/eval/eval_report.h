// The figures `proctor-face eval` prints, as text for people and as one JSON document, from one
// EvalResult. The text is deterministic for the same inputs and models (docs/ACCURACY.md quotes
// it, and a test keeps the two equal).
#ifndef PROCTOR_CLIENT_EVAL_EVAL_REPORT_H_
#define PROCTOR_CLIENT_EVAL_EVAL_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/eval/face_eval.h"

namespace proctor::eval {

struct ReportOptions {
  int worst = 5;             // worst pairs listed of each kind, >= 0
  double sweep_from = 0.40;  // sweep of thresholds, distance units
  double sweep_to = 0.70;
  double sweep_step = 0.05;
};

// The `worst` genuine comparisons with the largest distance and impostor ones with the smallest.
std::vector<Comparison> WorstGenuine(const ConditionResult& c, int worst);
std::vector<Comparison> WorstImpostor(const ConditionResult& c, int worst);

std::string ReportText(const EvalResult& result, const ReportOptions& options);
nlohmann::json ReportJson(const EvalResult& result, const ReportOptions& options);

}  // namespace proctor::eval

#endif  // PROCTOR_CLIENT_EVAL_EVAL_REPORT_H_
