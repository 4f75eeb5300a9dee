# GPU kernels from the variant manifest (kernels.json): gpu_targets x gpu_variants.
#
#   convgen_add_gpu_variants(MANIFEST <json> GENERATOR <generator target> RUNTIME <halide runtime>
#                            OUT_LIBRARIES <var> OUT_BACKENDS <var> OUT_INCLUDE_DIR <var>)
#
# Only on x86-64 hosts (CMAKE_SYSTEM_PROCESSOR x86_64): an aarch64 cross build gets no GPU
# libraries and an empty table. No GPU, driver or CUDA toolkit is needed to build: Halide emits
# PTX (CUDA) or OpenCL C source into the objects, and the driver compiles it at the first call.
# The GPU variants are
#   gpu_variants.names     entries of `variants` (the CPU list) built for every GPU target too,
#                          with gpu_variants.knobs.<name> as their GPU knobs;
#   gpu_variants.variants  GPU-only entries in the `variants` schema (op, schedule, kernel, ...,
#                          knobs, dispatch), optionally limited to some `targets` (isa names):
#                          the GPU autoschedulers' baselines and schedule alternatives.
# Each becomes add_halide_library(convgen_gk_<name>_<isa>) from generator convgen_<op>, sharing
# the one Halide runtime (add_halide_library adds the GPU features to it). Writes
#   <binary dir>/generated/convgen_gpu_kernels.inc
#     CONVGEN_GPU_KERNEL(op, name, backend, isa, kernel, stride, dilation, multiplier,
#                        "schedule", dispatch), entry point convgen_gpu_<name>_<isa>
#   <binary dir>/generated/convgen_gpu_kernel_headers.inc: each kernel's generated header
# (The fusion rules of every target, CPU and GPU, are ConvgenVariants.cmake's convgen_fusion.inc.)
# Separate from ConvgenVariants.cmake; both read entries with ConvgenManifestEntry.cmake.

include(${CMAKE_CURRENT_LIST_DIR}/ConvgenManifestEntry.cmake)

# Adds entry `entry` (a JSON object in the variants schema) for each target of `backend` in
# `targets_json`, with GPU schedule knobs `gpu_knobs`. Appends to the caller's table and libs.
function(_convgen_add_gpu_entry entry backend targets_json gpu_knobs)
    # One task per SM of a large GPU (an H100 has 132).
    _convgen_entry_args("${entry}" "${gpu_knobs}" 128
                        "hand;naive;Anderson2021;Li2018;Mullapudi2016;Adams2019")
    # The targets to build: all of the backend's, or those the entry lists.
    _convgen_entry_list("${entry}" targets ALL wanted)
    string(JSON nt LENGTH "${targets_json}")
    math(EXPR last_t "${nt} - 1")
    foreach (ti RANGE ${last_t})
        string(JSON t GET "${targets_json}" ${ti} halide)
        string(JSON isa GET "${targets_json}" ${ti} isa)
        if (NOT wanted STREQUAL "ALL" AND NOT isa IN_LIST wanted)
            continue()
        endif ()
        set(name ${entry_name})
        add_halide_library(convgen_gk_${name}_${isa} FROM ${ARG_GENERATOR}
                           GENERATOR convgen_${entry_op}
                           FUNCTION_NAME convgen_gpu_${name}_${isa}
                           TARGETS ${t}
                           USE_RUNTIME ${ARG_RUNTIME}
                           ${entry_autoscheduler}
                           PARAMS ${entry_params})
        # Baselines ("dispatch": false) go to convgen_baselines, as on the CPU.
        set(role "")
        if (NOT entry_dispatch)
            set(role "baseline_")
        endif ()
        list(APPEND ${role}libs convgen_gk_${name}_${isa})
        string(APPEND ${role}table "CONVGEN_GPU_KERNEL(${entry_op}, ${name}, ${backend}, ${isa}"
                                   "${entry_fixed}, \"${entry_schedule}\", ${entry_dispatch})\n")
        string(APPEND ${role}headers "#include \"convgen_gk_${name}_${isa}.h\"\n")
    endforeach ()
    foreach (var table headers libs)
        set(${var} "${${var}}" PARENT_SCOPE)
        set(baseline_${var} "${baseline_${var}}" PARENT_SCOPE)
    endforeach ()
endfunction()

