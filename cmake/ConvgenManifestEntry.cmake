# One entry of kernels.json's variants schema (a JSON object) as a generator invocation: shared
# by the CPU build (ConvgenVariants.cmake) and the GPU build (ConvgenGpuVariants.cmake).

set(_convgen_variant_keys kernel stride dilation multiplier)
set(_convgen_autoschedulers Mullapudi2016 Adams2019 Li2018 Anderson2021)
# Adams2019's beam search at its default width (32) takes minutes and over 12 GB per conv
# variant on 2 cores; the default build runs it greedily (1). Benchmarks that compare it should
# build with 32. Anderson2021 (GPU) likewise runs at 1; its own default is 32 too.
set(CONVGEN_ADAMS2019_BEAM_SIZE 1 CACHE STRING "Beam size of the Adams2019-scheduled baselines")
set(CONVGEN_ANDERSON2021_BEAM_SIZE 1 CACHE STRING "Beam size of the Anderson2021-scheduled GPU baselines")

# _convgen_json_or(<out var> <default> <json> <member path>...): the member's value, or <default>
# when the JSON has no such member.
function(_convgen_json_or out default json)
    string(JSON value ERROR_VARIABLE absent GET "${json}" ${ARGN})
    if (absent)
        set(value "${default}")
    endif ()
    set(${out} "${value}" PARENT_SCOPE)
endfunction()

# _convgen_entry_args(<entry> <knobs> <parallelism> <allowed schedules>)
# Reads <entry>; <knobs> are the schedule knobs to pass, <parallelism> the autoschedulers'
# parallelism. Sets in the caller's scope:
#   entry_name, entry_op, entry_schedule (default hand)
#   entry_params         the generator's PARAMS (fixed parameters, knobs, schedule or the
#                        autoscheduler's parameters)
#   entry_autoscheduler  "AUTOSCHEDULER;Halide::<name>" for an autoscheduler, else empty
#   entry_fixed          ", kernel, stride, dilation, multiplier" for the tables (0 = any)
#   entry_dispatch       1, or 0 for "dispatch": false (run only when named)
function(_convgen_entry_args entry knobs parallelism allowed)
    string(JSON name GET "${entry}" name)
    string(JSON op GET "${entry}" op)
    _convgen_json_or(schedule hand "${entry}" schedule)
    if (NOT schedule IN_LIST allowed)
        string(REPLACE ";" ", " allowed "${allowed}")
        message(FATAL_ERROR "variant ${name}: schedule '${schedule}' is not one of ${allowed}")
    endif ()
    set(params "")
    set(fixed "")
    foreach (key IN LISTS _convgen_variant_keys)
        string(JSON value ERROR_VARIABLE missing GET "${entry}" ${key})
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
    set(autoscheduler "")
    if (schedule IN_LIST _convgen_autoschedulers)
        # The estimates come from the generator.
        set(autoscheduler AUTOSCHEDULER Halide::${schedule})
        list(APPEND params "autoscheduler.parallelism=${parallelism}")
        if (schedule STREQUAL "Adams2019")
            list(APPEND params "autoscheduler.beam_size=${CONVGEN_ADAMS2019_BEAM_SIZE}")
        elseif (schedule STREQUAL "Anderson2021")
            list(APPEND params "autoscheduler.beam_size=${CONVGEN_ANDERSON2021_BEAM_SIZE}")
        endif ()
    else ()
        list(APPEND params "schedule=${schedule}")
    endif ()
    _convgen_json_or(dispatch ON "${entry}" dispatch)
    if (dispatch)
        set(dispatch 1)
    else ()
        set(dispatch 0)
    endif ()
    foreach (v name op schedule params autoscheduler fixed dispatch)
        set(entry_${v} "${${v}}" PARENT_SCOPE)
    endforeach ()
endfunction()

# _convgen_entry_list(<entry> <key> <default> <out var>): the strings of the entry's array <key>
# (e.g. "isas", "targets"), or <default> when the entry has no such key.
function(_convgen_entry_list entry key default out)
    string(JSON n ERROR_VARIABLE absent LENGTH "${entry}" ${key})
    if (absent)
        set(${out} "${default}" PARENT_SCOPE)
        return()
    endif ()
    set(items "")
    if (n GREATER 0)
        math(EXPR last "${n} - 1")
        foreach (j RANGE ${last})
            string(JSON item GET "${entry}" ${key} ${j})
            list(APPEND items "${item}")
        endforeach ()
    endif ()
    set(${out} "${items}" PARENT_SCOPE)
endfunction()
