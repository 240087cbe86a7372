#include "client/tools/face_actor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace proctor::client {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
constexpr double kMaxYawDeg = 45;
constexpr double kMaxPitchDeg = 30;

// The depth model's proportions, relative to the face's own measures so that they hold at any
// photo scale. They were fitted (least squares over the demo people's landmarks) so that the
// depths at the landmarks match those of a mean 3-D face: behind the nose tip, the outer eye
// corners lie about 0.47 of the outer-eye-corner span, the mouth corners 0.37, the chin 0.39,
// the temples (landmarks 0 and 16) 0.93. They were deliberately not tuned to what
// EstimateHeadPose reads: an actor tuned to the estimator would hide the estimator's own errors,
// which are what the liveness check has to live with.
//
// Forehead above the brows, as a share of brow-to-chin.
constexpr double kForeheadPerBrowToChin = 0.6;
// How far the surface reaches below the chin, as a share of brow-to-chin: the jaw's underside.
constexpr double kBelowChinPerBrowToChin = 0.25;
// Surface height on the face's centre line over the head's half width (the wider of the two
// temples' distances from the centre).
constexpr double kDepthPerHalfWidth = 0.65;
// Across the face the surface falls as (1 - |u|^kAcrossPower)^kAcrossExponent, u running from 0
// on the centre line to 1 on the jaw contour: flat over the eyes and mouth, steep at the sides.
constexpr double kAcrossPower = 3;
constexpr double kAcrossExponent = 0.3;
// The jaw contour narrows towards the chin; the half width used never falls below this share
// of the widest, so that the chin keeps its depth.
constexpr double kMinWidthShare = 0.55;
// Down the face it falls as sqrt(1 - |v|^power), v running from 0 at the eyes to 1 at the top
// of the forehead or below the chin: a face's brows, lips and chin are nearly level; it is
// curved across, not down, until the forehead curves back and the jaw ends.
constexpr double kUpPower = 4;
constexpr double kDownPower = 30;
// Height of the nose tip over the surface, over the outer-eye-corner span.
constexpr double kNoseHeightPerEyeSpan = 0.41;
// Share of the nose tip's height at the nose root (the ridge rises from root to tip).
constexpr double kNoseRootShare = 0.35;
// Lateral Gaussian sigma of the ridge over the nostril span (landmarks 31-35).
constexpr double kNoseSigmaPerNostrilSpan = 0.6;
// The band outside the head (in head radii) over which its motion fades out.
constexpr double kFollowBand = 0.35;

// Closed eyes, as shares of the eye's corner-to-corner width. The cover is the eye's landmark
// polygon grown outwards, upwards (lashes and lid shadow) and downwards.
constexpr double kEyeCoverGrowOut = 0.15;
constexpr double kEyeCoverGrowUp = 0.2;
constexpr double kEyeCoverGrowDown = 0.12;
// Gaussian sigma of the cover's edge.
constexpr double kEyeCoverFeather = 0.06;
// The skin blended across the cover is taken this far beyond its edges (past the lid shadow).
constexpr double kEyeSkinReach = 0.05;
// The closed lids' line: its width, how far its middle sags below the corners' line (a closed
// lid is curved) and its colour as a share of the skin's.
constexpr double kLidLineWidth = 0.12;
constexpr double kLidLineSag = 0.06;
constexpr double kLidLineShade = 0.4;

double SmoothStep(double edge0, double edge1, double x) {
  const double t = std::clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

cv::Point2d At(const biometrics::Landmarks& l, int i) { return {l[i].x, l[i].y}; }

cv::Point2d Apply(const cv::Mat& affine, const cv::Point2d& p) {
  return {affine.at<double>(0, 0) * p.x + affine.at<double>(0, 1) * p.y + affine.at<double>(0, 2),
          affine.at<double>(1, 0) * p.x + affine.at<double>(1, 1) * p.y + affine.at<double>(1, 2)};
}

// `over` on `under` with per-pixel weights 0-1 (CV_32F), into `under`.
void Blend(const cv::Mat& over, const cv::Mat& weight, cv::Mat* under) {
  for (int y = 0; y < under->rows; ++y) {
    for (int x = 0; x < under->cols; ++x) {
      const float w = weight.at<float>(y, x);
      if (w <= 0) continue;
      const cv::Vec3b o = over.at<cv::Vec3b>(y, x);
      cv::Vec3b& u = under->at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) u[c] = cv::saturate_cast<uchar>(w * o[c] + (1 - w) * u[c]);
    }
  }
}

