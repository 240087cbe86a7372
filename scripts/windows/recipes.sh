# The Windows client's libraries: which Debian source package, which exact version, and how each
# is cross-built with MinGW-w64. Sourced by scripts/build-windows.sh, which keys each library's
# cached build by its line and recipe chained with those above it (and the toolchain file and the
# compiler): changing a version or a flag here rebuilds from that library on, nothing before it.
#
# To refresh a pinned version (Debian published a fix): `apt-cache showsrc PACKAGE | grep
# ^Version` shows what the mirror has; change the version below, run scripts/build-windows.sh,
# then the Windows tests (ctest --preset windows). Each library is static, built with only what
# the client uses.

# name|Debian source package|version — in build order (each may use the ones above it).
PROCTOR_WINDOWS_LIBS=(
  "abseil|abseil|20220623.1-1+deb12u2"
  "protobuf|protobuf|3.21.12-3+deb12u1"
  "c-ares|c-ares|1.18.1-3"
  "re2|re2|20220601+dfsg-1"
  "openssl|openssl|3.0.20-1~deb12u2"
  "grpc|grpc|1.51.1-3"
  "libsodium|libsodium|1.0.18-1+deb12u1"
  "nlohmann-json|nlohmann-json3|3.11.2-2"
  "cli11|cli11|2.1.2+ds-1"
  "googletest|googletest|1.12.1-0.2"
  "benchmark|benchmark|1.7.1-1"
  "libjpeg-turbo|libjpeg-turbo|1:2.1.5-2"
  "libpng|libpng1.6|1.6.39-2+deb12u5"
  "libwebp|libwebp|1.2.4-0.2+deb12u1"
  "tiff|tiff|4.5.0-6+deb12u4"
  "libexif|libexif|0.6.24-1+deb12u1"
  "freetype|freetype|2.12.1+dfsg-5+deb12u4"
  "harfbuzz|harfbuzz|6.0.0+dfsg-3"
  "opencv|opencv|4.6.0+dfsg-12"
  "dlib|dlib|19.24+dfsg-1"
  "boost-locale|boost1.74|1.74.0+ds1-21"
)

# Each recipe runs in an empty build directory ($build) with the unpacked source in $src and
# installs into $prefix. Helpers from build-windows.sh: cmake_install SRC [cmake args...],
# host (the GNU triplet), jobs.

recipe_abseil() {
  cmake_install "$src" -DCMAKE_CXX_STANDARD=17 -DABSL_PROPAGATE_CXX_STD=ON -DBUILD_TESTING=OFF
}

recipe_protobuf() {
  # The libraries only (libprotoc: gRPC builds its plugin support library even without its code
  # generators); protoc runs on the build machine (Debian's protobuf-compiler, same version).
  cmake_install "$src" -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
    -Dprotobuf_BUILD_LIBPROTOC=ON -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_MSVC_STATIC_RUNTIME=OFF
}

recipe_c-ares() {
  # 1.18.1's inet_net_pton.c uses INADDRSZ, which only POSIX's <arpa/nameser.h> defines (fixed
  # upstream in 1.19 by spelling it NS_INADDRSZ): define it for Windows.
  cmake_install "$src" -DCARES_STATIC=ON -DCARES_SHARED=OFF -DCARES_BUILD_TOOLS=OFF \
    -DCARES_BUILD_TESTS=OFF -DCMAKE_C_FLAGS="-DINADDRSZ=4"
}

recipe_re2() {
  # Debian's source leaves out the generated Unicode and Perl tables; its build regenerates them
  # from unicode-data (REBUILD_TABLES=1), and so does this.
  (cd "$src" && perl re2/make_perl_groups.pl > re2/perl_groups.cc &&
     python3 re2/make_unicode_casefold.py > re2/unicode_casefold.cc &&
     python3 re2/make_unicode_groups.py > re2/unicode_groups.cc)
  cmake_install "$src" -DRE2_BUILD_TESTING=OFF -DCMAKE_CXX_STANDARD=17
}

recipe_openssl() {
  # The libraries only (gRPC's TLS); no apps, tests or docs.
  (cd "$src" && ./Configure mingw64 no-shared no-tests no-module no-legacy no-engine \
     --cross-compile-prefix="$host-" --prefix="$prefix" --libdir=lib \
     -D_WIN32_WINNT=0x0A00) > configure.log
  make -C "$src" -j"$jobs" build_libs
  make -C "$src" install_dev
}

