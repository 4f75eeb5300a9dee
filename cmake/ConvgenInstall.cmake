# Installs convgen as one static library (the runtime wrapper, every kernel and the shared
# Halide runtime merged into libconvgen.a), its public headers (with the generated
# convgen/version.h), a CMake package, a pkg-config file and the licence, so that users write
# find_package(convgen) and link convgen::convgen, or use `pkg-config --cflags --libs convgen`.
# Users need neither Halide nor the build tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_bundle_dir "${CMAKE_BINARY_DIR}/bundle")
set(_bundle "${_bundle_dir}/libconvgen.a")
set(_libs convgen ${CONVGEN_KERNEL_LIBS} convgen.halide_runtime)
set(_mri "create ${_bundle}\n")
foreach (lib IN LISTS _libs)
    string(APPEND _mri "addlib $<TARGET_FILE:${lib}>\n")
endforeach ()
string(APPEND _mri "save\nend\n")
file(GENERATE OUTPUT "${_bundle_dir}/bundle.mri" CONTENT "${_mri}")

add_custom_command(OUTPUT "${_bundle}"
                   COMMAND ${CMAKE_COMMAND} -E rm -f "${_bundle}"
                   COMMAND sh -c "'${CMAKE_AR}' -M < '${_bundle_dir}/bundle.mri'"
                   DEPENDS ${_libs} "${_bundle_dir}/bundle.mri"
                   COMMENT "Merging convgen, its kernels and the Halide runtime into libconvgen.a"
                   VERBATIM)
add_custom_target(convgen_bundle ALL DEPENDS "${_bundle}")

install(FILES "${_bundle}" DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY runtime/include/convgen DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${CONVGEN_VERSION_HEADER}" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/convgen)
install(FILES LICENSE README.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

file(RELATIVE_PATH CONVGEN_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" CONVGEN_PC_TO_PREFIX "${CONVGEN_PC_TO_PREFIX}")
configure_file(cmake/convgen.pc.in "${CMAKE_BINARY_DIR}/convgen.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/convgen.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_package_config_file(cmake/convgenConfig.cmake.in
                              "${CMAKE_BINARY_DIR}/convgenConfig.cmake"
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/convgen)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/convgenConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/convgenConfig.cmake"
              "${CMAKE_BINARY_DIR}/convgenConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/convgen)
