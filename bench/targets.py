"""The targets of docs/performance.md, as rows computed from a run's results (no torch).

targets17(): issue 17's table, one row per subject and thread count it names; issue5():
what is left of issue 5's targets (peak memory, run time of the converted archive, the
loops' scaling). Each row: {"target", "subject", "threads", "budget", "measured",
"met", "detail"}; met is True, False, "noise" (within the repetitions' noise), "floor"
(missed, and LibTorch's own floor, measured in the run, is over the budget),
"instructions" (an end-to-end row missed in wall time whose s2t-opt process, counted under
callgrind, executes no more than the budget allows beside the floor's), None (not
measured in this run) or "n/a" (the target does not apply to the subject).
"""
from common import (CLASSIFICATION, DETECTION, LOOP, fraction, fx, good, mib, ms, n_threads,
                    ratio, spread)
from instructions import per_iteration

# Issue 17, part 5. Rows that name no thread count are taken at DEFAULT_THREADS.
LOOP_N = 100000
LOOP_PASS_BUDGET = 0.5          # seconds
LOOP_END_TO_END_BUDGET = 3.0    # seconds
BYTES_PER_OPERATION = 1000      # 1 KB
PASS_OVER_TRACE = 0.01
NAMED_PASS_ROWS = [("resnet50", 1), ("resnet50", 2), ("mobilenet_v3_large", 1),
                   ("efficientnet_b0", 1)]
END_TO_END_FIRST = "resnet50"
END_TO_END_THREADS = 2
END_TO_END_BUDGET = 1.05
DETECTION_BUDGET = 1.2          # the eager forward + 20%
DEFAULT_THREADS = 1


def fastest(r, key):
    """The fastest of a subject's runs of `key` (the value itself where the run kept one).
    The targets compare the fastest run of each side: on these machines interference
    mostly adds time (the host's modes in bench/profile.md: a process meets a slow period
    or not, and s2t-opt and the floor meet them at random), so the fastest run estimates
    what each program costs, as LLVM's LNT aggregates compile times by their minimum. Not
    always: a process can also meet an unusually fast period (s3d's floor in the fourteenth
    session's run, 639 ms against its median of 927 ms), so each row gives the medians
    beside it."""
    return min(r.get(f"{key}_all") or [r[key]])


def pick(rows, name, threads):
    return next((r for r in rows if r["name"] == name and r.get("threads") == threads), None)


def row(target, subject, threads, budget, measured=None, met=None, detail=""):
    return {"target": target, "subject": subject, "threads": threads, "budget": budget,
            "measured": measured, "met": met, "detail": detail}


def over(value, budget, unit=ms):
    """The gap of a missed budget: how many times over and by how much."""
    return f"{value / budget:.1f}x the budget, {unit(value - budget)} over"


def bytes_per_iteration(loops):
    """(n_a, n_b, bytes of peak memory per iteration between them) over the two largest
    loops of the run, or None."""
    ns = sorted(loops)
    if len(ns) < 2:
        return None
    a, b = ns[-2], ns[-1]
    return a, b, (loops[b]["s2t_rss"] - loops[a]["s2t_rss"]) * 1024 / (b - a)


def floor_per_operation(loops, a, b, floor):
    """Bytes of a floor process's peak memory per operation between loops a and b, or
    None where the run did not measure that floor."""
    if floor not in loops[a] or floor not in loops[b]:
        return None
    return (loops[b][floor]["rss"] - loops[a][floor]["rss"]) * 1024 / (b - a)


def not_measured(target, subject, threads, budget, why="not measured in this run"):
    return row(target, subject, threads, budget, detail=why)


def why_missing(results, name, count):
    """Why a subject has no measured row at this thread count."""
    for r in results:
        if r["name"] == name and "error" in r and r.get("threads") in (None, count):
            return ("absent: " if r.get("absent") else "failed: ") + r["error"][:200]
    return f"not measured at {n_threads(count)} in this run"


def names(results, kinds):
    """The subjects of these kinds, in the run's order, measured or not."""
    return list(dict.fromkeys(r["name"] for r in results if r["kind"] in kinds))


