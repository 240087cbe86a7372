#include "biometrics/dlib_image_view.h"

#include <cstring>

namespace proctor::biometrics::internal {

dlib::rectangle ToDlib(const Rect& rect) {
  return dlib::rectangle(rect.x, rect.y, rect.x + rect.width - 1, rect.y + rect.height - 1);
}

Rect FromDlib(const dlib::rectangle& rect) {
  return Rect{static_cast<int>(rect.left()), static_cast<int>(rect.top()),
              static_cast<int>(rect.width()), static_cast<int>(rect.height())};
}

dlib::full_object_detection ToDlib(const Rect& box, const Landmarks& landmarks) {
  std::vector<dlib::point> parts;
  parts.reserve(landmarks.size());
  for (const PointF& p : landmarks) {
    parts.emplace_back(static_cast<long>(p.x + 0.5f), static_cast<long>(p.y + 0.5f));
  }
  return dlib::full_object_detection(ToDlib(box), parts);
}

dlib::matrix<dlib::rgb_pixel> ToDlibMatrix(const Image& image) {
  dlib::matrix<dlib::rgb_pixel> matrix(image.height, image.width);
  if (image.width > 0 && image.height > 0) {
    std::memcpy(&matrix(0, 0), image.rgb.data(), image.rgb.size());
  }
  return matrix;
}

Image FromDlibMatrix(const dlib::matrix<dlib::rgb_pixel>& matrix) {
  Image image = Image::Blank(static_cast<int>(matrix.nc()), static_cast<int>(matrix.nr()));
  if (!image.empty()) std::memcpy(image.rgb.data(), &matrix(0, 0), image.rgb.size());
  return image;
}

}  // namespace proctor::biometrics::internal
