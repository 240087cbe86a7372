// EvidenceInspector backed by the biometrics library (the same face pipeline as the client).
#ifndef PROCTOR_SERVER_CORE_BIOMETRIC_INSPECTOR_H_
#define PROCTOR_SERVER_CORE_BIOMETRIC_INSPECTOR_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/core/evidence_inspector.h"

namespace proctor::biometrics {
class FaceAnalyzer;
}

namespace proctor::server {

// Thread-safe: a fixed pool of analyzers (sharing one landmark model); a caller waits for a free
// one.
class BiometricInspector : public EvidenceInspector {
 public:
  // Loads the models from `models_dir`; `analyzers` >= 1 run in parallel.
  static absl::StatusOr<std::unique_ptr<BiometricInspector>> Create(const std::string& models_dir,
                                                                    int analyzers);
  ~BiometricInspector() override;
  absl::StatusOr<FrameClarity> AssessFrame(const std::vector<uint8_t>& jpeg) override;
  absl::StatusOr<LivenessFrame> MeasureLivenessFrame(const std::vector<uint8_t>& jpeg) override;

  absl::Status CheckJpeg(const std::vector<uint8_t>& jpeg) override;
  absl::StatusOr<std::vector<float>> EmbedChip(const std::vector<uint8_t>& jpeg) override;
  absl::StatusOr<std::vector<float>> EmbedEnrollmentPhoto(
      const std::vector<uint8_t>& photo) override;

 private:
  BiometricInspector() = default;
  std::unique_ptr<biometrics::FaceAnalyzer> Acquire();
  void Release(std::unique_ptr<biometrics::FaceAnalyzer> analyzer);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<biometrics::FaceAnalyzer>> idle_;  // guarded by mu_
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_BIOMETRIC_INSPECTOR_H_
