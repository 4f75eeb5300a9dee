# Installs convgen as one static library (the runtime wrapper, every kernel and the shared
# Halide runtime merged into libconvgen.a), its public headers and a CMake package, so that
# users write find_package(convgen) and link convgen::convgen. Users need neither Halide nor
# the build tree.
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
configure_package_config_file(cmake/convgenConfig.cmake.in
                              "${CMAKE_BINARY_DIR}/convgenConfig.cmake"
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/convgen)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/convgenConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/convgenConfig.cmake"
              "${CMAKE_BINARY_DIR}/convgenConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/convgen)
