# Finds every system dependency from Debian 12 packages. Each failure names the package to install;
# scripts/setup.sh installs all of them.

macro(proctor_require_package name debian_package)
  find_package(${name} ${ARGN} QUIET)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR
      "proctor: ${name} was not found. Install it with:\n"
      "    sudo apt-get install ${debian_package}\n"
      "(or run scripts/setup.sh, which installs every dependency).")
  endif()
endmacro()

find_package(Threads REQUIRED)
proctor_require_package(dlib libdlib-dev)
proctor_require_package(OpenCV libopencv-dev COMPONENTS core imgproc imgcodecs calib3d videoio highgui)
proctor_require_package(absl libabsl-dev)
proctor_require_package(nlohmann_json nlohmann-json3-dev)
proctor_require_package(CLI11 libcli11-dev)
proctor_require_package(JPEG libjpeg-dev)
proctor_require_package(PNG libpng-dev)
proctor_require_package(ZLIB zlib1g-dev)
proctor_require_package(Protobuf "libprotobuf-dev protobuf-compiler")
proctor_require_package(gRPC "libgrpc++-dev protobuf-compiler-grpc" CONFIG)
if(WIN32 AND TARGET OpenSSL::Crypto)
  # The static OpenSSL that gRPC uses on Windows needs Winsock and the certificate store.
  set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES
    ws2_32 crypt32 user32 advapi32)
