#include "biometrics/face_aligner.h"

#include <dlib/image_transforms.h>

#include "biometrics/dlib_image_view.h"

namespace proctor::biometrics {

Image ExtractFaceChip(const Image& image, const Rect& box, const Landmarks& landmarks, int size,
                      double padding) {
  const internal::ConstRgbView view{&image};
  const dlib::chip_details details =
      dlib::get_face_chip_details(internal::ToDlib(box, landmarks), size, padding);
  dlib::matrix<dlib::rgb_pixel> chip;
  dlib::extract_image_chip(view, details, chip);
  return internal::FromDlibMatrix(chip);
}

}  // namespace proctor::biometrics
