# The tuner's CTests (tuner/CMakeLists.txt), one MODE each, all on tiny layers and budgets:
#   roundtrip  tune one op into a fresh database, compile the database's variant as the build
#              does, with cmake/ConvgenVariants.cmake (tuned_build/), and check it against the
#              reference
#   resume     a second run re-measures nothing it has measured (hand aside), and a variant
#              that no longer beats hand by the margin is taken out of the database
#   hand       every op's hand knob set, as the tuner spells it, is accepted by its generator
#              and is the knob set of the variant the runtime would run (kernels.json)
#   patience   a task stops after --patience measurements without a better one, well inside
#              its budget, and the next shape of the same op is seeded with the first's winner
#   cross      aarch64 cross mode under qemu: candidates built for arm-64-linux, linked with the
#              cross harness, run, checked against hand and recorded (the timings mean nothing)
foreach (var MODE TUNER SOURCE_DIR WORK_DIR)
    if (NOT DEFINED ${var})
        message(FATAL_ERROR "${var} is required")
    endif ()
endforeach ()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(db "${WORK_DIR}/db.json")
set(cache "${WORK_DIR}/db.measurements.json")  # the measurement cache beside it

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    message("${out}")
    if (NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}")
    endif ()
endfunction()

# expect("<if() condition>" "<what was expected>")
function(expect cond what)
    cmake_language(EVAL CODE "if (NOT (${cond}))
        message(FATAL_ERROR [[expected ${what}]])
    endif ()")
endfunction()

# Counts the cached measurements, and those marked hand / failed.
function(count_measurements OUT_ALL OUT_HAND OUT_FAILED)
    file(READ "${cache}" json)
    string(JSON n LENGTH "${json}" measurements)
    set(hand 0)
    set(failed 0)
    set(keys "")
    math(EXPR last "${n} - 1")
    foreach (i RANGE ${last})
        string(JSON k GET "${json}" measurements ${i} knobs)
        string(JSON p GET "${json}" measurements ${i} problem)
        string(JSON mach GET "${json}" measurements ${i} machine)
        list(APPEND keys "${p}/${k}/${mach}")
        string(JSON h ERROR_VARIABLE missing GET "${json}" measurements ${i} hand)
        if (NOT missing AND h)
            math(EXPR hand "${hand} + 1")
        endif ()
        string(JSON e ERROR_VARIABLE missing GET "${json}" measurements ${i} error)
        if (NOT missing)
            math(EXPR failed "${failed} + 1")
            message("failed measurement: ${e}")
        endif ()
    endforeach ()
    list(REMOVE_DUPLICATES keys)
    list(LENGTH keys distinct)
    if (NOT distinct EQUAL n)
        message(FATAL_ERROR "the database measured a (problem, knobs) pair twice on one machine")
    endif ()
    set(${OUT_ALL} ${n} PARENT_SCOPE)
    set(${OUT_HAND} ${hand} PARENT_SCOPE)
    set(${OUT_FAILED} ${failed} PARENT_SCOPE)
endfunction()

set(quick --db "${db}" --reps 3 --min-sample-ms 0.5 --confirm-rounds 1 --budget 60)

if (MODE STREQUAL "roundtrip")
    # --min-gain -100: write the best non-hand candidate whatever its time, so the build below
    # compiles knobs the hand schedule does not use (a real run requires >= 3%).
    run(${TUNER} --problem sep:n1c16h8w8k3s1o16 --ops separable --max-evals 2 --min-gain -100
        ${quick})
    file(READ "${db}" json)
    string(JSON nv LENGTH "${json}" variants)
    expect("nv EQUAL 1" "one variant, got ${nv}")
    string(JSON name GET "${json}" variants 0 name)
    string(JSON knobs GET "${json}" variants 0 knobs)
    string(JSON isa GET "${json}" variants 0 isas 0)
    string(JSON c_out GET "${json}" variants 0 shape c_out)
    expect("name STREQUAL \"tuned_sep_c16h8w8k3s1o16\""
           "tuned_sep_c16h8w8k3s1o16 (no ISA in the name), got ${name}")
    expect("c_out EQUAL 16" "shape.c_out 16")
    string(JSON machine_class GET "${json}" variants 0 tuning machine_class)
    expect("machine_class MATCHES \" family [0-9]+ model [0-9]+$\"" "the host's machine class, got '${machine_class}'")
    count_measurements(n hand failed)
    expect("n EQUAL 3 AND hand EQUAL 1" "hand + 2 measurements, got ${n} (${hand} hand)")
    file(READ "${cache}" cache_json)
    string(JSON hand_knobs GET "${cache_json}" measurements 0 knobs)
    string(JSON in_db ERROR_VARIABLE none GET "${json}" measurements)
    expect("NOT in_db" "no measurements in the variants file (the build's input)")
    expect("NOT knobs STREQUAL hand_knobs" "tuned knobs other than hand's (${hand_knobs})")

    # The build's input: kernels.json's ISA target for the tuned ISA (and no variants of its
    # own), then the database as it is, given to the project's own convgen_add_variants.
    file(READ "${SOURCE_DIR}/kernels.json" kernels)
    string(JSON ntargets LENGTH "${kernels}" isa_targets x86_64)
    math(EXPR last "${ntargets} - 1")
    foreach (i RANGE ${last})
        string(JSON t_isa GET "${kernels}" isa_targets x86_64 ${i} isa)
        if (t_isa STREQUAL isa)
            string(JSON target GET "${kernels}" isa_targets x86_64 ${i})
        endif ()
    endforeach ()
    set(manifest "{\"isa_targets\": {\"x86_64\": [${target}]}, \"variants\": []}")
    file(WRITE "${WORK_DIR}/manifest.json" "${manifest}")
    run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tuner/tests/tuned_build" -B "${WORK_DIR}/build"
        -G "${GENERATOR}" "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}" -DCMAKE_BUILD_TYPE=Release
        "-DHalide_DIR=${HALIDE_DIR}" "-Dconvgen-halide_generators_DIR=${GENERATORS_DIR}"
        "-DCONVGEN_SOURCE_DIR=${SOURCE_DIR}" "-DTUNED_MANIFEST=${WORK_DIR}/manifest.json"
        "-DTUNED_DB=${db}")
    run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
    execute_process(COMMAND "${WORK_DIR}/build/check_tuned" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
    message("${out}")
    expect("rc EQUAL 0 AND out MATCHES \"PASS\"" "the tuned kernel to match the reference")
elseif (MODE STREQUAL "resume")
    run(${TUNER} --problem pw:n1c16h8w8o16 --max-evals 3 --min-gain -100 ${quick})
    count_measurements(n1 hand1 failed1)
    expect("n1 EQUAL 4 AND hand1 EQUAL 1" "hand + 3 measurements, got ${n1}")
    file(READ "${db}" json)
    string(JSON nv LENGTH "${json}" variants)
    expect("nv EQUAL 1" "a variant after the first run")
    string(JSON seconds1 GET "${json}" variants 0 tuning seconds)
    # Resumed: 3 new candidates, none repeated (count_measurements fails on a repeat), hand
    # re-measured in place; the variant's tuning time adds this run's.
    run(${TUNER} --problem pw:n1c16h8w8o16 --max-evals 3 --min-gain -100 ${quick})
    count_measurements(n2 hand2 failed2)
    expect("n2 EQUAL 7 AND hand2 EQUAL 1" "hand + 6 measurements after resuming, got ${n2}")
    file(READ "${db}" json)
    string(JSON seconds2 GET "${json}" variants 0 tuning seconds)
    # Both runs take about as long (hand + 3 candidates): summed, the second reads about twice
    # the first; the last run's alone, about the same. Compared in tenths of a second.
    foreach (v seconds1 seconds2)
        string(REGEX MATCH "^[0-9]+(\\.[0-9])?" t "${${v}}")
        string(REPLACE "." "" t "${t}")
        if (NOT ${v} MATCHES "\\.")
            set(t "${t}0")
        endif ()
        set(${v}_tenths ${t})
    endforeach ()
    math(EXPR bar "${seconds1_tenths} * 3 / 2")
    expect("seconds2_tenths GREATER bar"
           "tuning seconds summed over runs: ${seconds1} s, then ${seconds2} s")
    # A margin no candidate can meet removes the variant.
    run(${TUNER} --problem pw:n1c16h8w8o16 --max-evals 3 --min-gain 1000 ${quick})
    count_measurements(n3 hand3 failed3)
    expect("n3 EQUAL 10 AND hand3 EQUAL 1" "hand + 9 measurements after resuming, got ${n3}")
    file(READ "${db}" json)
    string(JSON nv LENGTH "${json}" variants)
    expect("nv EQUAL 0" "no variant once none beats hand by the margin")
    # Another machine reuses none of these: hand and 3 candidates measured anew (the search
    # starts from the same seed, so it re-proposes knobs measured on this machine).
    run(${TUNER} --problem pw:n1c16h8w8o16 --max-evals 3 --min-gain 1000 --machine "another CPU"
        ${quick})
    count_measurements(n4 hand4 failed4)
    expect("n4 EQUAL 14 AND hand4 EQUAL 2" "4 more measurements on another machine, got ${n4}")
    file(READ "${cache}" cache_json)
    string(JSON last_machine GET "${cache_json}" measurements 0 machine)
    expect("last_machine MATCHES \"family .* model .* CPUs$\""
           "the host's machine key (model, family, model, ISA, CPUs), got ${last_machine}")
elseif (MODE STREQUAL "patience")
    # Patience 1: the first candidate not 1% faster than the best so far ends the search (the
    # budget, 60 s, is far away; 30 evaluations cap a run of lucky improvements). The second
    # problem's first candidate is the first problem's winner (--min-gain -100 writes it).
    execute_process(COMMAND ${TUNER} --problem pw:n1c16h8w8o16,pw:n1c24h8w8o24 --patience 1
                            --max-evals 30 --min-gain -100 ${quick}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    message("${out}${err}")
    expect("rc EQUAL 0" "the run to succeed")
    expect("out MATCHES \"pw:n1c16h8w8o16 [^\n]*stopped by patience\"" "the first task stopped by patience")
    expect("out MATCHES \"pw:n1c24h8w8o24 [^\n]* .1 seeded\"" "the second task seeded with one winner")
    expect("out MATCHES \"2 tasks in [0-9]+ s\"" "the run's total time")
    expect("err MATCHES \".1/2. [0-9]+ s elapsed, about [0-9]+ s left\"" "a time-left estimate")
elseif (MODE STREQUAL "hand")
    # A preset expands to its layers' ops: MobileNetV1's 9 blocks x (dw, pw), and the fused
    # separable of the 3 blocks the CPU runs fused (kernels.json fusion.cpu: stride 1, at most
    # 256 channels); the other 6 are skipped, saying why.
    execute_process(COMMAND ${TUNER} --layers mobilenet_v1 --list RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE out)
    string(REGEX MATCHALL "-> tuned_[a-z]+_[a-z0-9]+" listed "${out}")
    list(LENGTH listed n)
    expect("rc EQUAL 0 AND n EQUAL 21" "21 tasks from --layers mobilenet_v1, got ${n}: ${out}")
    expect("out MATCHES \"dw:n1c64h112w112k3s2 \"" "the 64-channel stride-2 depthwise task")
    expect("out MATCHES \"skipping sep:n1c64h112w112k3s2o128 [^\n]*stride 2\""
           "the stride-2 block's fused task skipped, saying why")
    expect("NOT out MATCHES \"-> tuned_sep_c512h14w14k3s1o512\""
           "no fused task for the 512-channel block")
    # --budget 0: only the hand schedule of each task, i.e. each op's full knob set.
    run(${TUNER} --problem conv:n1c8h8k3o16,sep:n1c16h8w8k3s1o16 --db "${db}" --budget 0
        --reps 1)
    count_measurements(n hand failed)
    expect("n EQUAL 4 AND hand EQUAL 4 AND failed EQUAL 0"
           "4 hand measurements (conv2d, separable, depthwise, pointwise), got ${n}/${hand}")
    # A run that only adds measurements leaves the variants file, a configure input, as it was.
    file(SHA256 "${db}" db_before)
    file(TIMESTAMP "${db}" db_time_before "%s")
    execute_process(COMMAND ${CMAKE_COMMAND} -E sleep 1.1)
    run(${TUNER} --problem pw:n1c8h4w4o16 --db "${db}" --budget 0 --reps 1)
    count_measurements(n hand failed)
    file(SHA256 "${db}" db_after)
    file(TIMESTAMP "${db}" db_time_after "%s")
    expect("n EQUAL 5 AND db_before STREQUAL db_after AND db_time_before STREQUAL db_time_after"
           "one more cached measurement and the variants file untouched, got ${n}")
    # Without --db the tracked database is left alone: the run writes the build directory's.
    set(tracked "${SOURCE_DIR}/schedules/tuned/x86_64.json")
    file(SHA256 "${tracked}" before)
    execute_process(COMMAND ${TUNER} --problem pw:n1c8h4w4o8 --budget 0 --reps 1
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    file(SHA256 "${tracked}" after)
    expect("rc EQUAL 0" "a run with the default database: ${out}")
    expect("before STREQUAL after" "the tracked ${tracked} unchanged by a run without --db")
    expect("out MATCHES \"database [^\n]*/tuned/x86_64.json\" AND NOT out MATCHES \"database [^\n]*/schedules/tuned/\""
           "the build directory's tuned/x86_64.json written, got: ${out}")
    # Hand is the variant the runtime would run: a conv2d from 64 input channels takes
    # kernels.json's conv2d_k3x3_s1_blocked (ci_block 64), a narrower one the default (0).
    execute_process(COMMAND ${TUNER} --problem conv:n1c64h6w6k3s1o16,conv:n1c16h6w6k3s1o16
                            --measure unroll_ci:1 --confirm-rounds 1 --reps 1
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    expect("rc EQUAL 0 AND out MATCHES \"conv:n1c64h6w6k3s1o16 +[a-z0-9_]+ +[0-9.]+ +1.000x +[^\n]*ci_block:64\" AND out MATCHES \"conv:n1c16h6w6k3s1o16 +[a-z0-9_]+ +[0-9.]+ +1.000x +[^\n]*ci_block:0\""
           "hand with ci_block 64 on 64 input channels and 0 on 16, got: ${out}")
    # --misalign places input and output off a cache line; candidates are still checked
    # against hand's output there. Not a whole float, or without --measure: refused.
    execute_process(COMMAND ${TUNER} --problem dw:n1c24h6w6k3s1 --measure dw_tile_x:2
                            --misalign 12 --confirm-rounds 1 --reps 1
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    expect("rc EQUAL 0 AND out MATCHES \"dw:n1c24h6w6k3s1 +[a-z0-9_]+ +[0-9.]+ +[0-9.]+x +[^\n]*dw_tile_x:2\" AND NOT out MATCHES \"failed\""
           "a misaligned measurement of hand and dw_tile_x:2, got: ${out}")
    execute_process(COMMAND ${TUNER} --problem dw:n1c24h6w6k3s1 --measure dw_tile_x:2
                            --misalign 6 --confirm-rounds 1 --reps 1
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    expect("NOT rc EQUAL 0 AND out MATCHES \"multiple of 4\"" "--misalign 6 refused, got: ${out}")
    execute_process(COMMAND ${TUNER} --problem dw:n1c24h6w6k3s1 --db "${db}" --budget 0
                            --misalign 16
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    expect("NOT rc EQUAL 0 AND out MATCHES \"--misalign is for --measure\""
           "--misalign without --measure refused, got: ${out}")
elseif (MODE STREQUAL "cross")
    run(${TUNER} --target aarch64 --problem dw:n1c8h6w6k3s1
        --max-evals 1 --min-gain -100 --work-dir "${WORK_DIR}/candidates"
        --run-command "${QEMU} -L /usr/aarch64-linux-gnu {}" ${quick})
    count_measurements(n hand failed)
    expect("n EQUAL 2 AND hand EQUAL 1 AND failed EQUAL 0"
           "hand + 1 measurement, none failed, got ${n}/${hand}/${failed}")
    file(READ "${db}" json)
    string(JSON arch GET "${json}" target_arch)
    string(JSON isa GET "${json}" variants 0 isas 0)
    expect("arch STREQUAL \"aarch64\" AND isa STREQUAL \"neon\"" "an aarch64 neon database")
    # The machine class the harness reported from the (emulated) board, not the host's.
    string(JSON machine_class GET "${json}" variants 0 tuning machine_class)
    expect("machine_class MATCHES \"^(arm implementer|aarch64)\"" "an aarch64 machine class, got '${machine_class}'")
    file(GLOB left "${WORK_DIR}/candidates/*")
    expect("NOT left" "the candidates' scratch files removed")
else ()
    message(FATAL_ERROR "unknown MODE ${MODE}")
endif ()
