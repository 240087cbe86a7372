// The biometric checks the server runs on what clients and administrators upload. An interface
// so the core can be tested without the face models; BiometricInspector is the real one.
#ifndef PROCTOR_SERVER_CORE_EVIDENCE_INSPECTOR_H_
#define PROCTOR_SERVER_CORE_EVIDENCE_INSPECTOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proctor::server {

// How clear a frame is, as the server measures it (the client's "could not tell" is checked).
struct FrameClarity {
  bool clear = false;      // bright enough, not too bright, sharp enough to see a face
  double brightness = 0;   // mean grey level, 0-255
  double sharpness = 0;    // variance of the Laplacian at 128 px wide
  std::string problems;    // "too dark, too blurry", or "ok"
};

// A liveness step's frame as the server measures it (protocol/liveness.h judges the numbers).
struct LivenessFrame {
  int faces = 0;                  // faces found in the frame
  double yaw_deg = 0;             // of the most confident face (biometrics::HeadPose)
  double pitch_deg = 0;
  double eye_aspect_ratio = 0;
  std::vector<float> descriptor;  // of that face, 128 values; empty when no face
  std::string problem;            // non-empty when the face was found but not measurable
};

// Implementations are thread-safe.
class EvidenceInspector {
 public:
  virtual ~EvidenceInspector() = default;
  // OK when `jpeg` decodes completely as a JPEG within the evidence limits; INVALID_ARGUMENT
  // with the decoder's reason otherwise.
  virtual absl::Status CheckJpeg(const std::vector<uint8_t>& jpeg) = 0;
  // The 128-d descriptor of an evidence chip (a 150x150 aligned face, JPEG). INVALID_ARGUMENT
  // when it is not one.
  virtual absl::StatusOr<std::vector<float>> EmbedChip(const std::vector<uint8_t>& jpeg) = 0;
  // The descriptor of the one face in an enrollment photo (any format DecodeImage reads). INVALID_ARGUMENT when
  // the photo is unreadable or holds no face or several.
  virtual absl::StatusOr<std::vector<float>> EmbedEnrollmentPhoto(
      const std::vector<uint8_t>& photo) = 0;
  // The clarity of an evidence frame (JPEG), as biometrics' quality measure sees it.
  // INVALID_ARGUMENT when it does not decode.
  virtual absl::StatusOr<FrameClarity> AssessFrame(const std::vector<uint8_t>& jpeg) = 0;
  // Head pose, eye openness and descriptor of the face in a liveness step's frame (JPEG).
  // INVALID_ARGUMENT when it does not decode.
  virtual absl::StatusOr<LivenessFrame> MeasureLivenessFrame(const std::vector<uint8_t>& jpeg) = 0;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_EVIDENCE_INSPECTOR_H_
