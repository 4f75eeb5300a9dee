# Makes the Halide runtime and the generated kernels private to convgen (run by
# cmake/ConvgenInstall.cmake at build time):
#   1. links the runtime wrapper, every kernel and the Halide runtime into one relocatable
#      object (`c++ -r`), so that all their references are resolved inside it;
#   2. renames every symbol the kernels and the runtime define to convgen_private_<name> and
#      makes it local.
# An application that links convgen and another Halide-generated library (with its own
# runtime) then sees no duplicate halide_* symbol, and neither library's runtime state
# (error handler, malloc, thread pool) is the other's. Renaming as well as localising matters
# for the runtime's COMDAT groups: their signatures must not match the other runtime's.
#
#   cmake -DCXX=<c++> -DNM=<nm> -DOBJCOPY=<objcopy> -DWRAPPER_LIBS=<file> -DPRIVATE_LIBS=<file>
#         -DOUTPUT=<object> -P privatize_halide.cmake
# WRAPPER_LIBS and PRIVATE_LIBS are files listing archives, one per line.
foreach (var CXX NM OBJCOPY WRAPPER_LIBS PRIVATE_LIBS OUTPUT)
    if (NOT ${var})
        message(FATAL_ERROR "${var} is required")
    endif ()
endforeach ()

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if (NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
    endif ()
    set(run_output "${out}" PARENT_SCOPE)
endfunction()

file(STRINGS "${WRAPPER_LIBS}" wrapper_libs)
file(STRINGS "${PRIVATE_LIBS}" private_libs)

# The symbols the kernels and the Halide runtime define (global or weak).
include(${CMAKE_CURRENT_LIST_DIR}/ConvgenNm.cmake)
convgen_defined_symbols(symbols ${NM} -g --defined-only ${private_libs})
list(REMOVE_DUPLICATES symbols)
list(LENGTH symbols count)
if (count EQUAL 0)
    message(FATAL_ERROR "no symbols found in ${PRIVATE_LIBS}")
endif ()
list(TRANSFORM symbols PREPEND "convgen_private_" OUTPUT_VARIABLE private_names)
set(renames "")
foreach (sym private IN ZIP_LISTS symbols private_names)
    string(APPEND renames "${sym} ${private}\n")
endforeach ()
list(JOIN private_names "\n" locals)
get_filename_component(dir "${OUTPUT}" DIRECTORY)
file(WRITE "${dir}/private_renames.txt" "${renames}")
file(WRITE "${dir}/private_locals.txt" "${locals}\n")

run(${CXX} -r -nostdlib -o "${OUTPUT}.merged" -Wl,--whole-archive ${wrapper_libs} ${private_libs}
    -Wl,--no-whole-archive)
run(${OBJCOPY} "--redefine-syms=${dir}/private_renames.txt" "${OUTPUT}.merged" "${OUTPUT}.renamed")
run(${OBJCOPY} "--localize-symbols=${dir}/private_locals.txt" "${OUTPUT}.renamed" "${OUTPUT}")
file(REMOVE "${OUTPUT}.merged" "${OUTPUT}.renamed")
message(STATUS "convgen: ${count} Halide runtime and kernel symbols made private in ${OUTPUT}")