// A vertex of the rendering mesh: where it lands in the render, its depth there (larger is
// nearer the camera) and the photo pixel it shows.
struct Vertex {
  double x, y, z;
  float src_x, src_y;
};

// Writes, for every render pixel the triangle covers and where it is the nearest surface so
// far, the photo pixel it shows (interpolated across the triangle).
void RasterizeTriangle(const Vertex& a, const Vertex& b, const Vertex& c, cv::Mat* map_x,
                       cv::Mat* map_y, cv::Mat* nearest) {
  const double area = (b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y);
  if (std::abs(area) < 1e-9) return;  // folded edge-on: the neighbours cover it
  const int x0 = std::max(0, static_cast<int>(std::ceil(std::min({a.x, b.x, c.x}) - 1e-6)));
  const int x1 = std::min(map_x->cols - 1, static_cast<int>(std::max({a.x, b.x, c.x}) + 1e-6));
  const int y0 = std::max(0, static_cast<int>(std::ceil(std::min({a.y, b.y, c.y}) - 1e-6)));
  const int y1 = std::min(map_x->rows - 1, static_cast<int>(std::max({a.y, b.y, c.y}) + 1e-6));
  // A small tolerance so that pixels on shared edges are never missed (cracks would show the
  // unwarped photo through the face).
  constexpr double kEdge = -1e-6;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double wa = ((b.x - x) * (c.y - y) - (c.x - x) * (b.y - y)) / area;
      const double wb = ((c.x - x) * (a.y - y) - (a.x - x) * (c.y - y)) / area;
      const double wc = 1 - wa - wb;
      if (wa < kEdge || wb < kEdge || wc < kEdge) continue;
      const float z = static_cast<float>(wa * a.z + wb * b.z + wc * c.z);
      float& best = nearest->at<float>(y, x);
      if (z <= best) continue;
      best = z;
      map_x->at<float>(y, x) = static_cast<float>(wa * a.src_x + wb * b.src_x + wc * c.src_x);
      map_y->at<float>(y, x) = static_cast<float>(wa * a.src_y + wb * b.src_y + wc * c.src_y);
    }
  }
}

// Fills `inside` (CV_8U, 1 inside) of the levelled eye patch with skin: in each column, a blend
// from the skin just above the cover to the skin just below it, as on a closed lid, smoothed
// along the eye. Returns the mean of the skin sampled (black when nothing was covered).
cv::Vec3d FillWithSkin(const cv::Mat& inside, double eye_width, cv::Mat* patch) {
  const int reach = 1 + static_cast<int>(kEyeSkinReach * eye_width);
  cv::Mat skin = patch->clone();
  cv::Vec3d sum(0, 0, 0);
  int columns = 0;
  for (int x = 0; x < patch->cols; ++x) {
    int top = -1, bottom = -1;
    for (int y = 0; y < patch->rows; ++y) {
      if (inside.at<uchar>(y, x) == 0) continue;
      if (top < 0) top = y;
      bottom = y;
    }
    if (top < 0) continue;
    const cv::Vec3b above = patch->at<cv::Vec3b>(std::max(0, top - reach), x);
    const cv::Vec3b below = patch->at<cv::Vec3b>(std::min(patch->rows - 1, bottom + reach), x);
    for (int y = 0; y < patch->rows; ++y) {
      const double a = std::clamp((y - top + 1.0) / (bottom - top + 2.0), 0.0, 1.0);
      cv::Vec3b& d = skin.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c)
        d[c] = cv::saturate_cast<uchar>((1 - a) * above[c] + a * below[c]);
    }
    sum += (cv::Vec3d(above[0], above[1], above[2]) + cv::Vec3d(below[0], below[1], below[2])) / 2;
    ++columns;
  }
  // Single rows of pixels above and below are noisy; smoothing along the eye hides the columns.
  cv::GaussianBlur(skin, *patch, cv::Size(), std::max(0.5, 0.08 * eye_width), 0.5);
  return columns > 0 ? sum / columns : cv::Vec3d(0, 0, 0);
}

