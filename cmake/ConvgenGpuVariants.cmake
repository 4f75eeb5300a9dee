# GPU kernels from the variant manifest (kernels.json): gpu_targets x gpu_variants.
#
#   convgen_add_gpu_variants(MANIFEST <json> GENERATOR <generator target> RUNTIME <halide runtime>
#                            OUT_LIBRARIES <var> OUT_BACKENDS <var> OUT_INCLUDE_DIR <var>)
#
# Only on x86-64 hosts (CMAKE_SYSTEM_PROCESSOR x86_64): an aarch64 cross build gets no GPU
# libraries and an empty table. No GPU, driver or CUDA toolkit is needed to build: Halide emits
# PTX (CUDA) or OpenCL C source into the objects, and the driver compiles it at the first call.
# For each backend in gpu_targets (cuda, opencl), each of its targets and each name in
# gpu_variants.names: add_halide_library(convgen_gk_<name>_<isa>) from generator convgen_<op>
# with the CPU entry's fixed parameters (kernel, stride, ...) and gpu_variants.knobs.<name>,
# sharing the one Halide runtime (add_halide_library adds the GPU features to it). Writes
#   <binary dir>/generated/convgen_gpu_kernels.inc
#     CONVGEN_GPU_KERNEL(op, name, backend, isa), entry point convgen_gpu_<name>_<isa>
# Separate from ConvgenVariants.cmake so the CPU manifest format can evolve independently.

set(_convgen_gpu_variant_keys kernel stride dilation multiplier)

function(convgen_add_gpu_variants)
    cmake_parse_arguments(ARG "" "MANIFEST;GENERATOR;RUNTIME;OUT_LIBRARIES;OUT_BACKENDS;OUT_INCLUDE_DIR" "" ${ARGN})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${ARG_MANIFEST}")
    file(READ "${ARG_MANIFEST}" json)
    set(table "// Generated from kernels.json by cmake/ConvgenGpuVariants.cmake. Do not edit.\n")
    set(libs "")
    set(backends "")
    set(dir "${CMAKE_BINARY_DIR}/generated")

    string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" proc)
    option(CONVGEN_GPU "Build the GPU (CUDA, OpenCL) kernels on x86-64" ON)
    if (NOT CONVGEN_GPU OR NOT proc MATCHES "^(x86_64|amd64)$")
        file(CONFIGURE OUTPUT "${dir}/convgen_gpu_kernels.inc" CONTENT "${table}" @ONLY)
        set(${ARG_OUT_LIBRARIES} "" PARENT_SCOPE)
        set(${ARG_OUT_BACKENDS} "" PARENT_SCOPE)
        set(${ARG_OUT_INCLUDE_DIR} "${dir}" PARENT_SCOPE)
        return()
    endif ()

    # name -> index in variants
    string(JSON nv LENGTH "${json}" variants)
    math(EXPR last_v "${nv} - 1")
    string(JSON nn LENGTH "${json}" gpu_variants names)
    math(EXPR last_n "${nn} - 1")
    string(JSON nb LENGTH "${json}" gpu_targets)
    math(EXPR last_b "${nb} - 1")
    foreach (bi RANGE ${last_b})
        string(JSON backend MEMBER "${json}" gpu_targets ${bi})
        if (backend MATCHES "^_")
            continue()
        endif ()
        list(APPEND backends ${backend})
        string(JSON nt LENGTH "${json}" gpu_targets ${backend})
        math(EXPR last_t "${nt} - 1")
        foreach (ni RANGE ${last_n})
            string(JSON name GET "${json}" gpu_variants names ${ni})
            set(found -1)
            foreach (vi RANGE ${last_v})
                string(JSON vname GET "${json}" variants ${vi} name)
                if (vname STREQUAL name)
                    set(found ${vi})
                    break()
                endif ()
            endforeach ()
            if (found LESS 0)
                message(FATAL_ERROR "${ARG_MANIFEST}: gpu_variants names '${name}', which is not in variants")
            endif ()
            string(JSON op GET "${json}" variants ${found} op)
            set(params "")
            foreach (key IN LISTS _convgen_gpu_variant_keys)
                string(JSON value ERROR_VARIABLE missing GET "${json}" variants ${found} ${key})
                if (NOT missing)
                    list(APPEND params "${key}=${value}")
                endif ()
            endforeach ()
            string(JSON knobs ERROR_VARIABLE no_knobs GET "${json}" gpu_variants knobs ${name})
            if (NOT no_knobs AND knobs)
                list(APPEND params "knobs=${knobs}")
            endif ()
            foreach (ti RANGE ${last_t})
                string(JSON t GET "${json}" gpu_targets ${backend} ${ti} halide)
                string(JSON isa GET "${json}" gpu_targets ${backend} ${ti} isa)
                add_halide_library(convgen_gk_${name}_${isa} FROM ${ARG_GENERATOR}
                                   GENERATOR convgen_${op}
                                   FUNCTION_NAME convgen_gpu_${name}_${isa}
                                   TARGETS ${t}
                                   USE_RUNTIME ${ARG_RUNTIME}
                                   PARAMS ${params})
                list(APPEND libs convgen_gk_${name}_${isa})
                string(APPEND table "CONVGEN_GPU_KERNEL(${op}, ${name}, ${backend}, ${isa})\n")
            endforeach ()
        endforeach ()
    endforeach ()

    file(CONFIGURE OUTPUT "${dir}/convgen_gpu_kernels.inc" CONTENT "${table}" @ONLY)
    set(${ARG_OUT_LIBRARIES} "${libs}" PARENT_SCOPE)
    set(${ARG_OUT_BACKENDS} "${backends}" PARENT_SCOPE)
    set(${ARG_OUT_INCLUDE_DIR} "${dir}" PARENT_SCOPE)
endfunction()
