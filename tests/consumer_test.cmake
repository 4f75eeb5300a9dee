# Installs the build into a scratch prefix, builds examples/consumer against it with
# find_package(convgen), and runs the result. Invoked by CTest (see tests/CMakeLists.txt).
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