// The closed lids' dark line from corner to corner of the levelled eye (corners, and the
// midpoints of the lids' middle landmarks), sagging like a closed lid, anti-aliased.
void DrawLidLine(const cv::Point2d& left, const cv::Point2d& right, double middle_y,
                 double eye_width, const cv::Vec3d& colour, cv::Mat* patch) {
  constexpr int kShift = 4;  // sub-pixel positions, 4 fractional bits
  constexpr int kSteps = 12;
  const double sag = middle_y - (left.y + right.y) / 2 + kLidLineSag * eye_width;
  std::vector<cv::Point> line;
  for (int i = 0; i <= kSteps; ++i) {
    const double k = static_cast<double>(i) / kSteps;
    const double x = left.x + k * (right.x - left.x);
    const double y = left.y + k * (right.y - left.y) + 4 * k * (1 - k) * sag;
    line.emplace_back(cvRound(x * (1 << kShift)), cvRound(y * (1 << kShift)));
  }
  const int thickness = std::max(1, static_cast<int>(std::lround(kLidLineWidth * eye_width)));
  cv::polylines(*patch, line, /*isClosed=*/false, cv::Scalar(colour[0], colour[1], colour[2]),
                thickness, cv::LINE_AA, kShift);
}

// Closes one eye (landmarks first..first+5): covers it with skin and draws the closed lids'
// line through its middle — what dlib's landmark model reads as a closed eye. The skin is
// blended across from above and below rather than copied from under the eye: under-eye
// shadows and make-up copied up would draw a second lid. The work is done in a patch turned so
// that the eye is level, so that "above" and "below" follow a tilted head.
void CloseEye(const biometrics::Landmarks& l, int first, cv::Mat* rgb) {
  const cv::Point2d left = At(l, first), right = At(l, first + 3);
  const double width = cv::norm(right - left);
  if (width < 2) return;  // too small to matter, and to draw
  const cv::Point2d centre = (left + right) / 2;
  const int margin = static_cast<int>(std::ceil(width));
  const cv::Rect roi = cv::Rect(static_cast<int>(centre.x) - margin,
                                static_cast<int>(centre.y) - margin, 2 * margin, 2 * margin) &
                       cv::Rect(0, 0, rgb->cols, rgb->rows);
  if (roi.width < 3 || roi.height < 3) return;
  const cv::Point2d origin(roi.x, roi.y);
  const double angle_deg = std::atan2(right.y - left.y, right.x - left.x) / kDegToRad;
  const cv::Mat level = cv::getRotationMatrix2D(centre - origin, angle_deg, 1.0);
  cv::Mat unlevel;
  cv::invertAffineTransform(level, unlevel);
  auto levelled = [&](int i) { return Apply(level, At(l, first + i) - origin); };

  cv::Mat patch;
  cv::warpAffine((*rgb)(roi), patch, level, roi.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  std::vector<cv::Point> cover;
  for (int i = 0; i < 6; ++i) {
    cv::Point2d q = levelled(i);
    if (i == 0 || i == 3) {
      q.x += (i == 0 ? -1 : 1) * kEyeCoverGrowOut * width;
    } else {
      q.y += i < 3 ? -kEyeCoverGrowUp * width : kEyeCoverGrowDown * width;
    }
    cover.emplace_back(cvRound(q.x), cvRound(q.y));
  }
  cv::Mat inside(patch.size(), CV_8U, cv::Scalar(0));
  cv::fillConvexPoly(inside, cover, cv::Scalar(1));
  const cv::Vec3d skin = FillWithSkin(inside, width, &patch);
  const double middle_y = (levelled(1).y + levelled(5).y + levelled(2).y + levelled(4).y) / 4;
  DrawLidLine(levelled(0), levelled(3), middle_y, width, skin * kLidLineShade, &patch);

  // Back to the photo's orientation, feathered in.
  cv::Mat weight;
  inside.convertTo(weight, CV_32F);
  cv::GaussianBlur(weight, weight, cv::Size(), std::max(0.5, kEyeCoverFeather * width));
  cv::warpAffine(patch, patch, unlevel, roi.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  cv::warpAffine(weight, weight, unlevel, roi.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar(0));
  cv::Mat target = (*rgb)(roi);
  Blend(patch, weight, &target);
}

}  // namespace

FaceActor::FaceActor(biometrics::Image photo, const biometrics::Landmarks& landmarks)
    : photo_(std::move(photo)), landmarks_(landmarks) {
  const biometrics::Landmarks& l = landmarks_;
  cv::Point2d eye_left(0, 0), eye_right(0, 0);
  for (int i = 0; i < 6; ++i) {
    eye_left += At(l, 36 + i) / 6.0;
    eye_right += At(l, 42 + i) / 6.0;
  }
  const cv::Point2d across = eye_right - eye_left;
  const double eye_distance = std::max(1.0, cv::norm(across));
  head_.axis_cos = across.x / eye_distance;
  head_.axis_sin = across.y / eye_distance;
  // Landmarks in the face's frame, from the eyes' midpoint for now.
  const cv::Point2d eyes = (eye_left + eye_right) / 2;
  auto s_of = [&](int i) {
    return (l[i].x - eyes.x) * head_.axis_cos + (l[i].y - eyes.y) * head_.axis_sin;
  };
  auto t_of = [&](int i) {
    return -(l[i].x - eyes.x) * head_.axis_sin + (l[i].y - eyes.y) * head_.axis_cos;
  };
  double brow_t = t_of(17);
  for (int i = 18; i <= 26; ++i) brow_t = std::min(brow_t, t_of(i));
  const double chin_t = t_of(8);
  const double brow_to_chin = std::max(1.0, chin_t - brow_t);
  // The centre lies between the temples on the eye line: the head turns about its neck and
  // nods about its ears, which are level with the eyes.
  const double centre_s = (s_of(0) + s_of(16)) / 2;
  head_.centre_x = eyes.x + centre_s * head_.axis_cos;
  head_.centre_y = eyes.y + centre_s * head_.axis_sin;
  for (int i = 0; i <= 16; ++i) {
    head_.jaw_s[i] = s_of(i) - centre_s;
    head_.jaw_t[i] = t_of(i);
  }
  head_.half_width = std::max({1.0, -head_.jaw_s[0], head_.jaw_s[16]});
  head_.half_height_up = std::max(1.0, kForeheadPerBrowToChin * brow_to_chin - brow_t);
  head_.half_height_down = std::max(1.0, chin_t + kBelowChinPerBrowToChin * brow_to_chin);
  head_.depth = kDepthPerHalfWidth * head_.half_width;
  head_.nose_root_s = s_of(27) - centre_s;
  head_.nose_root_t = t_of(27);
  head_.nose_tip_s = s_of(30) - centre_s;
  head_.nose_tip_t = t_of(30);
  head_.nose_height = kNoseHeightPerEyeSpan * cv::norm(At(l, 45) - At(l, 36));
  head_.nose_sigma = std::max(1.0, kNoseSigmaPerNostrilSpan * cv::norm(At(l, 35) - At(l, 31)));
}

absl::StatusOr<FaceActor> FaceActor::Create(biometrics::FaceAnalyzer& analyzer,
                                            const biometrics::Image& photo) {
  if (photo.empty() || !photo.IsConsistent()) {
    return absl::InvalidArgumentError("face actor: the photo is empty or its pixels are missing");
  }
  auto faces = analyzer.Analyze(photo);
  if (!faces.ok()) {
    return absl::Status(faces.status().code(), absl::StrCat("face actor: analysing the photo: ",
                                                            faces.status().message()));
  }
  if (faces->size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "face actor: the photo must show exactly one face; the detector found ", faces->size()));
  }
  return FaceActor(photo, faces->front().landmarks);
}

