// Where the face models are, and the names of the files in a models directory.
#ifndef PROCTOR_BIOMETRICS_MODEL_FILES_H_
#define PROCTOR_BIOMETRICS_MODEL_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace proctor::biometrics {

// The recognition network converted by models/fetch-models.sh.
inline constexpr char kRecognitionModelFile[] = "dlib_face_recognition_resnet_model_v1.dat";
// dlib's 68-point landmark model, from Debian's libdlib-data.
inline constexpr char kShapePredictorFile[] = "shape_predictor_68_face_landmarks.dat";
// Where libdlib-data installs it; used when the models directory has no copy.
inline constexpr char kSystemShapePredictorPath[] =
    "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

// The models directory to use: `flag_value` when not empty, else $PROCTOR_MODELS when set and
// not empty, else the repository's models/ folder compiled into the binary.
std::string ResolveModelsDir(const std::string& flag_value);

// Full path of `file_name` inside `models_dir`. For the shape predictor, falls back to the
// libdlib-data install. NOT_FOUND with a message that says how to obtain the file.
absl::StatusOr<std::string> FindModelFile(const std::string& models_dir,
                                          const std::string& file_name);

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_MODEL_FILES_H_
