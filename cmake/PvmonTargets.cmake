# Warning and sanitizer flags live in INTERFACE targets that every pvmon target links.
add_library(pvmon_warnings INTERFACE)
add_library(pvmon::warnings ALIAS pvmon_warnings)
target_compile_options(pvmon_warnings INTERFACE -Wall -Wextra -Wpedantic)
target_compile_features(pvmon_warnings INTERFACE cxx_std_20)

add_library(pvmon_sanitize INTERFACE)
add_library(pvmon::sanitize ALIAS pvmon_sanitize)
if(PVMON_FUZZ)
  # Coverage for libFuzzer in every pvmon target; the fuzz executables add the fuzzer runtime.
  target_compile_options(pvmon_sanitize INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fconstexpr-steps=100000000)  # clang: the generated CTCAE table is one large constexpr
  target_link_options(pvmon_sanitize INTERFACE -fsanitize=address,undefined)
endif()
if(PVMON_SANITIZE)
  target_compile_options(pvmon_sanitize INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(pvmon_sanitize INTERFACE -fsanitize=address,undefined)
endif()

# pvmon_add_library(NAME SOURCES... [DEPS ...] [PRIVATE_DEPS ...])
# One library per module: pvmon_<name> with alias pvmon::<name>, public headers in include/.
function(pvmon_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(pvmon_${name} STATIC ${ARG_SOURCES})
  add_library(pvmon::${name} ALIAS pvmon_${name})
  target_include_directories(pvmon_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(pvmon_${name} PUBLIC ${ARG_DEPS} pvmon::warnings pvmon::sanitize
                        PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# pvmon_add_test(NAME SOURCES... DEPS ... [NO_TEST]): a doctest executable registered with ctest
# (unless NO_TEST: the caller registers it).
function(pvmon_add_test name)
  cmake_parse_arguments(ARG "NO_TEST" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} pvmon::test_main pvmon::warnings
                        pvmon::sanitize)
  if(NOT ARG_NO_TEST)
    add_test(NAME ${name} COMMAND ${name})
  endif()
  # Tests are compiled for CI time, not speed: no debug info in the optimised build (half the
  # build of a clean checkout is test code), line tables only in the sanitizer build (enough for
  # its stack traces).
  target_compile_options(${name} PRIVATE $<$<CONFIG:RelWithDebInfo>:-O1 -g0> $<$<CONFIG:Debug>:-g1>)
endfunction()