double FaceActor::HalfWidth(double s, double t) const {
  // Walk the contour on s's side from the temple (0 or 16) down towards the chin (8).
  const int first = s < 0 ? 0 : 16, step = s < 0 ? 1 : -1;
  double edge = head_.jaw_s[first];
  for (int i = first; i != 8 && t > head_.jaw_t[i]; i += step) {
    const int j = i + step;
    const double span = head_.jaw_t[j] - head_.jaw_t[i];
    const double k = span > 1e-9 ? std::clamp((t - head_.jaw_t[i]) / span, 0.0, 1.0) : 1.0;
    edge = head_.jaw_s[i] + k * (head_.jaw_s[j] - head_.jaw_s[i]);
  }
  return std::max({1.0, std::abs(edge), kMinWidthShare * head_.half_width});
}

double FaceActor::Depth(double s, double t) const {
  const double u = s / HalfWidth(s, t);
  const double v = t / (t < 0 ? head_.half_height_up : head_.half_height_down);
  double surface = 0;
  if (std::abs(u) < 1 && std::abs(v) < 1) {
    surface = head_.depth * std::pow(1 - std::pow(std::abs(u), kAcrossPower), kAcrossExponent) *
              std::sqrt(1 - std::pow(std::abs(v), t < 0 ? kUpPower : kDownPower));
  }
  // The nose as a ridge from root to tip, rising towards the tip, with a Gaussian cross-section.
  const double as = head_.nose_tip_s - head_.nose_root_s;
  const double at = head_.nose_tip_t - head_.nose_root_t;
  const double length2 = std::max(1e-9, as * as + at * at);
  const double k =
      std::clamp(((s - head_.nose_root_s) * as + (t - head_.nose_root_t) * at) / length2, 0.0, 1.0);
  const double ds = s - (head_.nose_root_s + k * as), dt = t - (head_.nose_root_t + k * at);
  const double ridge = head_.nose_height * (kNoseRootShare + (1 - kNoseRootShare) * k) *
                       std::exp(-(ds * ds + dt * dt) / (2 * head_.nose_sigma * head_.nose_sigma));
  return surface + ridge;
}

