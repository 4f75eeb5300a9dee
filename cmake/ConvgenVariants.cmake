# Turns the variant manifest (kernels.json, plus the tuned database schedules/tuned/<arch>.json
# when it exists) into Halide libraries and the runtime's dispatch table.
#
#   convgen_add_variants(MANIFESTS <json>... GENERATOR <generator target> RUNTIME <halide runtime>
#                        OUT_LIBRARIES <var> OUT_INCLUDE_DIR <var>)
#
# For each variant and each ISA target of the architecture being built for (isa_targets.x86_64
# or isa_targets.aarch64), restricted to the variant's "isas" when it lists some:
# add_halide_library(convgen_k_<name>_<isa>) from generator convgen_<op> with the variant's fixed
# parameters, knobs and schedule, all sharing one Halide runtime. A "schedule" naming a Halide
# autoscheduler (Mullapudi2016, Adams2019, Li2018) runs that autoscheduler at generation time.
# The ISA dispatch lives in the runtime rather than in Halide's multi-target wrapper, because
# that wrapper fixes its choice at the first call: convgen must be able to report the ISA it
# runs and let tests force each level, per operator.
# Benchmark baselines ("dispatch": false) are built as the same libraries but listed apart
# (OUT_BASELINE_LIBRARIES, convgen_baseline_*.inc): they link into convgen_baselines, which the
# benchmark and the tests use, never into the installed library.
# The tables go to <binary dir>/generated/, in manifest order:
#   convgen_variants.inc  CONVGEN_VARIANT(op, name, kernel, stride, dilation, multiplier,
#                                         "schedule", dispatch, c_in, h, w, c_out, threads,
#                                         "machine", "isas", min_in_channels)
#   convgen_kernels.inc   CONVGEN_KERNEL(op, name, isa), whose entry point is convgen_<name>_<isa>
#   convgen_kernel_headers.inc  the #include of each of those kernels' generated header
#   convgen_fusion.inc    CONVGEN_FUSION_RULE(target, min_channels, max_channels, max_pixels,
#                                             max_stride)
#                         per rule of the manifest's "fusion" (0 = any), target cpu or a GPU
#                         backend: when a Separable runs its fused kernel
# dispatch is 0 for variants that run only when named (benchmark baselines); c_in, h, w, c_out
# are the "shape" a tuned variant is restricted to, threads the thread count it was tuned with
# (tuning.threads) (0 = any), machine the machine class it was tuned on (tuning.machine_class),
# isas the levels this entry was compiled for, space-separated.

include(${CMAKE_CURRENT_LIST_DIR}/ConvgenManifestEntry.cmake)

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

set(_convgen_shape_keys c_in h w c_out)

# Reads entry <i> of <json>'s "variants" and adds its libraries; appends to the caller's
# `table`, `kernels` and `libs`.
function(_convgen_add_variant json i targets isas)
    string(JSON entry GET "${json}" variants ${i})
    _convgen_json_or(knobs "" "${entry}" knobs)
    # Enough parallel tasks for a small server.
    _convgen_entry_args("${entry}" "${knobs}" 8 "hand;tuned;naive;Mullapudi2016;Adams2019;Li2018")
    set(name ${entry_name})
    set(op ${entry_op})
    set(shape "")
    foreach (key IN LISTS _convgen_shape_keys)
        _convgen_json_or(value 0 "${entry}" shape ${key})
        string(APPEND shape ", ${value}")
    endforeach ()
    # The thread count a tuned variant was timed with (0 = any): its knobs (tasks per row
    # strip, ...) are chosen for that parallelism.
    _convgen_json_or(threads 0 "${entry}" tuning threads)
    # The machine class it was tuned on (convgen::machine_class(); "" = not recorded).
    _convgen_json_or(machine "" "${entry}" tuning machine_class)
    if (machine MATCHES "[\"\\]")
        message(FATAL_ERROR "variant ${entry_name}: tuning.machine_class '${machine}' has a quote or backslash")
    endif ()
    string(APPEND shape ", ${threads}, \"${machine}\"")
    # The fewest input channels it takes (0 = any): a schedule that pays on wide reductions
    # only, listed before a variant for any.
    _convgen_json_or(min_in_channels 0 "${entry}" min_in_channels)
    # Benchmark baselines ("dispatch": false) go to their own library and tables.
    set(role "")
    if (NOT entry_dispatch)
        set(role "baseline_")
    endif ()
    # The ISA levels to build: all of the architecture's, or those the variant lists.
    _convgen_entry_list("${entry}" isas "${isas}" wanted)
    set(built "")
    foreach (t isa IN ZIP_LISTS targets isas)
        if (NOT isa IN_LIST wanted)
            continue ()
        endif ()
        add_halide_library(convgen_k_${name}_${isa} FROM ${ARG_GENERATOR}
                           GENERATOR convgen_${op}
                           FUNCTION_NAME convgen_${name}_${isa}
                           TARGETS ${t}
                           USE_RUNTIME ${ARG_RUNTIME}
                           ${entry_autoscheduler}
                           PARAMS ${entry_params})
        list(APPEND ${role}libs convgen_k_${name}_${isa})
        string(APPEND ${role}kernels "CONVGEN_KERNEL(${op}, ${name}, ${isa})\n")
        string(APPEND ${role}headers "#include \"convgen_k_${name}_${isa}.h\"\n")
        string(APPEND built " ${isa}")
    endforeach ()
    # A variant for other architectures only (e.g. tuned for avx512) is left out of this build.
    # The row names its own ISA levels: two tuned entries may share a name (one layer tuned on
    # two levels), and a name never repeats its ISA.
    if (built)
        string(STRIP "${built}" built)
        string(APPEND ${role}table
               "CONVGEN_VARIANT(${op}, ${name}${entry_fixed}, \"${entry_schedule}\", ${entry_dispatch}${shape}, \"${built}\", ${min_in_channels})\n")
    endif ()
    foreach (var table kernels headers libs)
        set(${var} "${${var}}" PARENT_SCOPE)
        set(baseline_${var} "${baseline_${var}}" PARENT_SCOPE)
    endforeach ()
