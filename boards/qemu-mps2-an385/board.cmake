# board.cmake - the QEMU mps2-an385 board's libraries: lwIP and mbedTLS
# compiled from Debian's sources (tools/fetch-source, into .cache/, never
# committed) with this board's lwipopts.h and mbedtls_config.h, and the
# board's own code.  Included by firmware/qemu-mps2-an385/CMakeLists.txt.
set(BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
set(BOARD_THIRD_PARTY_FLAGS -w)     # third-party code keeps its own warnings

function(board_fetch_source pkg outvar)
  execute_process(COMMAND ${PROJECT_SOURCE_DIR}/tools/fetch-source ${pkg}
                  OUTPUT_VARIABLE dir RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR NOT IS_DIRECTORY "${dir}")
    message(FATAL_ERROR "tools/fetch-source ${pkg} failed")
  endif()
  set(${outvar} ${dir} PARENT_SCOPE)
endfunction()

board_fetch_source(lwip BOARD_LWIP_DIR)
board_fetch_source(mbedtls BOARD_MBEDTLS_DIR)

# Board headers every library sees: lwipopts.h, arch/cc.h, board.h.
add_library(board_config INTERFACE)
# (The preset names board_opts.h as IMAPD_USER_OPTS_HEADER for the core.)
target_include_directories(board_config INTERFACE ${BOARD_DIR})

# lwIP: IPv4, TCP, ICMP, ARP, Ethernet (raw API, NO_SYS=1).
set(LWIP_DIR ${BOARD_LWIP_DIR})
include(${LWIP_DIR}/src/Filelists.cmake)
add_library(board_lwip STATIC ${lwipcore_SRCS} ${lwipcore4_SRCS}
            ${LWIP_DIR}/src/netif/ethernet.c)
target_include_directories(board_lwip SYSTEM PUBLIC ${LWIP_DIR}/src/include)
target_link_libraries(board_lwip PUBLIC board_config)
target_compile_options(board_lwip PRIVATE ${BOARD_THIRD_PARTY_FLAGS})

# mbedTLS: the project's build of it (cmake/mbedtls.cmake, target
# imapd_mbedtls, configured by IMAPD_MBEDTLS_CONFIG = this board's
# mbedtls_config.h, set by the preset) when the tree has one; otherwise
# this board compiles it itself and points the core's auth at it.
if(TARGET imapd_mbedtls)
  add_library(board_mbedtls ALIAS imapd_mbedtls)
else()
  file(GLOB BOARD_MBEDTLS_SRC ${BOARD_MBEDTLS_DIR}/library/*.c)
  add_library(board_mbedtls STATIC ${BOARD_MBEDTLS_SRC})
  target_include_directories(board_mbedtls SYSTEM BEFORE PUBLIC
      ${BOARD_MBEDTLS_DIR}/include)
  target_compile_definitions(board_mbedtls PUBLIC
      MBEDTLS_CONFIG_FILE="${BOARD_DIR}/mbedtls_config.h")
  target_compile_options(board_mbedtls PRIVATE ${BOARD_THIRD_PARTY_FLAGS})
  target_include_directories(imap_auth SYSTEM BEFORE PUBLIC
      ${BOARD_MBEDTLS_DIR}/include)
  target_compile_definitions(imap_auth PUBLIC
      MBEDTLS_CONFIG_FILE="${BOARD_DIR}/mbedtls_config.h")
  target_link_libraries(imap_auth PUBLIC board_mbedtls)
endif()

# The board itself: start-up, console, clock, LAN9118, flash, faults.
# board_mbedtls.c goes into the image itself (BOARD_IMAGE_SRC): mbedTLS
# asks for its hooks only after the board's archive was scanned.
file(GLOB BOARD_SRC CONFIGURE_DEPENDS ${BOARD_DIR}/*.c)
list(FILTER BOARD_SRC EXCLUDE REGEX "board_mbedtls\\.c$")
set(BOARD_IMAGE_SRC ${BOARD_DIR}/board_mbedtls.c)
add_library(board_qemu STATIC ${BOARD_SRC})
target_link_libraries(board_qemu PUBLIC board_lwip imap_store)
imapd_target(board_qemu)

set(BOARD_LINKER_SCRIPT ${BOARD_DIR}/mps2_an385.ld)
