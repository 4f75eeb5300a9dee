# Installs the build into a scratch prefix, builds examples/consumer against it with
# find_package(convgen) (and, in a host build, with pkg-config), and runs the results. Invoked by CTest (see tests/CMakeLists.txt).
# SHARED is true when the build made libconvgen.so.
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
if (EXISTS "${WORK_DIR}/build/consumer_shared")
    run(${emulator} "${WORK_DIR}/build/consumer_shared")
elseif (SHARED)
    message(FATAL_ERROR "the build has libconvgen.so but find_package gave no convgen::convgen_shared")
endif ()

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
    # convgen-static links libconvgen.a; convgen the shared library where there is one (found
    # at run time through the rpath given here, as an application's build would).
    set(packages convgen-static)
    if (SHARED)
        list(APPEND packages convgen)
    endif ()
    foreach (package IN LISTS packages)
        execute_process(COMMAND ${PKG_CONFIG} --cflags --libs ${package} OUTPUT_VARIABLE flags
                        RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
        execute_process(COMMAND ${PKG_CONFIG} --variable=libdir ${package} OUTPUT_VARIABLE libdir
                        OUTPUT_STRIP_TRAILING_WHITESPACE)
        if (NOT rc EQUAL 0)
            message(FATAL_ERROR "pkg-config --cflags --libs ${package} failed")
        endif ()
        separate_arguments(flags UNIX_COMMAND "${flags}")
        run(${CXX} -std=c++17 -O2 "${SOURCE_DIR}/examples/consumer/main.cpp" ${flags}
            "-Wl,-rpath,${libdir}" -o "${WORK_DIR}/consumer_${package}")
        run("${WORK_DIR}/consumer_${package}")
    endforeach ()
endif ()