endif()
if(CMAKE_CROSSCOMPILING AND NOT TARGET gRPC::grpc_cpp_plugin)
  # The Windows libraries are built without gRPC's code generator: the build machine's runs.
  find_program(PROCTOR_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
  add_executable(gRPC::grpc_cpp_plugin IMPORTED)
  set_target_properties(gRPC::grpc_cpp_plugin PROPERTIES IMPORTED_LOCATION "${PROCTOR_GRPC_CPP_PLUGIN}")
endif()
if(NOT TARGET gRPC::grpc_cpp_plugin)
  message(FATAL_ERROR "proctor: grpc_cpp_plugin was not found. Install it with:\n"
    "    sudo apt-get install protobuf-compiler-grpc")
endif()
find_package(PkgConfig REQUIRED)
if(CMAKE_CROSSCOMPILING AND PROCTOR_WINDOWS_PREFIX)
  # pkg-config sees the Windows libraries only (never the build machine's).
  set(ENV{PKG_CONFIG_LIBDIR} "${PROCTOR_WINDOWS_PREFIX}/lib/pkgconfig:${PROCTOR_WINDOWS_PREFIX}/share/pkgconfig:/usr/x86_64-w64-mingw32/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
endif()
# pkg-config modules: proctor_require_pkg(PREFIX "debian packages" "what it is for" module...).
macro(proctor_require_pkg prefix debian_package purpose)
  pkg_check_modules(${prefix} IMPORTED_TARGET ${ARGN})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "proctor: ${purpose} was not found. Install it with:\n"
      "    sudo apt-get install ${debian_package}\n"
      "(or run scripts/setup.sh, which installs every dependency).")
  endif()
endmacro()
# Enrollment photos in every format a phone, a scanner or a student-record system produces.
proctor_require_pkg(WEBP libwebp-dev "libwebp (WebP photos)" libwebp libwebpdemux libwebpmux)
proctor_require_pkg(TIFF4 libtiff-dev "libtiff (TIFF photos)" libtiff-4>=4.5)
proctor_require_pkg(EXIF libexif-dev "libexif (photo orientation)" libexif)
pkg_check_modules(SODIUM IMPORTED_TARGET libsodium)
if(NOT SODIUM_FOUND)
  message(FATAL_ERROR "proctor: libsodium was not found. Install it with:\n"
    "    sudo apt-get install libsodium-dev")
endif()
if(WIN32)
  # Windows links every library statically: each also needs what it uses itself (pkg-config's
  # Libs.private: TIFF's zlib and libjpeg, ...), and harfbuzz needs freetype after it.
  # zlib is the one DLL (Debian's libz-mingw-w64 ships zlib1.dll, which the libraries above were
  # linked against): never its static copy as well.
  foreach(prefix WEBP TIFF4 EXIF SODIUM)
    set(flags ${${prefix}_STATIC_LDFLAGS})
    list(REMOVE_ITEM flags -lz)
    set_property(TARGET PkgConfig::${prefix} APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${flags} ZLIB::ZLIB)
  endforeach()
  if(TARGET opencv_freetype)
    find_library(PROCTOR_FREETYPE_LIBRARY freetype REQUIRED)
    set_property(TARGET opencv_freetype APPEND PROPERTY
      INTERFACE_LINK_LIBRARIES "${PROCTOR_FREETYPE_LIBRARY}" ZLIB::ZLIB)
  endif()
endif()
if(PROCTOR_CLIENT_ONLY)
  # The server's libraries (SQLite, PostgreSQL, HTTP, JOSE, logging) are not needed.
else()
pkg_check_modules(SQLITE3 IMPORTED_TARGET sqlite3)
if(NOT SQLITE3_FOUND)
  message(FATAL_ERROR "proctor: SQLite was not found. Install it with:\n"
    "    sudo apt-get install libsqlite3-dev")
endif()
pkg_check_modules(PQXX IMPORTED_TARGET libpqxx libpq)
if(NOT PQXX_FOUND)
  message(FATAL_ERROR "proctor: libpqxx (PostgreSQL client) was not found. Install it with:\n"
    "    sudo apt-get install libpqxx-dev")
endif()
proctor_require_package(spdlog libspdlog-dev)
pkg_check_modules(HTTPLIB IMPORTED_TARGET cpp-httplib)
if(NOT HTTPLIB_FOUND)
  message(FATAL_ERROR "proctor: cpp-httplib (the review console's HTTP server) was not found. "
    "Install it with:\n    sudo apt-get install libcpp-httplib-dev")
endif()

pkg_check_modules(RHONABWY IMPORTED_TARGET librhonabwy)
if(NOT RHONABWY_FOUND)
  message(FATAL_ERROR "proctor: Rhonabwy (JOSE for LTI 1.3: JWKs, JWTs) was not found. "
    "Install it with:\n    sudo apt-get install librhonabwy-dev")
endif()
endif()  # NOT PROCTOR_CLIENT_ONLY

if(PROCTOR_BUILD_TESTS)
  proctor_require_package(GTest "libgtest-dev libgmock-dev")
endif()
if(PROCTOR_BUILD_BENCHMARKS)
  proctor_require_package(benchmark libbenchmark-dev)
endif()

# dlib's Debian build links the generic libblas.so.3; OpenBLAS makes the descriptor ~10x faster.
if(NOT WIN32 AND NOT EXISTS "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"
   AND NOT EXISTS "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3")
  message(WARNING
    "proctor: OpenBLAS is not installed; face descriptors will be ~10x slower. "
    "Install it with: sudo apt-get install libopenblas0-pthread")
endif()

# Translations: GNU gettext catalogs (po/*.po, compiled with msgfmt) read with Boost.Locale.
if(WIN32)
  set(Boost_USE_STATIC_LIBS ON)
  set(Boost_USE_STATIC_RUNTIME ON)
endif()
find_package(Boost 1.74 QUIET COMPONENTS locale)
if(NOT Boost_LOCALE_FOUND)
  message(FATAL_ERROR "proctor: Boost.Locale (translations) was not found. Install it with:\n"
    "    sudo apt-get install libboost-locale-dev\n"
    "(or run scripts/setup.sh, which installs every dependency).")
endif()
find_program(PROCTOR_MSGFMT msgfmt)
if(NOT PROCTOR_MSGFMT)
  message(FATAL_ERROR "proctor: msgfmt (compiles the translation catalogs) was not found. "
    "Install it with:\n    sudo apt-get install gettext")
endif()
