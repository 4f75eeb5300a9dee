# Installs convgen as a static library (libconvgen.a) and, with CONVGEN_BUILD_SHARED, a shared
# one (libconvgen.so, SONAME libconvgen.so.<major>.<minor>), its public headers (with the
# generated convgen/version.h), a CMake package, pkg-config files and the licence, so that
# users write find_package(convgen) and link convgen::convgen (or convgen::convgen_shared), or
# use `pkg-config --cflags --libs convgen` (shared) / `convgen-static`. Users need neither
# Halide nor the build tree.
#
# Both libraries are made from one relocatable object holding the runtime wrapper, every
# kernel and the Halide runtime, whose symbols are renamed and local
# (cmake/privatize_halide.cmake): an application may link another Halide-generated library.
# The shared library exports only the convgen API (cmake/convgen.map).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

option(CONVGEN_BUILD_SHARED "Also build and install libconvgen.so" ON)

set(_private_dir "${CMAKE_BINARY_DIR}/private")
set(_merged "${_private_dir}/convgen_merged.o")
set(_private_libs ${CONVGEN_KERNEL_LIBS} convgen.halide_runtime)
set(_private_list "")
foreach (lib IN LISTS _private_libs)
    string(APPEND _private_list "$<TARGET_FILE:${lib}>\n")
endforeach ()
file(GENERATE OUTPUT "${_private_dir}/private_libs.txt" CONTENT "${_private_list}")
file(GENERATE OUTPUT "${_private_dir}/wrapper_libs.txt" CONTENT "$<TARGET_FILE:convgen>\n")
add_custom_command(OUTPUT "${_merged}"
                   COMMAND ${CMAKE_COMMAND} "-DCXX=${CMAKE_CXX_COMPILER}" "-DNM=${CMAKE_NM}"
                           "-DOBJCOPY=${CMAKE_OBJCOPY}" "-DOUTPUT=${_merged}"
                           "-DWRAPPER_LIBS=${_private_dir}/wrapper_libs.txt"
                           "-DPRIVATE_LIBS=${_private_dir}/private_libs.txt"
                           -P "${PROJECT_SOURCE_DIR}/cmake/privatize_halide.cmake"
                   DEPENDS convgen ${_private_libs} "${PROJECT_SOURCE_DIR}/cmake/privatize_halide.cmake"
                           "${PROJECT_SOURCE_DIR}/cmake/ConvgenNm.cmake"
                           "${_private_dir}/private_libs.txt" "${_private_dir}/wrapper_libs.txt"
                   COMMENT "Linking convgen, its kernels and a private Halide runtime into one object"
                   VERBATIM)

# The installed libraries, usable in this build tree too (tests/: the symbol and coexistence
# tests link them as an application would).
set(_interface_includes ${PROJECT_SOURCE_DIR}/runtime/include ${CMAKE_BINARY_DIR}/runtime/include)
add_library(convgen_static STATIC "${_merged}")
set(_installed convgen_static)
if (CONVGEN_BUILD_SHARED)
    add_library(convgen_shared SHARED "${_merged}")
    set_target_properties(convgen_shared PROPERTIES
                          VERSION ${PROJECT_VERSION}
                          SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
                          LINK_DEPENDS "${PROJECT_SOURCE_DIR}/cmake/convgen.map")
    target_link_options(convgen_shared PRIVATE
                        "-Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/convgen.map"
                        -Wl,--no-undefined)
    target_link_libraries(convgen_shared PRIVATE Threads::Threads ${CMAKE_DL_LIBS})
    list(APPEND _installed convgen_shared)
endif ()
foreach (lib IN LISTS _installed)
    set_target_properties(${lib} PROPERTIES OUTPUT_NAME convgen LINKER_LANGUAGE CXX
                          ARCHIVE_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bundle"
                          LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bundle")
    target_include_directories(${lib} INTERFACE ${_interface_includes})
endforeach ()
target_link_libraries(convgen_static INTERFACE Threads::Threads ${CMAKE_DL_LIBS})

install(TARGETS ${_installed}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY runtime/include/convgen DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${CONVGEN_VERSION_HEADER}" "${CONVGEN_ISA_LIST_HEADER}"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/convgen)
install(FILES LICENSE README.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

file(RELATIVE_PATH CONVGEN_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" CONVGEN_PC_TO_PREFIX "${CONVGEN_PC_TO_PREFIX}")
configure_file(cmake/convgen.pc.in "${CMAKE_BINARY_DIR}/convgen.pc" @ONLY)
configure_file(cmake/convgen-static.pc.in "${CMAKE_BINARY_DIR}/convgen-static.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/convgen.pc" "${CMAKE_BINARY_DIR}/convgen-static.pc"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
set(CONVGEN_SHARED_FILE "libconvgen.so.${PROJECT_VERSION}")
set(CONVGEN_SHARED_SONAME "libconvgen.so.${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
configure_package_config_file(cmake/convgenConfig.cmake.in
                              "${CMAKE_BINARY_DIR}/convgenConfig.cmake"
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/convgen)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/convgenConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/convgenConfig.cmake"
              "${CMAKE_BINARY_DIR}/convgenConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/convgen)
