# Installs the build into a scratch prefix, builds examples/consumer against it with
# find_package(convgen) (and, in a host build, with pkg-config), and runs the results. Invoked by CTest (see tests/CMakeLists.txt).
# In a cross build, TOOLCHAIN_FILE is the build's toolchain and EMULATOR (a ;-list) runs the
# consumer, '|'-separated, e.g. qemu-aarch64-static|-L|/usr/aarch64-linux-gnu.
foreach (var BUILD_DIR SOURCE_DIR WORK_DIR)
    if (NOT DEFINED ${var})
        message(FATAL_ERROR "${var} is required")
    endif ()
endforeach ()
file(REMOVE_RECURSE "${WORK_DIR}")

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    message("${out}")
    if (NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}")
    endif ()
endfunction()

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
set(toolchain "")
if (TOOLCHAIN_FILE)
    # -O2: Debian 12's aarch64 GCC 12 -O3 vectoriser crashes (internal compiler error in
    # vect_transform_reduction) on main.cpp's fmax reduction.
    set(toolchain "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN_FILE}" "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG")
endif ()
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/examples/consumer" -B "${WORK_DIR}/build"
    "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" -DCMAKE_BUILD_TYPE=Release ${toolchain})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
string(REPLACE "|" ";" emulator "${EMULATOR}")
run(${emulator} "${WORK_DIR}/build/consumer")

# The same consumer built with pkg-config instead of CMake (host builds: the .pc names the
# target's library, and pkg-config here would need the cross sysroot's setup).
if (NOT TOOLCHAIN_FILE)
    foreach (var CXX PKG_CONFIG)
        if (NOT ${var})
            message(FATAL_ERROR "${var} is required (pkg-config: apt install pkgconf)")
        endif ()
    endforeach ()
    file(GLOB_RECURSE pc "${WORK_DIR}/prefix/*/convgen.pc")
    if (NOT pc)
        message(FATAL_ERROR "no convgen.pc installed under ${WORK_DIR}/prefix")
    endif ()
    get_filename_component(pc_dir "${pc}" DIRECTORY)
    set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
    run(${PKG_CONFIG} --modversion convgen)
    execute_process(COMMAND ${PKG_CONFIG} --cflags --libs convgen OUTPUT_VARIABLE flags
                    RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
    if (NOT rc EQUAL 0)
        message(FATAL_ERROR "pkg-config --cflags --libs convgen failed")
    endif ()
    separate_arguments(flags UNIX_COMMAND "${flags}")
    run(${CXX} -std=c++17 -O2 "${SOURCE_DIR}/examples/consumer/main.cpp" ${flags}
        -o "${WORK_DIR}/consumer_pkgconfig")
    run("${WORK_DIR}/consumer_pkgconfig")
endif ()
