# Cross-compiling for Windows 10/11 x64 on Debian 12 with MinGW-w64 (the POSIX-threads variant:
# std::thread and std::mutex need it). Used by scripts/build-windows.sh for the libraries it builds
# from Debian's source packages, and by the `windows` preset for proctor itself.
#
# PROCTOR_WINDOWS_PREFIX is where those libraries are installed; default: the prefix of the last
# scripts/build-windows.sh run (${XDG_CACHE_HOME:-~/.cache}/proctor-windows/current/prefix).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_SYSTEM_VERSION 10.0)

set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_AR x86_64-w64-mingw32-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB x86_64-w64-mingw32-gcc-ranlib-posix CACHE FILEPATH "")

if(NOT PROCTOR_WINDOWS_PREFIX)
  if(DEFINED ENV{PROCTOR_WINDOWS_PREFIX})
    set(PROCTOR_WINDOWS_PREFIX "$ENV{PROCTOR_WINDOWS_PREFIX}")
  elseif(DEFINED ENV{XDG_CACHE_HOME})
    set(PROCTOR_WINDOWS_PREFIX "$ENV{XDG_CACHE_HOME}/proctor-windows/current/prefix")
  else()
    set(PROCTOR_WINDOWS_PREFIX "$ENV{HOME}/.cache/proctor-windows/current/prefix")
  endif()
endif()
set(PROCTOR_WINDOWS_PREFIX "${PROCTOR_WINDOWS_PREFIX}" CACHE PATH
    "Where scripts/build-windows.sh installed the Windows libraries")
# try_compile projects see the same prefix.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PROCTOR_WINDOWS_PREFIX)

set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 "${PROCTOR_WINDOWS_PREFIX}")
set(CMAKE_PREFIX_PATH "${PROCTOR_WINDOWS_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # protoc, grpc_cpp_plugin, msgfmt: the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Everything links statically, the C++ runtime and winpthreads too: proctor-client.exe needs no
# DLL beyond Windows' own.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
# Windows 10 APIs (SetFileInformationByHandle, SHGetKnownFolderPath, Media Foundation).
set(CMAKE_C_FLAGS_INIT "-D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00")
set(CMAKE_CXX_FLAGS_INIT "-D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00")

# Tests run under Wine through ctest.
find_program(PROCTOR_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(PROCTOR_WINE AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${PROCTOR_WINE}")
endif()
