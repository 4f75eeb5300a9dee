# Turns the variant manifest (kernels.json) into Halide libraries and the runtime's dispatch table.
#
#   convgen_add_variants(MANIFEST <json> GENERATOR <generator target> RUNTIME <halide runtime>
#                        OUT_LIBRARIES <var> OUT_INCLUDE_DIR <var>)
#
# For each variant and each ISA target of the architecture being built for (isa_targets.x86_64
# or isa_targets.aarch64): add_halide_library(convgen_k_<name>_<isa>) from generator
# convgen_<op> with the variant's fixed parameters and knobs, all sharing one Halide runtime.
# The ISA dispatch lives in the runtime rather than in Halide's multi-target wrapper, because
# that wrapper fixes its choice at the first call: convgen must be able to report the ISA it
# runs and let tests force each level, per operator.
# Two tables go to <binary dir>/generated/, in manifest order:
#   convgen_variants.inc  CONVGEN_VARIANT(op, name, kernel, stride, dilation, multiplier, "schedule")
#   convgen_kernels.inc   CONVGEN_KERNEL(op, name, isa), whose entry point is convgen_<name>_<isa>

set(_convgen_variant_keys kernel stride dilation multiplier)

# The manifest's name for the architecture being built for: "x86_64" or "aarch64".
function(convgen_manifest_arch OUT_ARCH)
    string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" proc)
    if (proc MATCHES "^(x86_64|amd64)$")
        set(arch x86_64)
    elseif (proc MATCHES "^(aarch64|arm64)$")
        set(arch aarch64)
    else ()
        message(FATAL_ERROR "convgen has no kernels for CMAKE_SYSTEM_PROCESSOR '${CMAKE_SYSTEM_PROCESSOR}'")
    endif ()
    set(${OUT_ARCH} ${arch} PARENT_SCOPE)
endfunction()

# The Halide targets and ISA names of isa_targets.<architecture being built for>.
function(convgen_manifest_targets MANIFEST OUT_TARGETS OUT_ISAS)
    file(READ "${MANIFEST}" json)
    convgen_manifest_arch(arch)
    string(JSON n ERROR_VARIABLE missing LENGTH "${json}" isa_targets ${arch})
    if (missing)
        message(FATAL_ERROR "${MANIFEST} lists no isa_targets for ${arch}")
    endif ()
    math(EXPR last "${n} - 1")
    set(targets "")
    set(isas "")
    foreach (i RANGE ${last})
        string(JSON t GET "${json}" isa_targets ${arch} ${i} halide)
        string(JSON isa GET "${json}" isa_targets ${arch} ${i} isa)
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
