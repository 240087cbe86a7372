#include "client/eval/eval_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "protocol/identity_rule.h"

namespace proctor::eval {
namespace {

struct Colour {
  int r, g, b;
};
constexpr Colour kInk{30, 30, 30}, kGrid{220, 220, 220}, kGenuine{30, 140, 60},
    kImpostor{200, 50, 40}, kIntermediate{40, 90, 200}, kFinal{150, 60, 170};

// The few primitives the plots need, drawn to SVG text and to an OpenCV image alike.
class Canvas {
 public:
  virtual ~Canvas() = default;
  virtual void Line(double x1, double y1, double x2, double y2, Colour c, double width,
                    bool dashed = false) = 0;
  virtual void Box(double x, double y, double w, double h, Colour fill, double opacity) = 0;
  virtual void Text(double x, double y, const std::string& text, double size, Colour c,
                    bool centred = false) = 0;
  virtual void Dot(double x, double y, double radius, Colour c) = 0;
};

class SvgCanvas : public Canvas {
 public:
  SvgCanvas(int width, int height) {
    svg_ = absl::StrFormat(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
        "%d\" "
        "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
        width, height, width, height);
  }
  void Line(double x1, double y1, double x2, double y2, Colour c, double width,
            bool dashed) override {
    absl::StrAppendFormat(&svg_,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"%.1f\"%s/>\n",
                          x1, y1, x2, y2, Rgb(c), width, dashed ? " stroke-dasharray=\"6,4\"" : "");
  }
  void Box(double x, double y, double w, double h, Colour fill, double opacity) override {
    absl::StrAppendFormat(&svg_,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                          "fill-opacity=\"%.2f\"/>\n",
                          x, y, w, h, Rgb(fill), opacity);
  }
  void Text(double x, double y, const std::string& text, double size, Colour c,
            bool centred) override {
    const std::string escaped =
        absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}});
    absl::StrAppendFormat(
        &svg_, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" fill=\"%s\"%s>%s</text>\n", x, y,
        size, Rgb(c), centred ? " text-anchor=\"middle\"" : "", escaped);
  }
  void Dot(double x, double y, double radius, Colour c) override {
    absl::StrAppendFormat(&svg_, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>\n", x, y,
                          radius, Rgb(c));
  }
  std::string Finish() { return svg_ + "</svg>\n"; }

 private:
  static std::string Rgb(Colour c) { return absl::StrFormat("rgb(%d,%d,%d)", c.r, c.g, c.b); }
  std::string svg_;
};

class MatCanvas : public Canvas {
 public:
  MatCanvas(int width, int height) : mat_(height, width, CV_8UC3, cv::Scalar(255, 255, 255)) {}
  void Line(double x1, double y1, double x2, double y2, Colour c, double width,
            bool dashed) override {
    if (!dashed) {
      cv::line(mat_, P(x1, y1), P(x2, y2), Bgr(c), std::max(1, int(std::lround(width))),
               cv::LINE_AA);
      return;
    }
    const double length = std::hypot(x2 - x1, y2 - y1);
    for (double s = 0; s < length; s += 10) {
      const double e = std::min(length, s + 6);
      cv::line(mat_, P(x1 + (x2 - x1) * s / length, y1 + (y2 - y1) * s / length),
               P(x1 + (x2 - x1) * e / length, y1 + (y2 - y1) * e / length), Bgr(c),
               std::max(1, int(std::lround(width))), cv::LINE_AA);
    }
  }
  void Box(double x, double y, double w, double h, Colour fill, double opacity) override {
    cv::Mat overlay = mat_.clone();
    cv::rectangle(overlay, P(x, y), P(x + w, y + h), Bgr(fill), cv::FILLED);
    cv::addWeighted(overlay, opacity, mat_, 1 - opacity, 0, mat_);
  }
  void Text(double x, double y, const std::string& text, double size, Colour c,
            bool centred) override {
    const double scale = size / 30.0;
    int baseline = 0;
    const cv::Size extent = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
    cv::putText(mat_, text, P(centred ? x - extent.width / 2.0 : x, y), cv::FONT_HERSHEY_SIMPLEX,
                scale, Bgr(c), 1, cv::LINE_AA);
  }
  void Dot(double x, double y, double radius, Colour c) override {
    cv::circle(mat_, P(x, y), int(std::lround(radius)), Bgr(c), cv::FILLED, cv::LINE_AA);
  }
  const cv::Mat& mat() const { return mat_; }

 private:
  static cv::Point P(double x, double y) { return {int(std::lround(x)), int(std::lround(y))}; }
  static cv::Scalar Bgr(Colour c) { return cv::Scalar(c.b, c.g, c.r); }
  cv::Mat mat_;
};

