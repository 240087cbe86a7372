# Warnings, optimisation and sanitizers shared by every proctor target.
add_library(proctor_compile_options INTERFACE)
add_library(proctor::compile_options ALIAS proctor_compile_options)
target_compile_options(proctor_compile_options INTERFACE -Wall -Wextra)
if(WIN32)
  # M_PI and friends from <cmath> (MinGW hides them in strict C++ mode).
  target_compile_definitions(proctor_compile_options INTERFACE _USE_MATH_DEFINES)
endif()
if(PROCTOR_SANITIZE)
  # The sanitizer build is for finding memory and UB errors, and it is compiled cold in every CI
  # run: -O1 is what ASan's authors recommend (fast enough, exact reports) and -g1 (functions and
  # lines) is all a sanitizer report needs. At -O3 -g the same build took ~70 minutes of the CI
  # machine's two cores. dlib's header code keeps -O3 (proctor_optimised_sources) and the tests'
  # own code builds at -O0 (proctor_sanitizer_test_sources), see there.
  target_compile_options(proctor_compile_options INTERFACE -O1 -g1)
elseif(CMAKE_BUILD_TYPE STREQUAL "Release" OR CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo")
  # dlib's HOG scanner and shape predictor are header code compiled here: -O3 pays off.
  target_compile_options(proctor_compile_options INTERFACE -O3)
endif()
if(PROCTOR_NATIVE)
  target_compile_options(proctor_compile_options INTERFACE -march=native)
elseif(PROCTOR_ARCH AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_compile_options(proctor_compile_options INTERFACE -march=${PROCTOR_ARCH})
endif()
if(PROCTOR_SANITIZE)
  target_compile_options(proctor_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(proctor_compile_options INTERFACE -fsanitize=address,undefined)
endif()

# proctor_uninstrumented_sources(<files...>)
# dlib's DNN is one template type 132 layers deep. Compiled with ASan/UBSan instrumentation and
# debug info, a single such translation unit needs more than 23 GB of compiler memory (measured:
# cc1plus OOM-killed on a 24 GB machine). These files therefore build without instrumentation and
# without debug info in the sanitizer preset; the rest of the program, including every buffer that
# crosses into or out of them, stays instrumented. In other builds this does nothing.
function(proctor_uninstrumented_sources)
  if(PROCTOR_SANITIZE)
    set_source_files_properties(${ARGN} DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
      PROPERTIES COMPILE_OPTIONS "-fno-sanitize=all;-g0;-O3")
  endif()
endfunction()

# proctor_optimised_sources(<files...>)
# The files that instantiate dlib's HOG scanner, shape predictor and correlation tracker: the
# sanitizer build's tests run them over hundreds of frames, so they keep -O3 there too (still
# instrumented). In other builds this does nothing (they get -O3 anyway).
function(proctor_optimised_sources)
  if(PROCTOR_SANITIZE)
    set_property(SOURCE ${ARGN} DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} APPEND
      PROPERTY COMPILE_OPTIONS -O3)
  endif()
endfunction()

# proctor_sanitizer_test_sources()
# Called once at the end of the top-level CMakeLists. In the sanitizer build the tests' own
# translation units (the *_test.cc files, tests/ and the testing/ helpers) compile at -O0: their
# code is assertions and set-up, while what they test is compiled as above. GoogleTest's typed
# and parameterised tests are slow to optimise: server/storage/storage_test.cc alone took 528 s at
# -O3 -g under ASan and 42 s at -O0 -g1 (measured on this machine, idle, the same command).
function(proctor_sanitizer_test_sources)
  if(NOT PROCTOR_SANITIZE)
    return()
  endif()
  set(pending "${CMAKE_SOURCE_DIR}")
  while(pending)
    list(POP_FRONT pending dir)
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    list(APPEND pending ${subdirs})
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "INTERFACE_LIBRARY" OR type STREQUAL "UTILITY")
        continue()
      endif()
      get_target_property(sources ${target} SOURCES)
      foreach(source IN LISTS sources)
        if(source MATCHES "^\\$<" OR NOT source MATCHES "\\.cc$")
          continue()
        endif()
        cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY "${dir}" OUTPUT_VARIABLE path)
        # Matched inside the checkout only (wherever the checkout itself lives).
        file(RELATIVE_PATH relative "${CMAKE_SOURCE_DIR}" "${path}")
        if(relative MATCHES "_test\\.cc$|^tests/|(^|/)testing/")
          set_property(SOURCE "${path}" TARGET_DIRECTORY ${target} APPEND
            PROPERTY COMPILE_OPTIONS -O0)
        endif()
      endforeach()
    endforeach()
  endwhile()
endfunction()
