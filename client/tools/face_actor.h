// Scripted "genuine" liveness footage from one still photo: the person in the photo turns the
// head left, right or up and closes the eyes, as the server's liveness challenge asks. For tests
// and for measuring the challenge's error rates; not a face generator (nothing is invented: the
// photo's own pixels are moved and, for closed eyes, blended from the skin around each eye).
#ifndef PROCTOR_CLIENT_TOOLS_FACE_ACTOR_H_
#define PROCTOR_CLIENT_TOOLS_FACE_ACTOR_H_

#include <array>
#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/face_types.h"
#include "biometrics/image.h"

namespace proctor::client {

// What the actor does in one frame, in biometrics::HeadPose's conventions.
struct ActorPose {
  // Degrees, clamped to -45..45: + turns the face towards the image's right (the learner's left
  // on an unmirrored webcam).
  double yaw_deg = 0;
  // Degrees, clamped to -30..30: + tilts the chin up.
  double pitch_deg = 0;
  bool eyes_closed = false;
};

// The photo's head as a 2.5-D surface fitted to the 68 landmarks — curved across the face and
// nearly flat down it, with a nose ridge, in the proportions of a mean 3-D face — that Render
// rotates about the face's own axes and projects orthographically, blending into the unchanged
// background around the head. Rotations past ~30 degrees show the limits of one view: the far
// cheek is hidden correctly, but the near side of the head is the photo's edge of the face
// stretched, not an ear. A photo already turned far cannot turn further and stay detectable.
//
// What EstimateHeadPose then reads varies from person to person, as it would for real people:
// on the demo people facing the camera, a commanded 25 degree turn reads 14-52 degrees and a
// 20 degree chin-up 8-29 (face_actor_test.cc prints the figures).
//
// A value type; Render is const and thread-safe.
class FaceActor {
 public:
  // Finds the one face in `photo` and keeps the photo, its landmarks and the depth model fitted
  // to them. INVALID_ARGUMENT for an empty photo or when the analyzer does not find exactly one
  // face; the analyzer's own error otherwise. `analyzer` is used only during the call.
  static absl::StatusOr<FaceActor> Create(biometrics::FaceAnalyzer& analyzer,
                                          const biometrics::Image& photo);

  // The photo with the head rotated by pose.yaw_deg / pose.pitch_deg (about the head's centre)
  // and/or the eyes closed; the same size as the photo. Pose 0 with open eyes gives the photo
  // back (to rounding).
  biometrics::Image Render(const ActorPose& pose) const;

 private:
  // The head in the face's own frame: origin at the head's centre, s along the eye line
  // (towards the image's right for an upright face), t perpendicular to it (down the face),
  // in photo pixels; depth is towards the camera, 0 on the image plane through the centre.
  // Rotations are about the face's axes, so a head tilted sideways turns about its own neck.
  struct HeadModel {
    double centre_x = 0, centre_y = 0;  // the origin, photo pixels
    double axis_cos = 1, axis_sin = 0;  // direction of s in the photo (the eye line)
    // The jaw contour (landmarks 0-16) from the centre: the face's half width below the eyes.
    std::array<double, 17> jaw_s{}, jaw_t{};
    double half_width = 0;        // the wider temple's distance from the centre
    double half_height_up = 0;    // along -t, to the top of the forehead
    double half_height_down = 0;  // along +t, past the chin
    double depth = 0;             // surface height on the centre line (kDepthPerHalfWidth)
    double nose_root_s = 0, nose_root_t = 0;  // landmark 27, where the ridge starts
    double nose_tip_s = 0, nose_tip_t = 0;    // landmark 30, its highest point
    double nose_height = 0;                   // ridge height over the surface at the tip
    double nose_sigma = 0;                    // lateral fall-off of the ridge (Gaussian sigma)
  };

  // A rotation's sines and cosines.
  struct Turn {
    double cos_yaw = 1, sin_yaw = 0, cos_pitch = 1, sin_pitch = 0;
  };
  // Where a photo point lands in the render, and its depth there (larger is nearer).
  struct MovedPoint {
    double x = 0, y = 0, z = 0;
  };

  FaceActor(biometrics::Image photo, const biometrics::Landmarks& landmarks);
  // Half the face's width at height t on the side of s (the jaw contour's distance).
  double HalfWidth(double s, double t) const;
  // Height of the head's surface above the image plane at face coordinates (s, t).
  double Depth(double s, double t) const;
  // How much of the head's motion the point at (s, t) follows: 1 on the head, falling
  // smoothly to 0 in a band around it so that the background stays put.
  double Follow(double s, double t) const;
  // The pose's angles, clamped to their ranges.
  static Turn TurnFor(const ActorPose& pose);
  // Where photo pixel (x, y) goes when the head turns by `turn`.
  MovedPoint Move(double x, double y, const Turn& turn) const;
  // For each render pixel, row by row, the photo position it shows (x in *xs, y in *ys).
  void InverseMap(const Turn& turn, std::vector<float>* xs, std::vector<float>* ys) const;

  biometrics::Image photo_;
  biometrics::Landmarks landmarks_;
  HeadModel head_;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_TOOLS_FACE_ACTOR_H_