constexpr int kWidth = 1100, kHeight = 480;
struct Panel {
  double left, top, width, height;
};
constexpr Panel kHistogram{70, 60, 430, 340}, kDet{620, 60, 430, 340};

void Axes(Canvas& c, const Panel& p, const std::string& x_label, const std::string& y_label) {
  c.Line(p.left, p.top + p.height, p.left + p.width, p.top + p.height, kInk, 1.5);
  c.Line(p.left, p.top, p.left, p.top + p.height, kInk, 1.5);
  c.Text(p.left + p.width / 2, p.top + p.height + 45, x_label, 15, kInk, true);
  c.Text(p.left - 55, p.top - 15, y_label, 15, kInk);
}

void DrawHistogram(Canvas& c, const ScoreSet& scores) {
  const Panel& p = kHistogram;
  constexpr double kMax = 1.2, kBin = 0.025;
  constexpr int kBins = static_cast<int>(kMax / kBin);
  auto histogram = [&](const std::vector<double>& values) {
    std::vector<double> share(kBins, 0);
    for (double v : values) share[std::clamp(int(v / kBin), 0, kBins - 1)] += 1.0 / values.size();
    return share;
  };
  const auto genuine = histogram(scores.genuine());
  const auto impostor = histogram(scores.impostor());
  const double top = std::max(0.05, std::max(*std::max_element(genuine.begin(), genuine.end()),
                                             *std::max_element(impostor.begin(), impostor.end())));
  for (int i = 0; i <= 6; ++i) {
    const double x = p.left + p.width * i / 6;
    c.Line(x, p.top, x, p.top + p.height, kGrid, 1);
    c.Text(x, p.top + p.height + 20, absl::StrFormat("%.1f", kMax * i / 6), 13, kInk, true);
  }
  for (int i = 0; i < kBins; ++i) {
    const double x = p.left + p.width * i / kBins, w = p.width / kBins;
    if (genuine[i] > 0) {
      const double h = p.height * genuine[i] / top;
      c.Box(x, p.top + p.height - h, w, h, kGenuine, 0.55);
    }
    if (impostor[i] > 0) {
      const double h = p.height * impostor[i] / top;
      c.Box(x, p.top + p.height - h, w, h, kImpostor, 0.45);
    }
  }
  for (auto [t, colour, name] :
       {std::tuple{double(protocol::kDefaultMatchThreshold), kIntermediate, "INTERMEDIATE"},
        std::tuple{double(protocol::kFinalMatchThreshold), kFinal, "FINAL"}}) {
    const double x = p.left + p.width * t / kMax;
    c.Line(x, p.top, x, p.top + p.height, colour, 2, true);
    const bool final_policy = colour.r == kFinal.r;
    c.Text(final_policy ? x - 44 : x + 4, p.top + 14, name, 12, colour, false);  // FINAL: left
  }
  Axes(c, p, "distance between the two faces", "share of comparisons");
  c.Box(p.left + p.width - 150, p.top + 48, 12, 12, kGenuine, 0.55);
  c.Text(p.left + p.width - 132, p.top + 59,
         absl::StrCat("genuine (", scores.genuine().size(), ")"), 13, kInk);
  c.Box(p.left + p.width - 150, p.top + 68, 12, 12, kImpostor, 0.45);
  c.Text(p.left + p.width - 132, p.top + 79,
         absl::StrCat("impostor (", scores.impostor().size(), ")"), 13, kInk);
}