recipe_grpc() {
  # The C++ library against the libraries above; the code generator is the build machine's
  # (Debian's protobuf-compiler-grpc, same version). Only grpc++ and what it links are built and
  # installed: gRPC's CMakeLists always builds the "unsecure" copies of the core and of grpc++,
  # the plugin support library and four optional C++ libraries the client does not use (about
  # half of gRPC's compile time); they are left out of "all" and of the install rules.
  perl -0pi -e '
    my $t = qr/grpc_unsecure|grpc\+\+_unsecure|grpc_plugin_support|grpc\+\+_alts|grpc\+\+_error_details|grpc\+\+_reflection|grpcpp_channelz/;
    my $a = s/^add_library\(($t)\n/add_library($1 EXCLUDE_FROM_ALL\n/mg;
    my $i = s/^  install\(TARGETS (?:$t) EXPORT gRPCTargets\n(?:    .*\n)*?  \)\n//mg;
    die "recipe_grpc: expected 7 libraries and 7 install rules, found $a and $i\n"
      unless $a == 7 && $i == 7;' "$src/CMakeLists.txt"
  cmake_install "$src" -DgRPC_INSTALL=ON -DgRPC_BUILD_TESTS=OFF -DgRPC_BUILD_CODEGEN=OFF \
    -DgRPC_BUILD_GRPC_CPP_PLUGIN=OFF -DgRPC_BUILD_GRPC_CSHARP_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_NODE_PLUGIN=OFF -DgRPC_BUILD_GRPC_OBJECTIVE_C_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_PHP_PLUGIN=OFF -DgRPC_BUILD_GRPC_PYTHON_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_RUBY_PLUGIN=OFF -DgRPC_BUILD_CSHARP_EXT=OFF \
    -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package -DgRPC_PROTOBUF_PROVIDER=package \
    -DgRPC_RE2_PROVIDER=package -DgRPC_SSL_PROVIDER=package -DgRPC_ZLIB_PROVIDER=package \
    -DgRPC_BENCHMARK_PROVIDER=none -DCMAKE_CXX_STANDARD=17 \
    -DOPENSSL_ROOT_DIR="$prefix" -DOPENSSL_USE_STATIC_LIBS=ON
}

# Debian's sources of the autotools libraries are their git trees, without a configure script:
# the recipes run autoreconf first (each in its own body, so that the cache key covers it).
recipe_libsodium() {
  [[ -x "$src/configure" ]] || (cd "$src" && autoreconf -fi) > autoreconf.log 2>&1
  (cd "$src" && ./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
     --disable-dependency-tracking) > configure.log
  make -C "$src" -j"$jobs" install > make.log
}

recipe_nlohmann-json() {
  cmake_install "$src" -DJSON_BuildTests=OFF -DJSON_Install=ON
}

recipe_cli11() {
  cmake_install "$src" -DCLI11_BUILD_TESTS=OFF -DCLI11_BUILD_EXAMPLES=OFF -DCLI11_BUILD_DOCS=OFF
}

recipe_googletest() {
  cmake_install "$src" -DBUILD_GMOCK=ON -Dgtest_force_shared_crt=ON
}

recipe_benchmark() {
  # Debian's source reads no version from git; its rules pass the upstream one, as here.
  cmake_install "$src" -DGIT_VERSION=1.7.1 -DBENCHMARK_ENABLE_TESTING=OFF \
    -DBENCHMARK_ENABLE_GTEST_TESTS=OFF \
    -DBENCHMARK_ENABLE_WERROR=OFF -DBENCHMARK_ENABLE_INSTALL=ON
}

recipe_libjpeg-turbo() {
  # SIMD through nasm (Debian's nasm): JPEG encoding of evidence snapshots on weak laptops.
  cmake_install "$src" -DENABLE_SHARED=OFF -DENABLE_STATIC=ON -DWITH_TURBOJPEG=OFF \
    -DCMAKE_ASM_NASM_COMPILER=nasm
}

recipe_libpng() {
  cmake_install "$src" -DPNG_SHARED=OFF -DPNG_STATIC=ON -DPNG_TESTS=OFF -DPNG_EXECUTABLES=OFF
}

recipe_libwebp() {
  cmake_install "$src" -DWEBP_BUILD_ANIM_UTILS=OFF -DWEBP_BUILD_CWEBP=OFF -DWEBP_BUILD_DWEBP=OFF \
    -DWEBP_BUILD_GIF2WEBP=OFF -DWEBP_BUILD_IMG2WEBP=OFF -DWEBP_BUILD_VWEBP=OFF \
    -DWEBP_BUILD_WEBPINFO=OFF -DWEBP_BUILD_WEBPMUX=OFF -DWEBP_BUILD_EXTRAS=OFF \
    -DWEBP_BUILD_LIBWEBPMUX=ON
}

recipe_tiff() {
  cmake_install "$src" -Dtiff-tools=OFF -Dtiff-tests=OFF -Dtiff-contrib=OFF -Dtiff-docs=OFF \
    -Djbig=OFF -Dlerc=OFF -Dlzma=OFF -Dzstd=OFF -Dwebp=OFF -Djpeg=ON -Dzlib=ON -Dpixarlog=ON \
    -Dlibdeflate=OFF -Dold-jpeg=OFF -Djpeg12=OFF
}

recipe_libexif() {
  [[ -x "$src/configure" ]] || (cd "$src" && autoreconf -fi) > autoreconf.log 2>&1
  (cd "$src" && ./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
     --disable-nls --disable-docs --disable-dependency-tracking) > configure.log
  make -C "$src" -j"$jobs" install > make.log
}

recipe_freetype() {
  # The preview window's text in Russian (OpenCV's freetype module; Hershey fonts are ASCII).
  cmake_install "$src" -DFT_DISABLE_BZIP2=ON -DFT_DISABLE_BROTLI=ON -DFT_DISABLE_HARFBUZZ=ON \
    -DFT_DISABLE_PNG=ON -DFT_REQUIRE_ZLIB=ON
}

recipe_harfbuzz() {
  cmake_install "$src" -DHB_HAVE_FREETYPE=ON -DHB_HAVE_GLIB=OFF -DHB_HAVE_ICU=OFF \
    -DHB_HAVE_GOBJECT=OFF -DHB_BUILD_SUBSET=OFF -DHB_BUILD_UTILS=OFF -DHB_BUILD_TESTS=OFF
  # OpenCV's freetype module looks harfbuzz up with pkg-config; the CMake build writes no .pc.
  if [[ ! -f "$prefix/lib/pkgconfig/harfbuzz.pc" ]]; then
    mkdir -p "$prefix/lib/pkgconfig"
    printf '%s\n' "prefix=$prefix" 'libdir=${prefix}/lib' 'includedir=${prefix}/include' '' \
      'Name: harfbuzz' 'Description: HarfBuzz text shaping library' "Version: 6.0.0" \
      'Requires.private: freetype2' 'Libs: -L${libdir} -lharfbuzz' \
      'Cflags: -I${includedir}/harfbuzz' > "$prefix/lib/pkgconfig/harfbuzz.pc"
  fi
}

recipe_opencv() {
  # The modules the client uses (and what calib3d needs; freetype from Debian's contrib
  # component, for the preview's Cyrillic text), Windows' DirectShow for cameras instead of
  # FFmpeg and OpenCV's own MJPEG AVI reader for video files, the image codecs above, nothing
  # downloaded. Media Foundation (cap_msmf.cpp) does not compile with MinGW-w64's GCC 12 in OpenCV
  # 4.6 (its ComPtr needs MSVC's __uuidof; MSYS2 carries a patch): off until that is patched.
  # (IPP, ADE, ... off). x86-64-v2 baseline (SSE4.2) as the Linux build; no AVX dispatch.
  # OpenCV asks pkg-config for freetype and harfbuzz only when the target is UNIX: ask it here.
  echo 'find_package(PkgConfig REQUIRED)' > pkg-config.cmake
  cmake_install "$src" -DCMAKE_PROJECT_INCLUDE="$build/pkg-config.cmake" \
    -DBUILD_LIST=core,imgproc,imgcodecs,videoio,calib3d,features2d,flann,highgui,freetype \
    -DOPENCV_EXTRA_MODULES_PATH="$src/contrib/modules" -DWITH_FREETYPE=ON \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF \
    -DBUILD_opencv_apps=OFF -DBUILD_DOCS=OFF -DBUILD_JAVA=OFF -DBUILD_opencv_python3=OFF \
    -DWITH_MSMF=OFF -DWITH_DSHOW=ON -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_IPP=OFF \
    -DWITH_ITT=OFF -DWITH_OPENCL=OFF -DWITH_PROTOBUF=OFF -DWITH_EIGEN=OFF -DWITH_LAPACK=OFF \
    -DWITH_ADE=OFF -DWITH_QUIRC=OFF -DWITH_OPENEXR=OFF -DWITH_JASPER=OFF -DWITH_OPENJPEG=OFF \
    -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_IMGCODEC_HDR=OFF -DWITH_IMGCODEC_SUNRASTER=OFF \
    -DWITH_IMGCODEC_PXM=OFF -DWITH_IMGCODEC_PFM=OFF -DWITH_JPEG=ON -DBUILD_JPEG=OFF \
    -DWITH_PNG=ON -DBUILD_PNG=OFF -DBUILD_ZLIB=OFF -DWITH_WIN32UI=ON -DWITH_VTK=OFF \
    -DWITH_1394=OFF -DWITH_OBSENSOR=OFF -DWITH_VA=OFF -DWITH_VA_INTEL=OFF -DWITH_CUDA=OFF \
    -DCPU_BASELINE=SSE4_2 -DCPU_DISPATCH= -DOPENCV_GENERATE_PKGCONFIG=OFF \
    -DOPENCV_SKIP_PYTHON_LOADER=ON -DINSTALL_CREATE_DISTRIB=OFF -DOPENCV_BIN_INSTALL_PATH=bin \
    -DOPENCV_LIB_INSTALL_PATH=lib -DOPENCV_CONFIG_INSTALL_PATH=lib/cmake/opencv4 \
    -DOPENCV_INCLUDE_INSTALL_PATH=include/opencv4 -DOPENCV_3P_LIB_INSTALL_PATH=lib
}

recipe_dlib() {
  # The face detector, landmarks and the ResNet descriptor are header code compiled into
  # proctor; the library holds the rest. dlib's own matrix code (no BLAS on Windows), no GUI.
  # SOVERSION as Debian's rules set it (its source leaves it to them).
  cmake_install "$src/dlib" -DSOVERSION=19.1 -DDLIB_NO_GUI_SUPPORT=ON -DDLIB_USE_BLAS=OFF -DDLIB_USE_LAPACK=OFF \
    -DDLIB_USE_CUDA=OFF -DDLIB_PNG_SUPPORT=OFF -DDLIB_JPEG_SUPPORT=OFF -DDLIB_GIF_SUPPORT=OFF \
    -DDLIB_WEBP_SUPPORT=OFF -DDLIB_USE_FFTW=OFF -DDLIB_USE_MKL_FFT=OFF -DDLIB_LINK_WITH_SQLITE3=OFF \
    -DUSE_SSE4_INSTRUCTIONS=ON -DUSE_AVX_INSTRUCTIONS=OFF
}

recipe_boost-locale() {
  # Boost.Locale (the translations) and what it needs, with the Windows API backend (no ICU,
  # no iconv). b2 is built for the build machine, then told to use the MinGW compiler.
  # Debian's source leaves out b2's generated parser; its rules make it with bison, as here.
  (cd "$src/tools/build" && bison -y -d -o src/engine/jamgram.cpp src/engine/jamgram.y)
  (cd "$src" && ./bootstrap.sh --with-libraries=locale > bootstrap.log 2>&1)
  echo "using gcc : mingw : $host-g++-posix ;" > user-config.jam
  (cd "$src" && ./b2 -j"$jobs" --user-config="$build/user-config.jam" --build-dir="$build/b2" \
     toolset=gcc-mingw target-os=windows address-model=64 architecture=x86 variant=release \
     link=static runtime-link=static threading=multi --with-locale boost.locale.icu=off \
     boost.locale.iconv=off boost.locale.winapi=on boost.locale.std=on \
     --prefix="$prefix" install) > b2.log 2>&1
}
