# Turns the variant manifest (kernels.json) into Halide libraries and the runtime's dispatch table.
#
#   convgen_add_variants(MANIFEST <json> GENERATOR <generator target> RUNTIME <halide runtime>
#                        OUT_LIBRARIES <var> OUT_INCLUDE_DIR <var>)
#
# For each variant and ISA target: add_halide_library(convgen_k_<name>_<isa>) from generator
# convgen_<op> with the variant's fixed parameters and knobs, all sharing one Halide runtime.
# The ISA dispatch lives in the runtime rather than in Halide's multi-target wrapper, because
# that wrapper fixes its choice at the first call: convgen must be able to report the ISA it
# runs and let tests force each level, per operator.
# Two tables go to <binary dir>/generated/, in manifest order:
#   convgen_variants.inc  CONVGEN_VARIANT(op, name, kernel, stride, dilation, multiplier, "schedule")
#   convgen_kernels.inc   CONVGEN_KERNEL(op, name, isa), whose entry point is convgen_<name>_<isa>

set(_convgen_variant_keys kernel stride dilation multiplier)

function(convgen_manifest_targets MANIFEST OUT_TARGETS OUT_ISAS)
    file(READ "${MANIFEST}" json)
    string(JSON n LENGTH "${json}" isa_targets)
    math(EXPR last "${n} - 1")
    set(targets "")
    set(isas "")
    foreach (i RANGE ${last})
        string(JSON t GET "${json}" isa_targets ${i} halide)
        string(JSON isa GET "${json}" isa_targets ${i} isa)
        list(APPEND targets "${t}")
        list(APPEND isas "${isa}")
    endforeach ()
    set(${OUT_TARGETS} "${targets}" PARENT_SCOPE)
    set(${OUT_ISAS} "${isas}" PARENT_SCOPE)
endfunction()

function(convgen_add_variants)
    cmake_parse_arguments(ARG "" "MANIFEST;GENERATOR;RUNTIME;OUT_LIBRARIES;OUT_INCLUDE_DIR" "" ${ARGN})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${ARG_MANIFEST}")
    file(READ "${ARG_MANIFEST}" json)
    convgen_manifest_targets("${ARG_MANIFEST}" targets isas)

    set(table "// Generated from kernels.json by cmake/ConvgenVariants.cmake. Do not edit.\n")
    set(kernels "${table}")
    set(libs "")
    string(JSON n LENGTH "${json}" variants)
    math(EXPR last "${n} - 1")
    foreach (i RANGE ${last})
        string(JSON name GET "${json}" variants ${i} name)
        string(JSON op GET "${json}" variants ${i} op)
        string(JSON schedule GET "${json}" variants ${i} schedule)
        string(JSON knobs ERROR_VARIABLE no_knobs GET "${json}" variants ${i} knobs)
        if (no_knobs)
            set(knobs "")
        endif ()
        set(params "")
        set(fixed "")
        foreach (key IN LISTS _convgen_variant_keys)
            string(JSON value ERROR_VARIABLE missing GET "${json}" variants ${i} ${key})
            if (missing)
                set(value 0)
            else ()
                list(APPEND params "${key}=${value}")
            endif ()
            string(APPEND fixed ", ${value}")
        endforeach ()
        if (knobs)
            list(APPEND params "knobs=${knobs}")
        endif ()
        foreach (t isa IN ZIP_LISTS targets isas)
            add_halide_library(convgen_k_${name}_${isa} FROM ${ARG_GENERATOR}
                               GENERATOR convgen_${op}
                               FUNCTION_NAME convgen_${name}_${isa}
                               TARGETS ${t}
                               USE_RUNTIME ${ARG_RUNTIME}
                               PARAMS ${params})
            list(APPEND libs convgen_k_${name}_${isa})
            string(APPEND kernels "CONVGEN_KERNEL(${op}, ${name}, ${isa})\n")
        endforeach ()
        string(APPEND table "CONVGEN_VARIANT(${op}, ${name}${fixed}, \"${schedule}\")\n")
    endforeach ()

    set(dir "${CMAKE_BINARY_DIR}/generated")
    file(CONFIGURE OUTPUT "${dir}/convgen_variants.inc" CONTENT "${table}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_kernels.inc" CONTENT "${kernels}" @ONLY)
    set(${ARG_OUT_LIBRARIES} "${libs}" PARENT_SCOPE)
    set(${ARG_OUT_INCLUDE_DIR} "${dir}" PARENT_SCOPE)
endfunction()
