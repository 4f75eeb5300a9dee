#include "search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include <fmt/core.h>

#include "knob_space.h"

namespace convgen::tune {

namespace {

class Clock {
public:
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct Member {
    Config config;
    double ms;
};

class Evolution {
public:
    Evolution(const KnobSpace &space, unsigned seed) : space_(space), rng_(seed) {}

    std::vector<Member> population;  // every successfully measured candidate, hand included
    std::set<std::string> tried;     // measured or failed
    std::deque<Config> seeds;        // proposed first, in order
    bool last_was_seed = false;      // the last proposal came from `seeds`

    // A new candidate not tried before, or nothing when the search cannot find one.
    std::optional<Config> propose() {
        last_was_seed = true;
        while (!seeds.empty()) {
            Config c = seeds.front();
            seeds.pop_front();
            if (space_.plausible(c) && !tried.count(KnobSpace::to_string(c))) return c;
        }
        last_was_seed = false;
        for (int attempt = 0; attempt < 500; attempt++) {
            Config c;
            const double r = uniform();
            if (population.size() < 5) {
                c = mutate(space_.hand(), 1 + (attempt > 50));  // first: hand's neighbours
            } else if (r < 0.1) {
                c = random_config();  // keeps the search from settling in one basin
            } else if (r < 0.25) {
                c = crossover(tournament(), tournament());
            } else {
                c = mutate(tournament(), uniform() < 0.6 ? 1 : 2);
            }
            if (attempt > 400) c = random_config();
            if (!space_.plausible(c) || tried.count(KnobSpace::to_string(c))) continue;
            return c;
        }
        return std::nullopt;
    }

private:
    double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

    // The fastest of three random members: selection pressure without losing diversity.
    const Config &tournament() {
        const Member *best = nullptr;
        for (int i = 0; i < 3; i++) {
            const Member &m = population[pick(population.size())];
            if (!best || m.ms < best->ms) best = &m;
        }
        return best->config;
    }

    // Changes `count` distinct knobs, mostly to a neighbouring value (tile sizes are ordered:
    // a good tile's neighbour is usually good too), sometimes to any value.
    Config mutate(Config c, int count) {
        const auto &knobs = space_.knobs();
        std::vector<size_t> order(knobs.size());
        for (size_t i = 0; i < order.size(); i++) order[i] = i;
        std::shuffle(order.begin(), order.end(), rng_);
        for (int k = 0; k < count && k < int(order.size()); k++) {
            const KnobDomain &d = knobs[order[k]];
            const auto at = std::find(d.values.begin(), d.values.end(), c[d.name]);
            const int i = at == d.values.end() ? 0 : int(at - d.values.begin());
            int j = i;
            if (uniform() < 0.7) {
                j = i + (uniform() < 0.5 ? -1 : 1);
                if (j < 0 || j >= int(d.values.size())) j = i + (j < 0 ? 1 : -1);
            }
            while (j == i && d.values.size() > 1) j = int(pick(d.values.size()));
            c[d.name] = d.values[std::clamp(j, 0, int(d.values.size()) - 1)];
        }
        return c;
    }

    Config crossover(const Config &a, const Config &b) {
        Config c = a;
        for (const auto &[k, v] : b) {
            if (uniform() < 0.5) c[k] = v;
        }
        return c;
    }

    Config random_config() {
        Config c;
        for (const KnobDomain &d : space_.knobs()) c[d.name] = d.values[pick(d.values.size())];
        return c;
    }

