// Internal: zero-copy views of proctor Images as dlib images. Only biometrics' dlib adapters
// include this header.
#ifndef PROCTOR_BIOMETRICS_DLIB_IMAGE_VIEW_H_
#define PROCTOR_BIOMETRICS_DLIB_IMAGE_VIEW_H_

#include <dlib/image_processing/full_object_detection.h>
#include <dlib/matrix.h>
#include <dlib/pixel.h>

#include <cstddef>

#include "biometrics/face_types.h"
#include "biometrics/image.h"

namespace proctor::biometrics::internal {

// A read-only dlib generic image over an Image's pixels. The Image must outlive the view and
// must not be resized while the view is in use.
struct ConstRgbView {
  const Image* image;
};

dlib::rectangle ToDlib(const Rect& rect);
Rect FromDlib(const dlib::rectangle& rect);
dlib::full_object_detection ToDlib(const Rect& box, const Landmarks& landmarks);
dlib::matrix<dlib::rgb_pixel> ToDlibMatrix(const Image& image);
Image FromDlibMatrix(const dlib::matrix<dlib::rgb_pixel>& matrix);

}  // namespace proctor::biometrics::internal

// dlib's generic image interface (dlib/image_processing/generic_image.h) for ConstRgbView: the
// traits live in namespace dlib, the accessors beside the type so that ADL finds them.
namespace dlib {
template <>
struct image_traits<proctor::biometrics::internal::ConstRgbView> {
  typedef rgb_pixel pixel_type;
};
}  // namespace dlib

namespace proctor::biometrics::internal {
inline long num_rows(const ConstRgbView& v) { return v.image->height; }
inline long num_columns(const ConstRgbView& v) { return v.image->width; }
inline const void* image_data(const ConstRgbView& v) { return v.image->rgb.data(); }
inline long width_step(const ConstRgbView& v) { return static_cast<long>(v.image->stride()); }
}  // namespace proctor::biometrics::internal

#endif  // PROCTOR_BIOMETRICS_DLIB_IMAGE_VIEW_H_
