# lwIP from Debian's source package, compiled with the project's lwipopts.h.
#
# tools/fetch-source puts the source in .cache/src/ (outside git) and prints
# its path.  lwip_variant(NAME OPTS_DIR [DEFINES...]) builds one static
# library lwip_NAME from src/core, src/core/ipv4, src/api and the Ethernet
# netif with OPTS_DIR's lwipopts.h and arch/ headers, plus the OPTS_DIR's
# sys_arch.c.  lwIP keeps its own flags (no -Werror); the project's code that
# links it gets imapd_target() as usual.
if(NOT LWIP_DIR)
  execute_process(COMMAND ${CMAKE_SOURCE_DIR}/tools/fetch-source lwip
                  OUTPUT_VARIABLE _lwip_dir OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _lwip_rc)
  if(NOT _lwip_rc EQUAL 0 OR NOT EXISTS "${_lwip_dir}/src/include/lwip/opt.h")
    message(FATAL_ERROR "lwIP source not available (tools/fetch-source lwip: "
                        "${_lwip_rc}); run tools/setup first")
  endif()
  set(LWIP_DIR "${_lwip_dir}" CACHE PATH "lwIP source tree (tools/fetch-source lwip)")
endif()
message(STATUS "lwIP source: ${LWIP_DIR}")

file(GLOB _lwip_core ${LWIP_DIR}/src/core/*.c)
file(GLOB _lwip_ipv4 ${LWIP_DIR}/src/core/ipv4/*.c)
file(GLOB _lwip_api ${LWIP_DIR}/src/api/*.c)
set(LWIP_SOURCES ${_lwip_core} ${_lwip_ipv4} ${_lwip_api}
    ${LWIP_DIR}/src/netif/ethernet.c)

function(lwip_variant name opts_dir)
  add_library(lwip_${name} STATIC ${LWIP_SOURCES} ${opts_dir}/sys_arch.c)
  target_include_directories(lwip_${name} SYSTEM PUBLIC
      ${opts_dir} ${LWIP_DIR}/src/include)
  # The host headers lwIP includes (pthread, time, ssize_t) want POSIX.
  target_compile_definitions(lwip_${name} PUBLIC _GNU_SOURCE ${ARGN})
  # Third-party code: the compiler's default warnings, never -Werror.
  find_package(Threads REQUIRED)
  target_link_libraries(lwip_${name} PUBLIC Threads::Threads)
endfunction()