    const KnobSpace &space_;
    std::mt19937 rng_;
};

// One status line: rewritten in place on a terminal, else printed when something improves.
class Progress {
public:
    Progress(const Task &t, const SearchOptions &o) : label_(t.key() + " " + t.isa), o_(o) {}
    void update(int evals, double elapsed, double hand_ms, double best_ms, bool improved,
                const std::string &last) {
        const std::string line = fmt::format(
            "{}: {} evals {:5.1f}/{:.0f}s  hand {:.4g} ms  best {:.4g} ms ({:.3f}x)  {}", label_,
            evals, elapsed, o_.budget_s, hand_ms, best_ms, hand_ms / best_ms, last);
        if (o_.progress_tty) {
            fmt::print(stderr, "\r\033[K{}", line.substr(0, 160));
        } else if (improved) {
            fmt::print(stderr, "{}\n", line);
        }
        std::fflush(stderr);
    }
    void done() {
        if (o_.progress_tty) fmt::print(stderr, "\n");
    }

private:
    std::string label_;
    const SearchOptions &o_;
};

double median(std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
}

}  // namespace

SearchOutcome tune_task(const Task &task, Runner &runner, Database &db,
                        const SearchOptions &options) {
    const Clock clock;
    const KnobSpace space(task);
    const std::string hand = KnobSpace::to_string(space.hand());
    SearchOutcome out;

    // Hand first, always re-measured: it is the reference output for the correctness check
    // of every candidate, and the bar under today's machine load.
    const Timing h = runner.measure(task, hand);
    if (!h.error.empty()) {
        throw std::runtime_error(task.key() + " " + task.isa + ": the hand schedule failed: " +
                                 h.error);
    }
    db.record(task, hand, options.threads, h.ms, "", /*hand=*/true);
    out.hand_ms = h.ms;

    Evolution evo(space, options.seed);
    evo.population.push_back({space.hand(), h.ms});
    evo.tried.insert(hand);
    for (const auto &[knobs, ms] : db.measured(task, options.threads)) {
        if (knobs == hand || evo.tried.count(knobs)) continue;
        evo.population.push_back({KnobSpace::parse(knobs), ms});
        evo.tried.insert(knobs);
    }
    for (const auto &m : db.json()["measurements"]) {  // failed ones are not retried either
        if (m["problem"] == task.key() && m["isa"] == task.isa && m.contains("error")) {
            evo.tried.insert(m["knobs"].get<std::string>());
        }
    }

    // Seeds: the knobs of the database's winners for other shapes of this op and ISA, on
    // hand's values where their knob sets differ (a fixed window adds knobs).
    for (const auto &v : db.json().value("variants", nlohmann::ordered_json::array())) {
        if (v.value("op", "") != task.op || !v.contains("knobs") ||
            v.value("isas", nlohmann::ordered_json::array()) !=
                nlohmann::ordered_json::array({task.isa})) {
            continue;
        }
        Config c = space.hand();
        for (const auto &[name, value] : KnobSpace::parse(v["knobs"].get<std::string>())) {
            if (c.count(name)) c[name] = value;
        }
        evo.seeds.push_back(c);
    }

    Progress progress(task, options);
    auto best_other = [&]() -> const Member * {
        const Member *best = nullptr;
        for (const Member &m : evo.population) {
            if (KnobSpace::to_string(m.config) != hand && (!best || m.ms < best->ms)) best = &m;
        }
        return best;
    };
    double best_ms = h.ms;
    for (const Member &m : evo.population) best_ms = std::min(best_ms, m.ms);
    progress.update(0, clock.seconds(), h.ms, best_ms, true, "hand " + hand);

    int since_better = 0;  // measurements since the best improved by 1%
    while (clock.seconds() < options.budget_s &&
           (options.max_evaluations <= 0 || out.evaluations < options.max_evaluations)) {
        if (options.patience > 0 && since_better >= options.patience) {
            out.stopped_early = true;
            break;
        }
        const auto candidate = evo.propose();
        if (!candidate) break;  // the space is exhausted
        if (evo.last_was_seed) out.seeds++;
        const std::string knobs = KnobSpace::to_string(*candidate);
        const Timing t = runner.measure(task, knobs);
        out.evaluations++;
        evo.tried.insert(knobs);
        db.record(task, knobs, options.threads, t.ms, t.error, false);
        db.save();  // an interrupted run keeps what it measured
        bool improved = false;
        since_better++;
        if (t.error.empty()) {
            evo.population.push_back({*candidate, t.ms});
            improved = t.ms < best_ms;
            if (t.ms < 0.99 * best_ms) since_better = 0;
            best_ms = std::min(best_ms, t.ms);
        } else {
            fmt::print(stderr, "\n{} {}: {} failed: {}\n", task.key(), task.isa, knobs,
                       t.error.substr(0, 200));
        }
        progress.update(out.evaluations, clock.seconds(), h.ms, best_ms, improved,
                        t.error.empty() ? fmt::format("{:.4g} ms {}", t.ms, knobs) : "failed");
    }
    progress.done();

    out.known = int(evo.population.size());
    if (const Member *best = best_other()) {
        out.best_knobs = KnobSpace::to_string(best->config);
        out.best_ms = best->ms;
        // Confirm before writing a variant: the search keeps the luckiest of many noisy
        // samples, so hand and the winner are re-measured back to back, interleaved.
        if (h.ms / best->ms - 1 >= options.min_gain && options.confirm_rounds > 0) {
            std::vector<double> hs, bs;
            for (int r = 0; r < options.confirm_rounds; r++) {
                const Timing th = runner.measure(task, hand);
                const Timing tb = runner.measure(task, out.best_knobs);
                if (!th.error.empty() || !tb.error.empty()) {
                    hs.clear();
                    break;
                }
                hs.push_back(th.ms);
                bs.push_back(tb.ms);
            }
            if (!hs.empty()) {
                const double hm = median(hs), bm = median(bs);
                fmt::print(stderr, "{} {}: confirmed hand {:.4g} ms, tuned {:.4g} ms ({:.3f}x)\n",
                           task.key(), task.isa, hm, bm, hm / bm);
                if (hm / bm - 1 >= options.min_gain) {
                    Result r;
                    r.hand_ms = hm;
                    r.tuned_ms = bm;
                    r.knobs = out.best_knobs;
                    r.evaluations = out.known;
                    r.threads = options.threads;
                    r.machine_class = runner.machine_class();
                    out.variant = r;
                }
            }
        }
    }
    out.seconds = clock.seconds();
    if (out.variant) out.variant->seconds = out.seconds;
    db.set_variant(task, out.variant);
    db.save();
    return out;
}

std::vector<MeasuredKnobs> measure_knobs(const Task &task, Runner &runner,
                                         const std::vector<std::string> &settings, int rounds) {
    const KnobSpace space(task);
    std::vector<MeasuredKnobs> rows(settings.size() + 1);
    rows[0].knobs = KnobSpace::to_string(space.hand());
    for (size_t i = 0; i < settings.size(); ++i) {
        Config c = space.hand();
        for (const auto &[name, value] : KnobSpace::parse(settings[i])) {
            if (!c.count(name)) {
                throw std::runtime_error("--measure: " + task.op + " has no knob '" + name + "'");
            }
            c[name] = value;
        }
        rows[i + 1].knobs = KnobSpace::to_string(c);
    }
    std::vector<std::vector<double>> ms(rows.size());
    for (int r = 0; r < std::max(rounds, 1); ++r) {
        for (size_t i = 0; i < rows.size(); ++i) {
            if (!rows[i].error.empty()) continue;
            const Timing t = runner.measure(task, rows[i].knobs);  // hand first: the reference
            if (!t.error.empty()) {
                if (i == 0) throw std::runtime_error("the hand schedule failed: " + t.error);
                rows[i].error = t.error;
                continue;
            }
            ms[i].push_back(t.ms);
        }
    }
    for (size_t i = 0; i < rows.size(); ++i) {
        if (!rows[i].error.empty()) continue;
        std::vector<double> ratio;
        for (size_t r = 0; r < ms[i].size(); ++r) ratio.push_back(ms[0][r] / ms[i][r]);
        rows[i].ms = median(ms[i]);
        rows[i].speedup = median(ratio);
    }
    return rows;
}

}  // namespace convgen::tune
