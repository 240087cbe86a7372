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
endif()
if(PROCTOR_SANITIZE)
  target_compile_options(proctor_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(proctor_compile_options INTERFACE -fsanitize=address,undefined)
endif()
