// Evolutionary search over one task's knobs: the hand schedule is measured first (so the result
// is never worse than hand), then the knobs of the database's winners for other shapes of the
// same op and ISA (seeds), then mostly mutations of one or two knobs of tournament winners, some
// crossovers, a few random restarts, until the budget runs out or `patience` measurements in a
// row found nothing faster. Every measurement goes to the database at once, and measurements
// already there are reused, not repeated.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "database.h"
#include "runner.h"
#include "task.h"

namespace convgen::tune {

struct SearchOptions {
    double budget_s = 60;      // search time for this task (compiles included)
    int max_evaluations = 0;   // new measurements for this task; 0 = no limit
    // Stop after this many new measurements in a row without a candidate 1% faster than the
    // best so far (0 = search until the budget or max_evaluations ends).
    int patience = 24;
    double min_gain = 0.03;    // a variant must be this much faster than hand (0.03 = 3%)
    int confirm_rounds = 3;    // back-to-back hand/best re-measurements before writing a variant
    int threads = 1;           // recorded with every measurement (cached per thread count)
    unsigned seed = 1;
    bool progress_tty = false; // rewrite one status line instead of printing lines
};

struct SearchOutcome {
    double hand_ms = 0;
    std::string best_knobs;    // best non-hand candidate ("" if none)
    double best_ms = 0;
    std::optional<Result> variant;  // written to the database: beat hand in confirmation
    int evaluations = 0;       // new measurements this run
    int seeds = 0;             // of them, other shapes' winners tried first
    bool stopped_early = false;  // by `patience`, before the budget ended
    int known = 0;             // candidates known for the task (this run and earlier)
    double seconds = 0;
};

SearchOutcome tune_task(const Task &task, Runner &runner, Database &db,
                        const SearchOptions &options);

// A given knob setting against hand, without a search (convgen-tune --measure): each
// setting names some knobs ("rows_per_task:16,stage_input:1"), the rest keep hand's values.
// Hand and the settings are timed in `rounds` interleaved rounds, so slow drift of a shared
// machine hits them alike. The database is neither read nor written.
struct MeasuredKnobs {
    std::string knobs;  // the full knob string timed
    double ms = 0;      // median over the rounds
    double speedup = 0; // median over the rounds of hand ms / this ms
    std::string error;  // non-empty: failed to compile, run or match hand
};
std::vector<MeasuredKnobs> measure_knobs(const Task &task, Runner &runner,
                                         const std::vector<std::string> &settings, int rounds);

}  // namespace convgen::tune
