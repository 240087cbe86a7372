// Where the tests find their data, and how they react when it is absent.
//
// - Models: built by scripts/setup.sh into models/ (or $PROCTOR_MODELS). Missing models fail
//   the test: the README's test command always fetches them.
// - Labelled photos: ../shared/testdata/faces (or $PROCTOR_TESTDATA/faces). They exist only
//   beside a checkout (CI has them). When absent, a test that needs them is reported as SKIPPED
//   with the path it looked at (ctest counts it as skipped, never as passed) — and under CI
//   (CI=true) or with PROCTOR_REQUIRE_TESTDATA=1 it FAILS instead, so CI cannot lose them
//   silently.
// - Demo photos: the group photos inside the face-api npm tarball, unpacked by
//   models/fetch-models.sh into .cache/face-api-1.7.15/package/demo.
#ifndef PROCTOR_TESTS_SUPPORT_TEST_DATA_H_
#define PROCTOR_TESTS_SUPPORT_TEST_DATA_H_

#include <gtest/gtest.h>

#include <string>

namespace proctor::testing {

std::string ModelsDir();
std::string LabelledFacesDir();  // .../testdata/faces
std::string DemoPhotosDir();
bool DirectoryExists(const std::string& path);
bool MissingTestdataAllowed();

}  // namespace proctor::testing

// Use at the top of a test that needs the labelled photos.
#define PROCTOR_REQUIRE_LABELLED_PHOTOS()                                                     \
  do {                                                                                        \
    const std::string _dir = ::proctor::testing::LabelledFacesDir();                          \
    if (!::proctor::testing::DirectoryExists(_dir)) {                                         \
      if (::proctor::testing::MissingTestdataAllowed()) {                                     \
        GTEST_SKIP() << "labelled photos not found at " << _dir                               \
                     << ": NOT tested (set PROCTOR_TESTDATA to where they are)";            \
      }                                                                                       \
      FAIL() << "labelled photos not found at " << _dir                                       \
             << " and CI / PROCTOR_REQUIRE_TESTDATA demands them: put ../shared/testdata "  \
                "beside the checkout or set PROCTOR_TESTDATA";                                \
    }                                                                                         \
  } while (0)

#endif  // PROCTOR_TESTS_SUPPORT_TEST_DATA_H_