endfunction()

# The manifest's "fusion" rules as CONVGEN_FUSION_RULE lines (0 = no bound). A manifest
# without them (a test's) always fuses on the CPU.
function(_convgen_fusion_rules json manifest out)
    set(lines "")
    _convgen_json_members(fusion_targets "${json}" fusion)
    foreach (target IN LISTS fusion_targets)
        string(JSON nr LENGTH "${json}" fusion ${target})
        if (nr EQUAL 0)
            continue ()
        endif ()
        math(EXPR last_r "${nr} - 1")
        foreach (ri RANGE ${last_r})
            foreach (key min_channels max_channels max_pixels max_stride)
                _convgen_json_or(${key} 0 "${json}" fusion ${target} ${ri} ${key})
            endforeach ()
            if (target MATCHES "^cpu" AND NOT max_pixels EQUAL 0)
                message(FATAL_ERROR "${manifest}: fusion.${target} rule ${ri} has max_pixels; the CPU "
                                    "Separable decides at construction, before any input")
            endif ()
            string(APPEND lines "CONVGEN_FUSION_RULE(${target}, ${min_channels}, ${max_channels}, "
                                "${max_pixels}, ${max_stride})\n")
        endforeach ()
    endforeach ()
    set(${out} "${lines}" PARENT_SCOPE)
endfunction()

function(convgen_add_variants)
    cmake_parse_arguments(ARG "" "GENERATOR;RUNTIME;OUT_LIBRARIES;OUT_BASELINE_LIBRARIES;OUT_INCLUDE_DIR"
                          "MANIFESTS" ${ARGN})
    list(GET ARG_MANIFESTS 0 main_manifest)
    convgen_manifest_targets("${main_manifest}" targets isas)

    set(table "// Generated from kernels.json by cmake/ConvgenVariants.cmake. Do not edit.\n")
    set(kernels "${table}")
    set(headers "${table}")
    set(libs "")
    foreach (var table kernels headers)
        set(baseline_${var} "${table}")
    endforeach ()
    set(baseline_libs "")
    set(names "")
    foreach (manifest IN LISTS ARG_MANIFESTS)
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest}")
        file(READ "${manifest}" json)
        string(JSON n ERROR_VARIABLE none LENGTH "${json}" variants)
        if (none OR n EQUAL 0)
            continue ()
        endif ()
        math(EXPR last "${n} - 1")
        foreach (i RANGE ${last})
            string(JSON name GET "${json}" variants ${i} name)
            if (name IN_LIST names)
                message(FATAL_ERROR "${manifest}: variant name '${name}' is used twice")
            endif ()
            list(APPEND names "${name}")
            _convgen_add_variant("${json}" ${i} "${targets}" "${isas}")
        endforeach ()
    endforeach ()

    set(dir "${CMAKE_BINARY_DIR}/generated")
    file(CONFIGURE OUTPUT "${dir}/convgen_variants.inc" CONTENT "${table}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_kernels.inc" CONTENT "${kernels}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_kernel_headers.inc" CONTENT "${headers}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_baseline_variants.inc" CONTENT "${baseline_table}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_baseline_kernels.inc" CONTENT "${baseline_kernels}" @ONLY)
    file(CONFIGURE OUTPUT "${dir}/convgen_baseline_kernel_headers.inc" CONTENT "${baseline_headers}" @ONLY)
    file(READ "${main_manifest}" json)
    _convgen_fusion_rules("${json}" "${main_manifest}" fusion)
    file(CONFIGURE OUTPUT "${dir}/convgen_fusion.inc" CONTENT "// Generated from kernels.json by cmake/ConvgenVariants.cmake. Do not edit.\n${fusion}" @ONLY)
    set(${ARG_OUT_LIBRARIES} "${libs}" PARENT_SCOPE)
    set(${ARG_OUT_BASELINE_LIBRARIES} "${baseline_libs}" PARENT_SCOPE)
    set(${ARG_OUT_INCLUDE_DIR} "${dir}" PARENT_SCOPE)
endfunction()