def pass_over_trace(results, target, subject, threads):
    budget = "≤ 1/100"
    r = pick(good(results), subject, threads)
    if r is None:
        return not_measured(target, subject, threads, budget,
                            why_missing(results, subject, threads))
    passed, traced = fastest(r, "pass"), fastest(r, "trace")
    q = passed / traced
    allowed = traced * PASS_OVER_TRACE
    met = q <= PASS_OVER_TRACE
    return row(target, subject, threads, budget, fraction(q), met,
               f"pass {ms(passed)}, trace {ms(traced)}: "
               + (f"{ms(allowed - passed)} under the budget of {ms(allowed)}" if met
                  else over(passed, allowed))
               + f"; medians {ms(r['pass'])} and {ms(r['trace'])}: {fraction(r['pass'] / r['trace'])}")


def process_instructions(results, name):
    """(s2t-opt's, the floor's) instructions in the whole process, counted under
    callgrind on one thread, or None where the run did not count both."""
    for r in results:
        counted = r.get("instructions") or {}
        if r["name"] == name and counted.get("floor_process"):
            return counted["process"], counted["floor_process"]
    return None


def instructions_ratio(results, name):
    """"; in instructions ..." for a model whose s2t-opt and floor processes were counted
    under callgrind (one thread), else ""."""
    counted = process_instructions(results, name)
    if counted is None:
        return ""
    mine, floor = counted
    return (f"; in instructions (callgrind, one thread) {mine / 1e9:.2f} G "
            f"vs the floor's {floor / 1e9:.2f} G: {mine / floor:.3f}x")


END_TO_END_TARGET = "end to end / floor (load + save)"


def missed_end_to_end(results):
    """The models whose end-to-end row misses its budget in wall time."""
    return {t["subject"] for t in targets17(results)
            if t["target"] == END_TO_END_TARGET and t["met"] in (False, "instructions")}


def needs_data(r):
    """Whether a conversion needed a decision on data: it ran kernels (a size after
    `aten::where`, nms, ...: counted as shape decisions, but they read values)."""
    return r["kernels_run"] > 0 or r["decisions"].get("data", 0) > 0


