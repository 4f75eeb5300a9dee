# convgen_defined_symbols(<out var> <nm> <nm arguments>...): the symbol names `nm` lists (its
# "<address> <type> <name>" lines), for cmake/privatize_halide.cmake and
# tests/library_symbols.cmake.
function(convgen_defined_symbols out nm)
    execute_process(COMMAND ${nm} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err)
    if (NOT rc EQUAL 0)
        message(FATAL_ERROR "${nm} ${ARGN} failed (${rc}): ${err}")
    endif ()
    string(REPLACE "\n" ";" lines "${text}")
    set(symbols "")
    foreach (line IN LISTS lines)
        if (line MATCHES "^[0-9a-fA-F]* *[A-Za-z] (.+)$")
            list(APPEND symbols "${CMAKE_MATCH_1}")
        endif ()
    endforeach ()
    set(${out} "${symbols}" PARENT_SCOPE)
endfunction()
