// The library's own version: compiled in, so a program can compare it with the headers'.
#include "convgen/version.h"

namespace convgen {

Version version() {
    return {CONVGEN_VERSION_MAJOR, CONVGEN_VERSION_MINOR, CONVGEN_VERSION_PATCH,
            CONVGEN_VERSION_STRING};
}

}  // namespace convgen