def targets17(results):
    rows = []
    measured = good(results)
    loops = {r["n"]: r for r in measured if r["kind"] == LOOP
             and r.get("threads") == DEFAULT_THREADS}

    # The 100,000-iteration loop, on one thread.
    loop = loops.get(LOOP_N)
    subject = f"loop {LOOP_N:,}"
    target = "pass (specialize + cleanup), 100k-iteration `x = x + 1` loop"
    budget = (f"≤ {LOOP_PASS_BUDGET} s (≤ {LOOP_PASS_BUDGET / LOOP_N * 1e6:.0f} µs per "
              "iteration)")
    per = per_iteration({n: r["instructions"] for n, r in loops.items()
                         if r.get("instructions")})
    counted = (f"callgrind: {per[2]:,.0f} instructions per iteration in the pass "
               f"({per[0]:,} → {per[1]:,} iterations)") if per else ""
    if loop:
        passed = fastest(loop, "pass")
        met = passed <= LOOP_PASS_BUDGET
        rows.append(row(target, subject, DEFAULT_THREADS, budget,
                        f"{ms(passed)} ({passed / LOOP_N * 1e6:.1f} µs per iteration)",
                        met, "; ".join(x for x in (
                            "" if met else over(passed, LOOP_PASS_BUDGET), counted,
                            f"median {ms(loop['pass'])}") if x)))
    else:
        rows.append(not_measured(target, subject, DEFAULT_THREADS, budget))
    target = "s2t-opt end to end, same loop"
    budget = f"≤ {LOOP_END_TO_END_BUDGET:.0f} s"
    if loop:
        wall = fastest(loop, "s2t_wall")
        met = wall <= LOOP_END_TO_END_BUDGET
        rows.append(row(target, subject, DEFAULT_THREADS, budget, ms(wall), met,
                        f"median {ms(loop['s2t_wall'])}: load {ms(loop['load'])}, pass "
                        f"{ms(loop['pass'])}, emit {ms(loop['emit'])}, the rest "
                        f"{ms(loop['s2t_wall'] - loop['total'])}"
                        + ("" if met else "; " + over(wall, LOOP_END_TO_END_BUDGET))
                        + (f"; LibTorch's floor, loading and saving the flat archive: "
                           f"{ms(loop['flat_floor']['wall'])} (its save "
                           f"{ms(loop['flat_floor']['save'])})" if "flat_floor" in loop
                           else "")))
    else:
        rows.append(not_measured(target, subject, DEFAULT_THREADS, budget))
    target = "peak memory per unrolled operation"
    budget = "≤ 1 KB"
    per = bytes_per_iteration(loops)
    if per:
        a, b, value = per
        met = value <= BYTES_PER_OPERATION
        floors = []
        built = floor_per_operation(loops, a, b, "build_floor")
        if built is not None:
            floors.append(f"LibTorch's floor, building the same flat graph node by node and "
                          f"saving it (bench/build_save.cpp): {built:,.0f} B per operation, "
                          f"s2t-opt {value / built:.2f}x it")
            # The budget is below what LibTorch needs to hold and write the graph.
            if not met and built > BYTES_PER_OPERATION:
                met = "floor"
        loaded = floor_per_operation(loops, a, b, "flat_floor")
        if loaded is not None:
            floors.append(f"loading and saving the flat archives: {loaded:,.0f} B per "
                          f"operation")
        rows.append(row(target, f"loops {a:,} → {b:,}", DEFAULT_THREADS, budget,
                        f"{value:,.0f} B", met,
                        f"peak {mib(loops[a]['s2t_rss'])} → {mib(loops[b]['s2t_rss'])} for "
                        f"{b - a:,} more `aten::add`" + ("" if met is True else "; " + over(
                            value, BYTES_PER_OPERATION, lambda v: f"{v:,.0f} B"))
                        + "".join("; " + floor for floor in floors)))
    else:
        rows.append(not_measured(target, "loops", DEFAULT_THREADS, budget,
                                 "needs two loops in the run"))

    # Pass against trace: the models the issue names, then every other classifier.
    for name, threads in NAMED_PASS_ROWS:
        rows.append(pass_over_trace(results, "pass / trace", name, threads))
    named = {name for name, _ in NAMED_PASS_ROWS}
    for name in names(results, (CLASSIFICATION,)):
        if name not in named:
            rows.append(pass_over_trace(results, "pass / trace (every other classifier)",
                                        name, DEFAULT_THREADS))

    # End to end against the floor, at 2 threads, on every model that needs no data
    # decision.
    target = END_TO_END_TARGET
    budget = f"≤ {END_TO_END_BUDGET}x"
    for name in dict.fromkeys([END_TO_END_FIRST] + names(results, (CLASSIFICATION, DETECTION))):
        r = pick(measured, name, END_TO_END_THREADS)
        if r is None:
            rows.append(not_measured(target, name, END_TO_END_THREADS, budget,
                                     why_missing(results, name, END_TO_END_THREADS)))
            continue
        wall, floor_wall = fastest(r, "s2t_wall"), fastest(r, "floor_wall")
        q = wall / floor_wall
        if needs_data(r):
            rows.append(row(target, name, END_TO_END_THREADS, budget, fx(q), "n/a",
                            f"needs data decisions ({r['kernels_run']} kernels run): "
                            "the target is for models that need none"))
            continue
        allowed = floor_wall * END_TO_END_BUDGET
        met = q <= END_TO_END_BUDGET
        # Missed in wall time: the instructions each process executed say how much of
        # the gap is s2t-opt's work; the system time is where the host's memory shows
        # (bench/profile.md).
        counted = process_instructions(results, name)
        if not met and counted and counted[0] / counted[1] <= END_TO_END_BUDGET:
            met = "instructions"
        rows.append(row(target, name, END_TO_END_THREADS, budget, fx(q, 3), met,
                        f"{ms(wall)} vs floor {ms(floor_wall)}: "
                        + (f"{ms(allowed - wall)} under the budget" if met is True
                           else over(wall, allowed))
                        + f"; medians {ms(r['s2t_wall'])} vs {ms(r['floor_wall'])} "
                        f"({fx(r['s2t_wall'] / r['floor_wall'], 3)})"
                        + ("" if met is True or "s2t_sys" not in r else
                           f", of which system time {ms(r['s2t_sys'])} vs "
                           f"{ms(r['floor_sys'])}")
                        + instructions_ratio(results, name)))

    # Detection: the pass against the model's own (eager) forward on the sample.
    target = "detection pass"
    budget = "≤ forward + 20%"
    detectors = [r for r in measured if r["kind"] == DETECTION]
    for name in names(results, (DETECTION,)):
        if not any(r["name"] == name for r in detectors):
            rows.append(not_measured(target, name, DEFAULT_THREADS, budget,
                                     why_missing(results, name, DEFAULT_THREADS)))
    for r in detectors:
        if r.get("run_eager") is None:
            rows.append(not_measured(target, r["name"], r["threads"], budget,
                                     "no eager forward in this run"))
            continue
        passed, forward = fastest(r, "pass"), fastest(r, "run_eager")
        q = passed / forward
        allowed = forward * DETECTION_BUDGET
        met = q <= DETECTION_BUDGET
        rows.append(row(target, r["name"], r["threads"], budget, f"{fx(q)} the forward", met,
                        f"pass {ms(passed)}, eager forward {ms(forward)} ("
                        f"{r['kernels_run']} kernels run): "
                        + (f"{ms(allowed - passed)} under the budget" if met
                           else over(passed, allowed))
                        + f"; medians {ms(r['pass'])} and {ms(r['run_eager'])}"))
    if not names(results, (DETECTION,)):
        rows.append(not_measured(target, "fasterrcnn_mobilenet_v3_large_320_fpn",
                                 DEFAULT_THREADS, budget))
    # The same pass against the model's first forward in a fresh process, in grad mode
    # as the pass evaluates (bench/first_forward.py): the pass is necessarily a first run.
    target = "detection pass, first forward"
    budget = "≤ first forward + 20%"
    for r in detectors:
        if r.get("first_forward") is None:
            continue
        passed, forward = fastest(r, "pass"), fastest(r, "first_forward")
        q = passed / forward
        allowed = forward * DETECTION_BUDGET
        met = q <= DETECTION_BUDGET
        rows.append(row(target, r["name"], r["threads"], budget, f"{fx(q)} the first forward",
                        met,
                        f"pass {ms(passed)}, first forward {ms(forward)} in grad "
                        f"mode ({ms(fastest(r, 'first_forward_no_grad'))} without): "
                        + (f"{ms(allowed - passed)} under the budget" if met
                           else over(passed, allowed))
                        + f"; medians {ms(r['pass'])} and {ms(r['first_forward'])}"))
    return rows


