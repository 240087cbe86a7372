// The small image and geometry types that the rest of proctor speaks instead of dlib or OpenCV.
#ifndef PROCTOR_BIOMETRICS_IMAGE_H_
#define PROCTOR_BIOMETRICS_IMAGE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace proctor::biometrics {

// An axis-aligned rectangle in pixels; (x, y) is the top-left corner. It may extend past the
// image it refers to (a face box at the border does).
struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

// A point in pixel coordinates, sub-pixel precision.
struct PointF {
  float x = 0;
  float y = 0;
};

// An 8-bit RGB image: rows top to bottom, pixels interleaved R, G, B, no row padding, so pixel
// (x, y) starts at rgb[(y * width + x) * 3]. A value type; copying copies the pixels.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;

  // Allocates a zero-filled image; width and height must be >= 0.
  static Image Blank(int width, int height);

  bool empty() const { return width <= 0 || height <= 0; }
  size_t stride() const { return static_cast<size_t>(width) * 3; }
  // True when the pixel buffer holds exactly width * height * 3 bytes.
  bool IsConsistent() const;
};

// Returns `image` flipped left to right.
Image MirrorHorizontally(const Image& image);

// Returns the image a viewer shows for pixels stored with EXIF/TIFF orientation `orientation`
// (1-8, as the Orientation tag defines them: 1 as stored, 2 mirrored, 3 turned 180 degrees,
// 4 flipped top to bottom, 5 transposed, 6 stored turned 90 degrees anticlockwise (so shown
// turned clockwise), 7 transversed, 8 stored turned 90 degrees clockwise). Values 5-8 swap width
// and height; any other value returns `image` unchanged.
Image ApplyExifOrientation(const Image& image, int orientation);

// Returns `image` scaled to width x height (area averaging when shrinking, bilinear when
// growing). Both must be > 0.
Image ResizeImage(const Image& image, int width, int height);

// Returns the part of `rect` that lies inside a `width` x `height` image (possibly empty).
Rect ClipToImage(const Rect& rect, int width, int height);

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_IMAGE_H_
