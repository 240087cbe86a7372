// TIFF through libtiff's RGBA interface, which converts the photometric interpretations a
// scanner writes (RGB, grey, palette, CMYK, YCbCr; 1-16 bits; strips or tiles; any compression
// libtiff was built with) to 8-bit RGBA. The first page is the photo.
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "biometrics/image_decoders.h"

namespace proctor::biometrics::internal {
namespace {

// A read-only TIFF "file" over the caller's bytes, and the first error libtiff reported on it.
struct MemoryTiff {
  const uint8_t* data;
  toff_t size;
  toff_t pos = 0;
  std::string error;
};

tmsize_t Read(thandle_t h, void* buf, tmsize_t n) {
  auto* m = static_cast<MemoryTiff*>(h);
  const toff_t left = m->pos < m->size ? m->size - m->pos : 0;
  const toff_t count = std::min<toff_t>(left, static_cast<toff_t>(n));
  std::memcpy(buf, m->data + m->pos, count);
  m->pos += count;
  return static_cast<tmsize_t>(count);
}
tmsize_t Write(thandle_t, void*, tmsize_t) { return -1; }
toff_t Seek(thandle_t h, toff_t off, int whence) {
  auto* m = static_cast<MemoryTiff*>(h);
  const toff_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->size : 0;
  m->pos = base + off;
  return m->pos;
}
int Close(thandle_t) { return 0; }
toff_t Size(thandle_t h) { return static_cast<MemoryTiff*>(h)->size; }
int Map(thandle_t h, void** base, toff_t* size) {
  auto* m = static_cast<MemoryTiff*>(h);
  *base = const_cast<uint8_t*>(m->data);  // libtiff only reads a mapping opened with "r"
  *size = m->size;
  return 1;
}
void Unmap(thandle_t, void*, toff_t) {}

int OnError(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* m = static_cast<MemoryTiff*>(user);
  if (m->error.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof text, fmt, ap);
    m->error = module != nullptr ? absl::StrCat(module, ": ", text) : text;
  }
  return 1;  // handled: nothing goes to stderr
}
int OnWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffClose {
  void operator()(TIFF* tif) const { TIFFClose(tif); }
};
struct OptionsFree {
  void operator()(TIFFOpenOptions* o) const { TIFFOpenOptionsFree(o); }
};

}  // namespace

absl::StatusOr<StoredImage> DecodeTiff(const uint8_t* data, size_t size,
                                       const ImageLimits& limits) {
  MemoryTiff file{data, static_cast<toff_t>(size), 0, {}};
  std::unique_ptr<TIFFOpenOptions, OptionsFree> options(TIFFOpenOptionsAlloc());
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), OnError, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), OnWarning, &file);
  TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), static_cast<tmsize_t>(limits.max_pixels) * 4);
  std::unique_ptr<TIFF, TiffClose> tif(TIFFClientOpenExt("image", "r", &file, Read, Write, Seek,
                                                         Close, Size, Map, Unmap, options.get()));
  if (tif == nullptr) return absl::InvalidArgumentError(absl::StrCat("corrupt TIFF: ", file.error));
  uint32_t width = 0, height = 0;
  TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &height);
  if (absl::Status s = CheckImageDimensions(width, height, limits); !s.ok()) return s;
  char why[1024] = "";
  if (!TIFFRGBAImageOK(tif.get(), why)) {
    return absl::InvalidArgumentError(absl::StrCat("TIFF this build cannot decode: ", why));
  }
  TIFFRGBAImage rgba;
  if (!TIFFRGBAImageBegin(&rgba, tif.get(), 0, why)) {
    return absl::InvalidArgumentError(absl::StrCat("TIFF this build cannot decode: ", why));
  }
  StoredImage out;
  // Rows as stored, top first: the Orientation tag is applied by DecodeImage for all formats
  // alike, since libtiff's own handling leaves the four transposing values unrotated.
  out.orientation = rgba.orientation >= 1 && rgba.orientation <= 8 ? rgba.orientation : 1;
  rgba.orientation = ORIENTATION_TOPLEFT;
  rgba.req_orientation = ORIENTATION_TOPLEFT;
  std::vector<uint32_t> raster(static_cast<size_t>(width) * height);
  const int ok = TIFFRGBAImageGet(&rgba, raster.data(), width, height);
  TIFFRGBAImageEnd(&rgba);
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat("corrupt or truncated TIFF: ", file.error));
  }
  out.image = Image::Blank(static_cast<int>(width), static_cast<int>(height));
  for (size_t i = 0; i < raster.size(); ++i) {
    // libtiff's RGBA is premultiplied by alpha: adding the missing coverage composites on white.
    const uint32_t p = raster[i];
    const int blank = 255 - static_cast<int>(TIFFGetA(p));
    out.image.rgb[i * 3 + 0] = static_cast<uint8_t>(std::min(255, int(TIFFGetR(p)) + blank));
    out.image.rgb[i * 3 + 1] = static_cast<uint8_t>(std::min(255, int(TIFFGetG(p)) + blank));
    out.image.rgb[i * 3 + 2] = static_cast<uint8_t>(std::min(255, int(TIFFGetB(p)) + blank));
  }
  return out;
}

}  // namespace proctor::biometrics::internal