void DrawDet(Canvas& c, const ScoreSet& scores) {
  const Panel& p = kDet;
  const double floor_rate =
      1.0 /
      (2.0 * std::max<size_t>(1, std::max(scores.genuine().size(), scores.impostor().size())));
  const double low = std::log10(floor_rate);  // the axes run from the floor to 1
  auto at = [&](double rate, bool horizontal) {
    const double v = (std::log10(std::max(rate, floor_rate)) - low) / -low;
    return horizontal ? p.left + p.width * v : p.top + p.height * (1 - v);
  };
  for (double d = std::ceil(low); d <= 0; d += 1) {
    const double x = at(std::pow(10, d), true), y = at(std::pow(10, d), false);
    c.Line(x, p.top, x, p.top + p.height, kGrid, 1);
    c.Line(p.left, y, p.left + p.width, y, kGrid, 1);
    const std::string label = d == 0 ? "1" : absl::StrFormat("1e%d", int(d));
    c.Text(x, p.top + p.height + 20, label, 13, kInk, true);
    c.Text(p.left - 45, y + 5, label, 13, kInk);
  }
  const std::vector<OperatingPoint> curve = scores.Curve();
  for (size_t i = 1; i < curve.size(); ++i) {
    c.Line(at(curve[i - 1].fmr.value(), true), at(curve[i - 1].fnmr.value(), false),
           at(curve[i].fmr.value(), true), at(curve[i].fnmr.value(), false), kInk, 2);
  }
  for (auto [t, colour, name] :
       {std::tuple{double(protocol::kDefaultMatchThreshold), kIntermediate, "INTERMEDIATE"},
        std::tuple{double(protocol::kFinalMatchThreshold), kFinal, "FINAL"}}) {
    const OperatingPoint op = scores.At(static_cast<float>(t));
    const double x = at(op.fmr.value(), true), y = at(op.fnmr.value(), false);
    c.Dot(x, y, 6, colour);
    const bool final_policy = colour.r == kFinal.r;
    c.Text(x + 9, y - (final_policy ? 26 : 10), absl::StrFormat("%s %.2f", name, t), 12, colour);
  }
  Axes(c, p, "false match rate (FMR)", "false non-match rate (FNMR)");
  c.Text(p.left + 8, p.top + 18,
         absl::StrFormat("a rate of 0 is drawn at %.0e = 1/(2 x comparisons)", floor_rate), 11,
         kInk);
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat(path, ": cannot write"));
  return absl::OkStatus();
}

absl::Status WritePng(const std::string& path, const cv::Mat& bgr) {
  try {
    if (cv::imwrite(path, bgr)) return absl::OkStatus();
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what()));
  }
  return absl::InternalError(absl::StrCat(path, ": cannot write the PNG"));
}

}  // namespace

absl::Status WriteScorePlots(const ScoreSet& scores, const std::string& title,
                             const std::string& prefix) {
  if (scores.genuine().empty() || scores.impostor().empty()) {
    return absl::FailedPreconditionError(
        "no plot: it needs at least one genuine and one impostor comparison");
  }
  SvgCanvas svg(kWidth, kHeight);
  MatCanvas png(kWidth, kHeight);
  for (Canvas* c : {static_cast<Canvas*>(&svg), static_cast<Canvas*>(&png)}) {
    c->Text(kWidth / 2.0, 28, title, 17, kInk, true);
    DrawHistogram(*c, scores);
    DrawDet(*c, scores);
  }
  if (auto s = WriteText(prefix + ".svg", svg.Finish()); !s.ok()) return s;
  return WritePng(prefix + ".png", png.mat());
}

absl::Status WriteWorstPairsSheet(const std::vector<EvalFace>& faces,
                                  const std::vector<Comparison>& worst_genuine,
                                  const std::vector<Comparison>& worst_impostor,
                                  const std::string& path) {
  constexpr int kChip = 150, kGap = 12, kCaption = 40, kHeader = 36;
  const size_t rows = std::max(worst_genuine.size(), worst_impostor.size());
  if (rows == 0) return absl::FailedPreconditionError("no pairs to show");
  const int width = 2 * (2 * kChip + kGap) + 3 * kGap;
  const int height = kHeader + static_cast<int>(rows) * (kChip + kCaption) + kGap;
  MatCanvas sheet(width, height);
  cv::Mat mat = sheet.mat();
  auto draw = [&](const std::vector<Comparison>& list, int column_x, const char* heading,
                  Colour colour) {
    sheet.Text(column_x, 24, heading, 15, colour, false);
    for (size_t r = 0; r < list.size(); ++r) {
      const int y = kHeader + static_cast<int>(r) * (kChip + kCaption);
      for (int side = 0; side < 2; ++side) {
        const EvalFace& f = faces[side == 0 ? list[r].a : list[r].b];
        if (f.chip.width != kChip || f.chip.height != kChip) continue;
        cv::Mat rgb(kChip, kChip, CV_8UC3, const_cast<uint8_t*>(f.chip.rgb.data()));
        cv::Mat target = mat(cv::Rect(column_x + side * (kChip + kGap), y, kChip, kChip));
        cv::cvtColor(rgb, target, cv::COLOR_RGB2BGR);
      }
      sheet.Text(column_x, y + kChip + 16, absl::StrFormat("distance %.3f", list[r].distance), 13,
                 kInk, false);
    }
  };
  draw(worst_genuine, kGap, "genuine pairs, largest distance", kGenuine);
  draw(worst_impostor, 2 * kGap + 2 * kChip + kGap + kGap, "impostor pairs, smallest distance",
       kImpostor);
  return WritePng(path, sheet.mat());
}

}  // namespace proctor::eval