double FaceActor::Follow(double s, double t) const {
  const double u = s / head_.half_width;
  const double v = t / (t < 0 ? head_.half_height_up : head_.half_height_down);
  return 1 - SmoothStep(1, 1 + kFollowBand, std::sqrt(u * u + v * v));
}

FaceActor::Turn FaceActor::TurnFor(const ActorPose& pose) {
  const double yaw = std::clamp(pose.yaw_deg, -kMaxYawDeg, kMaxYawDeg) * kDegToRad;
  const double pitch = std::clamp(pose.pitch_deg, -kMaxPitchDeg, kMaxPitchDeg) * kDegToRad;
  return {std::cos(yaw), std::sin(yaw), std::cos(pitch), std::sin(pitch)};
}

// Yaw about the face's vertical axis, then pitch about its horizontal one, both through the
// head's centre, projected orthographically; outside the head the motion fades out.
FaceActor::MovedPoint FaceActor::Move(double x, double y, const Turn& turn) const {
  const double dx = x - head_.centre_x, dy = y - head_.centre_y;
  const double s = dx * head_.axis_cos + dy * head_.axis_sin;
  const double t = -dx * head_.axis_sin + dy * head_.axis_cos;
  const double z = Depth(s, t), follow = Follow(s, t);
  const double s1 = s * turn.cos_yaw + z * turn.sin_yaw;
  const double z1 = -s * turn.sin_yaw + z * turn.cos_yaw;
  const double t2 = t * turn.cos_pitch - z1 * turn.sin_pitch;
  const double z2 = t * turn.sin_pitch + z1 * turn.cos_pitch;
  const double ds = follow * (s1 - s), dt = follow * (t2 - t);
  return {x + ds * head_.axis_cos - dt * head_.axis_sin,
          y + ds * head_.axis_sin + dt * head_.axis_cos, z + follow * (z2 - z)};
}

