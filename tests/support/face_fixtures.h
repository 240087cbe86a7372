// Faces for server tests, cut from the face-api demo group photos (always present after
// scripts/setup.sh): each sample is a single-face photo (the face with a margin, for
// enrollment), its aligned 150x150 chip as JPEG (evidence) and its descriptor. Samples cut from
// one group photo are different people.
#ifndef PROCTOR_TESTS_SUPPORT_FACE_FIXTURES_H_
#define PROCTOR_TESTS_SUPPORT_FACE_FIXTURES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace proctor::testing {

struct FaceSample {
  std::string source;                      // "sample1.jpg#0"
  std::vector<uint8_t> photo_jpeg;         // one face with margin
  std::vector<uint8_t> chip_jpeg;          // 150x150 aligned chip, quality 90
  std::vector<float> descriptor;           // of the chip before JPEG
  std::vector<float> mirrored_descriptor;  // of the mirrored photo: same person, other view
};

// Distinct people from one demo photo (at least `count`); fails the calling test (ADD_FAILURE)
// and returns fewer when the models or photos are missing.
std::vector<FaceSample> DemoFaces(size_t count);

// A weaker enrollment photo of the sample's person: downscaled to 2/5 and back, darkened, JPEG
// quality 20 (what an old student-record scan looks like). Its descriptor goes to *descriptor.
// Empty (with ADD_FAILURE) when the models are missing or no single face is found in it.
std::vector<uint8_t> WeakPhoto(const FaceSample& sample, std::vector<float>* descriptor);

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_FACE_FIXTURES_H_
