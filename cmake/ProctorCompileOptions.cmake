# Warnings, optimisation and sanitizers shared by every proctor target.
add_library(proctor_compile_options INTERFACE)
add_library(proctor::compile_options ALIAS proctor_compile_options)
target_compile_options(proctor_compile_options INTERFACE -Wall -Wextra)
if(CMAKE_BUILD_TYPE STREQUAL "Release" OR CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo")
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
      PROPERTIES COMPILE_OPTIONS "-fno-sanitize=all;-g0")
  endif()
endfunction()