// The inverse map (for each render pixel, the photo pixel it shows) is found by drawing the
// rotated surface as a one-pixel triangle mesh with a depth buffer, rather than by inverting
// the forward map per pixel with fixed-point steps: those diverge where the surface is steeper
// than the rotation allows (the far cheek, the nose's far side), which is exactly where the
// depth buffer instead hides what the nose and the head's curve cover.
void FaceActor::InverseMap(const Turn& turn, std::vector<float>* xs, std::vector<float>* ys) const {
  const cv::Size size(photo_.width, photo_.height);
  xs->resize(static_cast<size_t>(size.area()));
  ys->resize(xs->size());
  cv::Mat map_x(size, CV_32F, xs->data()), map_y(size, CV_32F, ys->data());
  for (int y = 0; y < size.height; ++y) {
    for (int x = 0; x < size.width; ++x) {
      map_x.at<float>(y, x) = static_cast<float>(x);
      map_y.at<float>(y, x) = static_cast<float>(y);
    }
  }
  // Every pixel that can move: the head's bounding box, band included, in any roll.
  const double reach = (1 + kFollowBand) *
                       std::max({head_.half_width, head_.half_height_up, head_.half_height_down});
  const cv::Rect region =
      cv::Rect(cv::Point(static_cast<int>(std::floor(head_.centre_x - reach)),
                         static_cast<int>(std::floor(head_.centre_y - reach))),
               cv::Point(static_cast<int>(std::ceil(head_.centre_x + reach)) + 1,
                         static_cast<int>(std::ceil(head_.centre_y + reach)) + 1)) &
      cv::Rect(cv::Point(0, 0), size);
  if (region.width < 2 || region.height < 2) return;
  cv::Mat nearest(size, CV_32F, cv::Scalar(-std::numeric_limits<float>::infinity()));
  auto place = [&](int x, int y) {
    const MovedPoint m = Move(x, y, turn);
    return Vertex{m.x, m.y, m.z, static_cast<float>(x), static_cast<float>(y)};
  };
  std::vector<Vertex> above(region.width), below(region.width);
  for (int i = 0; i < region.width; ++i) above[i] = place(region.x + i, region.y);
  for (int y = region.y + 1; y < region.y + region.height; ++y) {
    for (int i = 0; i < region.width; ++i) below[i] = place(region.x + i, y);
    for (int i = 0; i + 1 < region.width; ++i) {
      RasterizeTriangle(above[i], above[i + 1], below[i], &map_x, &map_y, &nearest);
      RasterizeTriangle(above[i + 1], below[i + 1], below[i], &map_x, &map_y, &nearest);
    }
    std::swap(above, below);
  }
}

biometrics::Image FaceActor::Render(const ActorPose& pose) const {
  cv::Mat source =
      cv::Mat(photo_.height, photo_.width, CV_8UC3, const_cast<uint8_t*>(photo_.rgb.data()))
          .clone();
  if (pose.eyes_closed) {
    CloseEye(landmarks_, 36, &source);
    CloseEye(landmarks_, 42, &source);
  }
  std::vector<float> xs, ys;
  InverseMap(TurnFor(pose), &xs, &ys);
  cv::Mat rendered;
  cv::remap(source, rendered, cv::Mat(source.size(), CV_32F, xs.data()),
            cv::Mat(source.size(), CV_32F, ys.data()), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  biometrics::Image out = biometrics::Image::Blank(photo_.width, photo_.height);
  for (int y = 0; y < rendered.rows; ++y) {
    std::copy(rendered.ptr<uint8_t>(y), rendered.ptr<uint8_t>(y) + out.stride(),
              &out.rgb[out.stride() * y]);
  }
  return out;
}

}  // namespace proctor::client
