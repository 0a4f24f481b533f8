"""The "What stands in the way" section of docs/performance.md (no torch).

The mechanisms named here are the code's: keep them in step with it. The numbers are the
run's, at targets.DEFAULT_THREADS.
"""
from common import CLASSIFICATION, DETECTION, LOOP, good, median, ms, spread
from targets import (BYTES_PER_OPERATION, DEFAULT_THREADS, DETECTION_BUDGET,
                     END_TO_END_BUDGET, END_TO_END_THREADS, LOOP_N, LOOP_PASS_BUDGET,
                     bytes_per_iteration, fastest, floor_per_operation, needs_data,
                     process_instructions)


def obstacles(results):
    rows = [r for r in good(results) if r.get("threads") == DEFAULT_THREADS]
    by_name = {r["name"]: r for r in rows}
    models = [r for r in rows if r["kind"] == CLASSIFICATION]
    lines = ["## What stands in the way", ""]
    slow = [r for r in models if fastest(r, "pass") > fastest(r, "trace") / 100]
    if slow:
        closest = min(slow, key=lambda r: fastest(r, "pass") / fastest(r, "trace"))
        lines.append(
            "- **Pass ≤ 1/100 of the trace.** On these classifiers the pass runs "
            + ("no kernel" if all(r["kernels_run"] == 0 for r in slow) else
               "few kernels") + ", so its cost is the walk itself: "
            + ", ".join(f"{r['name']} {ms(r['specialize'])} specialize + "
                        f"{ms(r['cleanup'])} clean-up for {r['nodes_in']:,} scripted nodes"
                        for r in slow[:6])
            + (f" (and {len(slow) - 6} more, in the tables above)" if len(slow) > 6 else "")
            + ". The specialization pays, per node, hash-map lookups of abstract values and "
            "the evaluator's state, and for every shape decision (BatchNorm's `dim()` check "
            "after each convolution, `torch._assert` on sizes) metadata: answered by a "
            "formula where the code has one, else by a meta kernel through the dispatcher, "
            "once per signature (`metadata formula / dispatch / reused` in the pass table "
            "when this s2t-opt reports them). The clean-up sweeps dead code and pools "
            "constants over the whole flat graph, itself where no write could be dropped "
            "or each write surely writes memory read later, else with torch's passes and "
            "alias analysis"
            + (" (the instruction counts below split the two stages)" if any(
                r.get("instructions") for r in slow) else "")
            + f". The closest to its budget here is {closest['name']}, fastest pass "
            f"{ms(fastest(closest, 'pass'))} against {ms(fastest(closest, 'trace') / 100)}.")
        lines.append("")
    e2e = [r for r in good(results) if r.get("threads") == END_TO_END_THREADS
           and r["kind"] != LOOP and not needs_data(r)
           and fastest(r, "s2t_wall") > END_TO_END_BUDGET * fastest(r, "floor_wall")]
    if e2e:
        lines.append(
            f"- **End to end ≤ {END_TO_END_BUDGET}x the floor** ({END_TO_END_THREADS} "
            "threads). s2t-opt loads and saves the same archive as the floor and adds the "
            "pass and the printing of the flat method: "
            + ", ".join(f"{r['name']}: load {ms(r['load'])} vs {ms(r['floor_load'])}, "
                        f"emit {ms(r['emit'])} vs save {ms(r['floor_save'])}, pass "
                        f"{ms(r['pass'])}" for r in e2e[:6])
            + ". The emit writes the flat `forward` (every operation inlined, each with its "
            "inlined call stack for the debug records) on top of the methods the floor "
            "writes too; process start-up (library loading and operator registration) is "
            "the same for both and is most of the floor, so the budget of "
            f"{(END_TO_END_BUDGET - 1) * 100:.0f}% is a few tens of milliseconds. Beside "
            "LibTorch's load, a thread of s2t-opt checks the archive's pickles, code and "
            "debug records (issue 15's checks; the load waits only for the records it "
            "reaches; they read the archive's directory on that thread too), and after it "
            "s2t-opt reads every node's source range, 2–3 ms of efficientnet_b0's load "
            "stage (bench/profile.md); here its load "
            f"exceeds the floor's by {ms(median([r['load'] - r['floor_load'] for r in e2e]))} "
            "(median of these rows); once its files are written it ends with "
            "`_Exit`, where the floor tears down the static objects of LibTorch's libraries "
            "(~260M instructions by callgrind, bench/profile.md).")
        counted = [(r, process_instructions(results, r["name"])) for r in e2e]
        counted = [(r, c) for r, c in counted if c]
        system = ", ".join(f"{r['name']} {ms(r['s2t_sys'])} vs {ms(r['floor_sys'])}"
                           for r, _ in counted if "s2t_sys" in r)
        if counted:
            lines[-1] += (
                " Counted under callgrind on one thread, s2t-opt's process against the "
                "floor's: "
                + ", ".join(f"{r['name']} {c[0] / c[1]:.3f}x" for r, c in counted)
                + ". Where that is within the budget, s2t-opt executes no more than the "
                "budget allows beside the floor, and the wall time beyond it is not in "
                "instructions: it is in the system time"
                + (f" (medians {system})" if system else "")
                + ", the kernel giving the processes new pages (the parameters loaded, the "
                "archive written) at the speed the host backs them, and in what the counts "
                "do not see (cache and page misses, the host's slow periods, which a process "
                "meets or not: bench/profile.md, the host's modes).")
        lines.append("")
    loop = by_name.get(f"loop {LOOP_N:,}")
    if loop and fastest(loop, "pass") > LOOP_PASS_BUDGET:
        lines.append(
            f"- **The {LOOP_N:,}-iteration loop**: specialize {ms(loop['specialize'])}, "
            f"clean-up {ms(loop['cleanup'])}, {loop['pass'] / LOOP_N * 1e6:.1f} µs per "
            "iteration against 5. Each iteration walks the loop body again (abstract values, "
            "the evaluator's state, one `aten::add` built with its constants), and the "
            "clean-up passes run over the whole unrolled graph.")
        lines.append("")
    loops = {r["n"]: r for r in good(results) if r["kind"] == LOOP}
    per = bytes_per_iteration(loops)
    if per and per[2] > BYTES_PER_OPERATION:
        a, b, value = per
        built = floor_per_operation(loops, a, b, "build_floor")
        lines.append(
            f"- **Peak memory per unrolled operation**: {value:,.0f} B against "
            f"{BYTES_PER_OPERATION:,}. LibTorch's graph holds each operation as a `Node` "
            "(312 bytes in LibTorch 1.13) with its output `Value` (120), the value's name "
            "and a use in each input's list; the save prints the whole method into one "
            "string and pickles a source range per operation for the debug records"
            + (f": a LibTorch process that builds the same graph and saves it, and nothing "
               f"else, takes {built:,.0f} B per operation (bench/build_save.cpp)"
               if built is not None else "")
            + ". s2t-opt gives the flat graph to the module it saves without copying it"
            + ("; on top of the floor it holds the pages of the pass's per-value state, "
               "freed before the emit, that the save's buffers do not all reuse"
               if built is not None and value > built else "") + ".")
        lines.append("")
    for r in (r for r in rows if r["kind"] == DETECTION and r.get("run_eager")
              and fastest(r, "pass") > DETECTION_BUDGET * fastest(r, "run_eager")):
        lines.append(
            f"- **Detection.** {r['name']} runs {r['kernels_run']} kernels: the sizes that "
            "its decisions read after `aten::where(condition)` (the boxes kept), "
            "`aten::max` / `aten::min` and torchvision's `nms` and `roi_align` depend on "
            "data or have no meta kernel, so they are computed from the real values of "
            "their backward slice, which is most of the forward: pass "
            f"{ms(r['pass'])} against an eager forward of {ms(r.get('run_eager'))}"
            + (f" warm, and a first forward in a fresh process of {ms(r['first_forward'])} "
               f"in grad mode ({ms(r['first_forward_no_grad'])} without)"
               if r.get("first_forward") else "")
            + ": the pass is a first run, whose kernels allocate every buffer for the first "
            "time, and it evaluates in grad mode, as the program runs by default. "
            "(These decisions are counted as `shape` because they read sizes; they depend "
            "on data.)")
        lines.append("")
    flat_slow = [r for r in rows if r.get("run_flat") and r.get("run_trace")
                 and r["run_flat"] > r["run_trace"] * 1.05]
    if flat_slow:
        within = all(r["run_flat"] / r["run_trace"] <= 1 + max(
            0.05, spread(r["run_flat_all"]), spread(r["run_trace_all"])) for r in flat_slow)
        lines.append(
            "- **Converted run time.** The converted archive is slower than the trace "
            + ("within this run's noise band only (" if within else "(")
            + ", ".join(f"{r['name']} {r['run_flat'] / r['run_trace']:.2f}x"
                        for r in flat_slow)
            + "): it runs the same kernels in the same order as the scripted module (its "
            "output is bit-identical), and what it keeps beyond a trace is cheap: shape "
            "reads (`aten::size`) and the scalar arithmetic on them stay dynamic, and "
            "parameters are read with `prim::GetAttr`.")
        lines.append("")
    return lines
