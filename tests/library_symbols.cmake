# Checks what the installable libraries export (CTest: library_symbols):
#   - libconvgen.a defines no symbol of the Halide runtime or the kernels globally: every global
#     definition is C++ (convgen's API or a C++ library template instance);
#   - libconvgen.so exports the convgen API only, and its SONAME is libconvgen.so.<SOVERSION>.
#   cmake -DNM=<nm> -DCXXFILT=<c++filt> -DREADELF=<readelf> -DSTATIC=<libconvgen.a>
#         [-DSHARED=<libconvgen.so> -DSOVERSION=<major.minor>] -P library_symbols.cmake
foreach (var NM STATIC)
    if (NOT ${var})
        message(FATAL_ERROR "${var} is required")
    endif ()
endforeach ()

include(${CMAKE_CURRENT_LIST_DIR}/../cmake/ConvgenNm.cmake)

set(bad "")
convgen_defined_symbols(symbols ${NM} -g --defined-only "${STATIC}")
list(LENGTH symbols n_static)
foreach (sym IN LISTS symbols)
    # C++ names (_Z...) other than Halide's runtime namespace, and the C++ personality reference.
    if (NOT (sym MATCHES "^_Z" OR sym STREQUAL "DW.ref.__gxx_personality_v0") OR sym MATCHES "^_Z[A-Z]*N6Halide")
        list(APPEND bad "${STATIC}: ${sym}")
    endif ()
endforeach ()

if (SHARED)
    convgen_defined_symbols(symbols ${NM} -D --defined-only "${SHARED}")
    list(LENGTH symbols n_shared)
    foreach (sym IN LISTS symbols)
        execute_process(COMMAND ${CXXFILT} "${sym}" OUTPUT_VARIABLE name OUTPUT_STRIP_TRAILING_WHITESPACE)
        if (NOT name MATCHES "^((typeinfo|typeinfo name|vtable) for )?convgen::")
            list(APPEND bad "${SHARED}: ${sym} (${name})")
        endif ()
    endforeach ()
    message(STATUS "${SHARED}: ${n_shared} exported symbols")
    execute_process(COMMAND ${READELF} -d "${SHARED}" OUTPUT_VARIABLE dynamic)
    if (NOT dynamic MATCHES "Library soname: \\[libconvgen\\.so\\.${SOVERSION}\\]")
        list(APPEND bad "${SHARED}: SONAME is not libconvgen.so.${SOVERSION}")
    endif ()
endif ()
message(STATUS "${STATIC}: ${n_static} global definitions")
if (bad)
    list(LENGTH bad n)
    list(SUBLIST bad 0 20 shown)
    list(JOIN shown "\n  " shown)
    message(FATAL_ERROR "${n} problems (symbols that should be private exported, or the SONAME):\n  ${shown}")
endif ()