def issue5(results):
    """Issue 5's targets that issue 17 does not restate, at DEFAULT_THREADS."""
    rows = []
    measured = [r for r in good(results) if r.get("threads") == DEFAULT_THREADS]
    for r in measured:
        if r["kind"] != CLASSIFICATION:
            continue
        q = ratio(r["s2t_rss"], r["floor_rss"])
        rows.append(row("peak memory ≤ 1.2x floor", r["name"], DEFAULT_THREADS, "≤ 1.2x",
                        fx(q), q <= 1.2,
                        f"{mib(r['s2t_rss'])} vs floor {mib(r['floor_rss'])}"))
    for r in measured:
        if r.get("run_flat") is None:
            continue
        q = ratio(r["run_flat"], r["run_trace"])
        noise = max(0.05, spread(r["run_flat_all"]), spread(r["run_trace_all"]))
        met = True if q <= 1.0 else "noise" if q <= 1.0 + noise else False
        rows.append(row("converted runs no slower than trace", r["name"], DEFAULT_THREADS,
                        "≤ 1x", fx(q), met,
                        f"{(q - 1) * 100:+.0f}% ({ms(r['run_flat'])} vs {ms(r['run_trace'])}), "
                        f"noise band {noise * 100:.0f}%"))
    loops = {r["n"]: r for r in measured if r["kind"] == LOOP}
    if LOOP_N in loops:
        r = loops[LOOP_N]
        q = r["trace"] / r["pass"]
        rows.append(row("100k loop: pass ≥ 5x faster than trace", f"loop {LOOP_N:,}",
                        DEFAULT_THREADS, "≥ 5x", f"{q:.1f}x faster", q >= 5,
                        f"pass {ms(r['pass'])}, trace {ms(r['trace'])}"))
    if all(n in loops for n in (1000, 10000, 100000)):
        for key, label, scale, unit in (("s2t_wall", "time", 1e6, "µs"),
                                        ("pass", "pass time", 1e6, "µs"),
                                        ("s2t_rss", "memory", 1024, "B")):
            a, b, c = (loops[n][key] for n in (1000, 10000, 100000))
            early, late = (b - a) / 9000, (c - b) / 90000
            q = late / early if early > 0 else float("inf")
            rows.append(row(f"linear scaling of {label}", "loops 1k→10k→100k",
                            DEFAULT_THREADS, "≤ 1.5", f"{q:.2f}", q <= 1.5,
                            f"per iteration {early * scale:.1f} {unit} (1k→10k), "
                            f"{late * scale:.1f} {unit} (10k→100k)"))
    return rows


def verdict(met):
    return {True: "met", False: "**missed**", "noise": "met (within noise)",
            "floor": "**missed**: the budget is below LibTorch's floor",
            "instructions": "**missed** in wall time, met in instructions",
            "n/a": "n/a", None: "not measured"}[met]
