# mbedTLS compiled from Debian's source package with the project's own
# configuration header, for the host and for cross builds alike.
#
# The source comes from tools/fetch-source (Debian's `mbedtls` source
# package unpacked into .cache/src/, never committed).  Its record sizes and
# features are compile-time choices: IMAPD_MBEDTLS_CONFIG names the config
# header, which reads the record sizes from imap_opts.h (and so from the
# board's IMAPD_USER_OPTS_HEADER).  Third-party code keeps its own warnings:
# no -Werror here.
#
# Result: the static library target `imapd_mbedtls` (crypto, X.509, TLS).

set(IMAPD_MBEDTLS_SOURCE "" CACHE PATH
    "Unpacked mbedTLS source (default: tools/fetch-source mbedtls)")
set(IMAPD_MBEDTLS_CONFIG "${CMAKE_SOURCE_DIR}/boards/host/mbedtls_config.h"
    CACHE FILEPATH "The project's mbedTLS configuration header")

if(NOT IMAPD_MBEDTLS_SOURCE)
  execute_process(
    COMMAND ${CMAKE_SOURCE_DIR}/tools/fetch-source mbedtls
    OUTPUT_VARIABLE _mbedtls_dir
    RESULT_VARIABLE _mbedtls_rc
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _mbedtls_rc EQUAL 0 OR NOT EXISTS "${_mbedtls_dir}/library/ssl_tls.c")
    message(FATAL_ERROR "mbedTLS source not available: run "
                        "tools/fetch-source mbedtls (needs deb-src access)")
  endif()
  set(IMAPD_MBEDTLS_SOURCE "${_mbedtls_dir}" CACHE PATH
      "Unpacked mbedTLS source (default: tools/fetch-source mbedtls)" FORCE)
endif()
message(STATUS "mbedTLS: ${IMAPD_MBEDTLS_SOURCE} with ${IMAPD_MBEDTLS_CONFIG}")

file(GLOB _mbedtls_src ${IMAPD_MBEDTLS_SOURCE}/library/*.c)
add_library(imapd_mbedtls STATIC ${_mbedtls_src})
target_include_directories(imapd_mbedtls SYSTEM PUBLIC
    ${IMAPD_MBEDTLS_SOURCE}/include)
target_include_directories(imapd_mbedtls PRIVATE
    ${IMAPD_MBEDTLS_SOURCE}/library)
# The config header includes imap_opts.h for the record sizes.
target_include_directories(imapd_mbedtls PUBLIC ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(imapd_mbedtls PUBLIC
    MBEDTLS_CONFIG_FILE="${IMAPD_MBEDTLS_CONFIG}")
if(IMAPD_USER_OPTS_HEADER)
  target_compile_definitions(imapd_mbedtls PUBLIC
      IMAP_USER_OPTS_HEADER="${IMAPD_USER_OPTS_HEADER}")
endif()
target_compile_options(imapd_mbedtls PRIVATE -w)
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  # ASan builds: the handshake's bignum code is slow unoptimised.
  target_compile_options(imapd_mbedtls PRIVATE -O1)
endif()