function(convgen_add_gpu_variants)
    cmake_parse_arguments(ARG ""
                          "MANIFEST;GENERATOR;RUNTIME;OUT_LIBRARIES;OUT_BASELINE_LIBRARIES;OUT_BACKENDS;OUT_INCLUDE_DIR"
                          "" ${ARGN})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${ARG_MANIFEST}")
    file(READ "${ARG_MANIFEST}" json)
    set(table "// Generated from kernels.json by cmake/ConvgenGpuVariants.cmake. Do not edit.\n")
    set(headers "${table}")
    set(baseline_table "${table}")
    set(baseline_headers "${table}")
    set(libs "")
    set(baseline_libs "")
    set(backends "")
    set(dir "${CMAKE_BINARY_DIR}/generated")

    string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" proc)
    option(CONVGEN_GPU "Build the GPU (CUDA, OpenCL) kernels on x86-64" ON)
    if (NOT CONVGEN_GPU OR NOT proc MATCHES "^(x86_64|amd64)$")
        file(CONFIGURE OUTPUT "${dir}/convgen_gpu_kernels.inc" CONTENT "${table}" @ONLY)
        file(CONFIGURE OUTPUT "${dir}/convgen_gpu_kernel_headers.inc" CONTENT "${table}" @ONLY)
        file(CONFIGURE OUTPUT "${dir}/convgen_gpu_baseline_kernels.inc" CONTENT "${table}" @ONLY)
        file(CONFIGURE OUTPUT "${dir}/convgen_gpu_baseline_kernel_headers.inc" CONTENT "${table}" @ONLY)
        set(${ARG_OUT_LIBRARIES} "" PARENT_SCOPE)
        set(${ARG_OUT_BASELINE_LIBRARIES} "" PARENT_SCOPE)
        set(${ARG_OUT_BACKENDS} "" PARENT_SCOPE)
        set(${ARG_OUT_INCLUDE_DIR} "${dir}" PARENT_SCOPE)
        return()
    endif ()

    # The GPU variants, in dispatch order: the CPU entries gpu_variants.names lists, then the
    # GPU-only ones.
    set(entries "")
    set(entry_knobs "")
    string(JSON nv LENGTH "${json}" variants)
    math(EXPR last_v "${nv} - 1")
    string(JSON nn LENGTH "${json}" gpu_variants names)
    math(EXPR last_n "${nn} - 1")
    foreach (ni RANGE ${last_n})
        string(JSON name GET "${json}" gpu_variants names ${ni})
        set(found "")
        foreach (vi RANGE ${last_v})
            string(JSON vname GET "${json}" variants ${vi} name)
            if (vname STREQUAL name)
                string(JSON found GET "${json}" variants ${vi})
                break()
            endif ()
        endforeach ()
        if (NOT found)
            message(FATAL_ERROR "${ARG_MANIFEST}: gpu_variants names '${name}', which is not in variants")
        endif ()
        _convgen_json_or(knobs "" "${json}" gpu_variants knobs ${name})
        list(APPEND entries "${ni}")
        set(entry_${ni} "${found}")
        set(knobs_${ni} "${knobs}")
    endforeach ()
    string(JSON ng ERROR_VARIABLE no_gpu_only LENGTH "${json}" gpu_variants variants)
    if (NOT no_gpu_only AND ng GREATER 0)
        math(EXPR last_g "${ng} - 1")
        foreach (gi RANGE ${last_g})
            string(JSON found GET "${json}" gpu_variants variants ${gi})
            _convgen_json_or(knobs "" "${found}" knobs)
            list(APPEND entries "g${gi}")
            set(entry_g${gi} "${found}")
            set(knobs_g${gi} "${knobs}")
        endforeach ()
    endif ()

    string(JSON nb LENGTH "${json}" gpu_targets)
    math(EXPR last_b "${nb} - 1")
    foreach (bi RANGE ${last_b})
        string(JSON backend MEMBER "${json}" gpu_targets ${bi})
        if (backend MATCHES "^_")
            continue()
        endif ()
        list(APPEND backends ${backend})
        string(JSON targets_json GET "${json}" gpu_targets ${backend})
        foreach (e IN LISTS entries)
            _convgen_add_gpu_entry("${entry_${e}}" ${backend} "${targets_json}" "${knobs_${e}}")
        endforeach ()
    endforeach ()

    file(CONFIGURE OUTPUT "${dir}/convgen_gpu_kernels.inc" CONTENT "${table}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_gpu_kernel_headers.inc" CONTENT "${headers}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_gpu_baseline_kernels.inc" CONTENT "${baseline_table}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_gpu_baseline_kernel_headers.inc"
         CONTENT "${baseline_headers}" @ONLY)
    # Every backend needs its fusion rules (convgen_fusion.inc, ConvgenVariants.cmake).
    foreach (backend IN LISTS backends)
        string(JSON nr ERROR_VARIABLE missing LENGTH "${json}" fusion ${backend})
        if (missing)
            message(FATAL_ERROR "${ARG_MANIFEST}: fusion has no '${backend}' rules")
        endif ()
    endforeach ()
    set(${ARG_OUT_LIBRARIES} "${libs}" PARENT_SCOPE)
    set(${ARG_OUT_BASELINE_LIBRARIES} "${baseline_libs}" PARENT_SCOPE)
    set(${ARG_OUT_BACKENDS} "${backends}" PARENT_SCOPE)
    set(${ARG_OUT_INCLUDE_DIR} "${dir}" PARENT_SCOPE)
endfunction()
