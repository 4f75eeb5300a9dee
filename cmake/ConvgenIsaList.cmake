# The CPU ISA levels, from the manifest's "isa_targets" (every architecture, not only the one
# being built for), as two generated files, so that no source file types the list:
#   <public dir>/convgen/isa_list.h   CONVGEN_ISAS(X): X(name, arch) per level, architectures in
#                                     name order (CMake's JSON members), each one's levels lowest
#                                     first (the order of convgen::Isa), and
#                                     CONVGEN_HIGHEST_ISA_<arch> per architecture
#   <private dir>/convgen_isa_targets.inc
#                                     CONVGEN_ISA_TARGET(name, arch, "halide target", features...)
#                                     per level, highest first within an architecture, features as
#                                     halide_target_feature_* (what the CPU must have to run it)
include(${CMAKE_CURRENT_LIST_DIR}/ConvgenManifestEntry.cmake)

function(convgen_write_isa_list MANIFEST PUBLIC_HEADER PRIVATE_INC)
    file(READ "${MANIFEST}" json)
    _convgen_json_members(archs "${json}" isa_targets)
    set(isas "")
    set(highest "")
    set(targets "")
    foreach (arch IN LISTS archs)
        string(JSON n LENGTH "${json}" isa_targets ${arch})
        math(EXPR last "${n} - 1")
        set(arch_isas "")
        foreach (i RANGE ${last})
            string(JSON name GET "${json}" isa_targets ${arch} ${i} isa)
            string(JSON target GET "${json}" isa_targets ${arch} ${i} halide)
            if (i EQUAL 0)
                string(APPEND highest "#define CONVGEN_HIGHEST_ISA_${arch} ${name}\n")
            endif ()
            # "x86-64-linux-avx-avx2-...": the features follow the architecture, bits and OS.
            string(REPLACE "-" ";" tokens "${target}")
            set(features "")
            list(LENGTH tokens ntokens)
            if (ntokens GREATER 3)
                list(SUBLIST tokens 3 -1 features)
            endif ()
            set(feature_args "")
            foreach (f IN LISTS features)
                string(APPEND feature_args ", halide_target_feature_${f}")
            endforeach ()
            string(APPEND targets
                   "CONVGEN_ISA_TARGET(${name}, ${arch}, \"${target}\"${feature_args})\n")
            list(PREPEND arch_isas " X(${name}, ${arch})")  # lowest first
        endforeach ()
        list(JOIN arch_isas "" arch_line)
        string(APPEND isas "${arch_line}")
    endforeach ()
    set(header "// Generated from ${MANIFEST} \"isa_targets\" by cmake/ConvgenIsaList.cmake.\n")
    string(APPEND header "// The CPU ISA levels, X(name, arch), by architecture, lowest first.\n")
    string(APPEND header "#pragma once\n#define CONVGEN_ISAS(X)${isas}\n${highest}")
    file(CONFIGURE OUTPUT "${PUBLIC_HEADER}" CONTENT "${header}" @ONLY)
    file(CONFIGURE OUTPUT "${PRIVATE_INC}" CONTENT "${targets}" @ONLY)
    set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                 "${MANIFEST}")
endfunction()
