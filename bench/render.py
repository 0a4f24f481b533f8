"""The rendering half of bench/run.py: docs/performance.md from a run's results.

Pure functions of the result dicts measure.py returns and of the run's info; no torch,
no processes. `run.py --rerender RESULTS_JSON` calls them alone. The targets are in
targets.py, the "What stands in the way" section in notes.py, the plot in plot.py.
"""
import os

from common import (LOOP, count, fraction, fx, good, median, mib, ms, ms_spread, n_threads,
                    ratio)
from instructions import per_iteration
from notes import obstacles
from targets import DEFAULT_THREADS, issue5, targets17, verdict

SLOW_PAGE_MS = 1.0  # a 2 MiB page the host backs again takes ~3.5 ms here, else ~0.15 ms


def kib_text(kib):
    return f"{kib // 1024} MiB" if kib % 1024 == 0 else f"{kib} KiB"


def fresh_memory(info):
    """The line on the probes of new memory taken through the run, or None."""
    probes = info.get("fresh_pages") or []
    times = [t for p in probes for t in p["ms"]]
    if not times:
        return None
    slow = [t for t in times if t > SLOW_PAGE_MS]
    fast = [t for t in times if t <= SLOW_PAGE_MS]
    huge = sum(p.get("huge", 0) for p in probes)
    slow_probes = sum(any(t > SLOW_PAGE_MS for t in p["ms"]) for p in probes)
    text = (f"- **new memory** (fresh_page_probe in bench/measure.py, {len(probes)} probes "
            f"between the subjects, {len(times)} new 2 MiB pages filled, {huge} of them "
            "given as huge pages): ")
    if fast:
        text += f"{ms(median(fast) / 1e3)} a page (median)"
    if slow:
        text += ((", but " if fast else "") + f"{len(slow)} of {len(times)} took "
                 f"{ms(min(slow) / 1e3)}–{ms(max(slow) / 1e3)} (median "
                 f"{ms(median(slow) / 1e3)}), in {slow_probes} of the {len(probes)} probes")
    reporting = info.get("page_reporting")
    if reporting:
        text += (f". The guest reports freed memory to its host (virtio-balloon free page "
                 f"reporting, blocks of order {reporting['order']} = "
                 f"{kib_text(4 << reporting['order'])}, {reporting['reported_gib']:,.0f} GiB "
                 "since boot), and the host backs such a block again on its first touch, off "
                 "the guest's CPU. Slow pages come in streaks, and so do the processes. A "
                 "classifier's pass needs about one new 2 MiB page: s2t-opt has a helper "
                 "thread touch 8 MiB while the model loads and frees it for the pass "
                 "(tools/allocator/WarmReserve.h); the rest of a process (its load, its "
                 "emit, the floor's load and save) meets new memory as it comes. The targets "
                 "compare the fastest run of each side")
    return text


def threads_text(info):
    counts = info["threads"]
    return counts if isinstance(counts, list) else [counts]


def run_section(results, info, args, total_seconds):
    lines = []
    add = lines.append
    measured = good(results)
    counts = threads_text(info)
    add("## The run")
    add("")
    add("```")
    add(info["command"])
    add("```")
    if info.get("rerendered"):
        add("")
        add("(This report was written again from that run's results.json by "
            "`bench/run.py --rerender`; the numbers are the run's.)")
    if info.get("instructions_from"):
        add("")
        add("The instruction counts are those of an earlier run of the same s2t-opt binary "
            "(callgrind's counts do not move with the machine's load), merged into this "
            f"run's results.json: `{info['instructions_from']}`.")
    add("")
    add(f"- machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']:.0f} GiB; "
        f"{info['os']}")
    add(f"- torch {info['torch']}, torchvision {info['torchvision']}; Python "
        f"{info['python']}; {info['s2t_version']} at commit {info['commit']}")
    add(f"- threads: every model at {' and at '.join(map(n_threads, counts))}, the same "
        "count on every side (`torch.set_num_threads(N)` for tracing and running; "
        "`s2t-opt --threads=N`; OMP_NUM_THREADS=N and MKL_NUM_THREADS=N for s2t-opt and the "
        f"floor process); the loops at {n_threads(info.get('loop_threads', counts[0]))}")
    la0, la1 = info["load_start"], info["load_end"]
    during = [x for r in measured for x in r.get("load1", []) + r.get("load_samples", [])]
    busy = la0[0] > 0.3 * info["cores"]
    text = (f"- **load average** (1, 5, 15 min): {la0[0]:.2f} {la0[1]:.2f} {la0[2]:.2f} at "
            f"the start, {la1[0]:.2f} {la1[1]:.2f} {la1[2]:.2f} at the end of the timings")
    if during:
        text += (f"; the 1-minute load sampled during them was {min(during):.2f}–"
                 f"{max(during):.2f} (median {median(during):.2f}) on {info['cores']} "
                 "cores, the benchmark's own processes included")
    text += (": other work was running at the start" if busy else
             ": the machine was otherwise idle at the start")
    if info.get("load_after_instructions"):
        la2 = info["load_after_instructions"]
        text += (f"; {la2[0]:.2f} {la2[1]:.2f} {la2[2]:.2f} after the instruction counts "
                 f"(valgrind, {info.get('instructions_seconds', 0) / 60:.0f} min, after "
                 "the timings)")
    add(text)
    probes = info.get("probe_start"), info.get("probe_end")
    if all(probes):
        n = max(probes[0])
        worse = n > 1 and max(probes[0][n] / probes[0][1], probes[1][n] / probes[1][1]) > 1
        add(f"- contention probe (eager mobilenet_v3_large forward, median of 5): "
            f"{ms(probes[0][1])} on 1 thread, {ms(probes[0][n])} on {n} at the start; "
            f"{ms(probes[1][1])} and {ms(probes[1][n])} at the end"
            + (". More threads were slower: the machine was oversubscribed, and the "
               "kernel-bound numbers at more than one thread (tracing, forward, kernels "
               "that s2t-opt runs) are inflated" if worse else ""))
    fresh = fresh_memory(info)
    if fresh:
        add(fresh)
    runs = getattr(args, "process_reps", args.reps)
    add(f"- {args.reps} repetitions of everything (at most 3 for the 100,000-iteration loop, "
        f"whose trace takes half a minute; the loops' converted archives are run up to "
        f"{getattr(args, 'loop_runtime_max', 10000):,} iterations)"
        + (f", and {runs} runs of each s2t-opt and floor process (fresh processes, cheap "
           f"beside a trace, whose times come in two modes on these machines)"
           if runs > args.reps else "")
        + f"; {info['date']}; the run took {total_seconds / 60:.0f} min")
    add("- trace: `torch.jit.trace(eager, sample, check_trace=False, strict=False)` under "
        "`torch.no_grad()`; pass: s2t-opt's `specialize` + `cleanup` seconds from "
        "`--stats-json`; end to end: wall time of the process, start to exit; floor: "
        "`bench-load-save` (bench/load_save.cpp), a LibTorch process that loads the archive "
        "and saves it, linked with s2t-opt's allocator and its settings (mimalloc on large "
        "OS pages, tools/allocator); each s2t-opt and floor process writes a file that does "
        "not exist yet (the bench removes it first: s2t-opt writes beside its output and "
        "renames over it, where the floor would truncate an old output and write into the "
        "pages it just freed); memory floor of the loops: `bench-build-save` "
        "(bench/build_save.cpp), a LibTorch process that builds the loop's flat graph node "
        "by node and saves it, with the same allocator; peak memory: max RSS from GNU "
        "time; run time: forward on the sample "
        "after 2 warm-up calls; eager: the model's own forward on the sample; instructions: "
        "s2t-opt under callgrind on one thread (bench/instructions.py)")
    samples = {}
    for r in measured:
        if r["kind"] != LOOP:
            samples.setdefault(r.get("sample", "?"), []).append(r["name"])
    if samples:
        add("- models: torchvision with weights=None (random weights, nothing downloaded): "
        "resnet50 and mobilenet_v3_large, the classification models of test/models/zoo.py "
        "(image and video classifiers, the zoo's configuration and sample) and one "
            "detection model; samples: "
            + "; ".join(f"{shape} for {', '.join(dict.fromkeys(names))}"
                        for shape, names in samples.items()))
    add("- the loop is `for _ in range(n): x = x + 1` on `tensor([0.0])`, scripted with `n` "
        "an argument (`--specialize-input=n=N`) and traced eagerly with the same `n`")
    add("")
    return lines


def targets_table(rows):
    lines = ["| target | subject | threads | budget | measured | | detail (the gap when "
             "missed) |", "|---|---|---|---|---|---|---|"]
    for t in rows:
        lines.append(f"| {t['target']} | {t['subject']} | {t['threads']} | {t['budget']} | "
                     f"{t['measured'] or '–'} | {verdict(t['met'])} | {t['detail']} |")
    return lines


def pass_table(measured):
    metadata = any("metadata_formula" in r or "metadata_dispatch" in r for r in measured)
    head = ("| model | threads | nodes in → out | decisions (const/shape/data) | kernels run | "
            + ("metadata formula / dispatch / reused | " if metadata else "")
            + "torch.jit.trace | s2t pass | specialize | cleanup | pass / trace | "
            "pass instructions | process instructions |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in measured:
        d = r["decisions"]
        ins = r.get("instructions") or {}
        lines.append(
            f"| {r['name']} | {r.get('threads', '?')} | {r['nodes_in']:,} → "
            f"{r['nodes_out']:,} | {d['constant']}/{d['shape']}/{d['data']} | "
            f"{r['kernels_run']} | "
            + (f"{r.get('metadata_formula', '–')} / {r.get('metadata_dispatch', '–')} / "
               f"{r.get('metadata_reused', '–')} | " if metadata else "")
            + f"{ms_spread(r['trace_all'])} | {ms_spread(r['pass_all'])} | "
            f"{ms(r['specialize'])} | {ms(r['cleanup'])} | "
            f"{fraction(r['pass'] / r['trace'])} | "
            f"{count(ins.get('pass'))} | {count(ins.get('process'))} |")
    lines.append("")
    lines.append("Instructions are counted once per subject, on one thread (valgrind "
                 "serializes threads), and shown on its 1-thread row.")
    return lines


def floor_tables(measured):
    lines = ["| model | threads | s2t-opt wall | floor wall | ratio | s2t-opt CPU | floor CPU | "
             "s2t-opt peak | floor peak | ratio |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in measured:
        lines.append(
            f"| {r['name']} | {r.get('threads', '?')} | {ms_spread(r['s2t_wall_all'])} | "
            f"{ms_spread(r['floor_wall_all'])} | {fx(ratio(r['s2t_wall'], r['floor_wall']), 3)} | "
            f"{ms(r['s2t_cpu'])} | {ms(r['floor_cpu'])} | {mib(r['s2t_rss'])} | "
            f"{mib(r['floor_rss'])} | {fx(ratio(r['s2t_rss'], r['floor_rss']))} |")
    lines += ["", "Times are the median ± half the range of the repetitions, over the median. "
              "CPU is user + system time of the process (less sensitive to other load than "
              "wall time). The floor of a loop is the load and save of the small scripted "
              "loop archive.", "", "### Where the time goes", "",
              "s2t-opt's stages from `--stats-json` (\"load\" counts from the start of "
              "`main`'s work to the loaded graph; \"emit\" writes the archive) next to the "
              "floor's own load and save; \"process\" is the wall time outside them: starting "
              "the process, loading the shared libraries, registering operators, exiting.", "",
              "| model | threads | s2t process | s2t load | specialize | cleanup | s2t emit | "
              "floor process | floor load | floor save |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in measured:
        lines.append(
            f"| {r['name']} | {r.get('threads', '?')} | {ms(r['s2t_wall'] - r['total'])} | "
            f"{ms(r['load'])} | {ms(r['specialize'])} | {ms(r['cleanup'])} | "
            f"{ms(r['emit'])} | {ms(r['floor_wall'] - r['floor_load'] - r['floor_save'])} | "
            f"{ms(r['floor_load'])} | {ms(r['floor_save'])} |")
    return lines


def runtime_table(measured):
    lines = ["| model | threads | converted | scripted | eager trace | eager forward | calls "
             "each | converted / trace | converted / scripted | same output as scripted |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in measured:
        if r.get("run_flat") is None:
            continue
        same = r.get("same_output")
        lines.append(
            f"| {r['name']} | {r.get('threads', '?')} | {ms_spread(r['run_flat_all'])} | "
            f"{ms_spread(r['run_scripted_all'])} | {ms_spread(r['run_trace_all'])} | "
            f"{ms_spread(r.get('run_eager_all'))} | {len(r['run_flat_all'])} | "
            f"{fx(ratio(r['run_flat'], r['run_trace']))} | "
            f"{fx(ratio(r['run_flat'], r['run_scripted']))} | "
            f"{'yes' if same is True else ('no: ' + str(same) if same else 'no')} |")
    return lines


def loop_section(loops):
    lines = ["## Loop scaling", "",
             "| iterations | threads | s2t-opt wall | s2t pass | s2t load / specialize / "
             "cleanup / emit | s2t-opt peak | trace | trace / pass | trace / end to end |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in loops:
        lines.append(
            f"| {r['n']:,} | {r.get('threads', '?')} | {ms(r['s2t_wall'])} | {ms(r['pass'])} | "
            f"{ms(r['load'])} / {ms(r['specialize'])} / {ms(r['cleanup'])} / "
            f"{ms(r['emit'])} | {mib(r['s2t_rss'])} | {ms(r['trace'])} | "
            f"{r['trace'] / r['pass']:.1f}x | {r['trace'] / r['s2t_wall']:.1f}x |")
    lines.append("")
    return lines


def instruction_section(measured):
    counted = [r for r in measured if r.get("instructions")]
    if not counted:
        return []
    lines = ["## Instruction counts", "",
             "s2t-opt under `valgrind --tool=callgrind` on one thread, once per subject "
             "(bench/instructions.py): the pass is the inclusive count of the calls of the "
             "two stage functions of passes/Pipeline.cpp, `specialize` and `cleanup`; the "
             "process is everything from `exec` to exit. The pass counts are exact and "
             "repeatable; the process total moves by a few parts in 100,000 from run to run.",
             "", "| subject | specialize | cleanup | pass | process | pass / process | "
             "pass per flat-graph node | valgrind time |", "|---|---|---|---|---|---|---|---|"]
    for r in counted:
        i = r["instructions"]
        runs = i.get("runs") or []
        pass_note = process_note = ""
        if len(runs) > 1:
            passes = sorted({x["pass"] for x in runs})
            totals = [x["process"] for x in runs]
            pass_note = (f" (the same in {len(runs)} runs)" if len(passes) == 1 else
                         f" (differs in {len(runs)} runs: {', '.join(map(count, passes))})")
            process_note = (f" ({len(runs)} runs within "
                            f"{(max(totals) - min(totals)) / min(totals) * 100:.4f}%)")
        lines.append(
            f"| {r['name']} | {count(i['specialize'])} | {count(i['cleanup'])} | "
            f"{count(i['pass'])}{pass_note} | {count(i['process'])}{process_note} | "
            f"{i['pass'] / i['process'] * 100:.1f}% | "
            f"{i['pass'] / max(r['nodes_out'], 1):,.0f} | {ms(i.get('seconds'))} |")
    per = per_iteration({r["n"]: r["instructions"] for r in counted if r["kind"] == LOOP})
    if per:
        a, b, pass_per, process_per = per
        lines += ["", f"Per iteration of the loop ({a:,} → {b:,} iterations): "
                  f"{pass_per:,.0f} instructions in the pass, {process_per:,.0f} in the whole "
                  "process (the emit of one more `aten::add` included)."]
    lines.append("")
    return lines


def profile_section():
    """bench/profile.md, verbatim: where the instructions go, function by function,
    before and after a change (callgrind_annotate by hand; see that file)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profile.md")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().rstrip("\n").split("\n") + [""]


def report(results, info, args, doc_path, plot_path, total_seconds):
    os.makedirs(os.path.dirname(os.path.abspath(doc_path)), exist_ok=True)
    measured = good(results)
    loops = [r for r in measured if r["kind"] == LOOP]
    lines = ["# Performance", "",
             "Written by `bench/run.py` (issue 5, parts 4 and 5; issue 17, part 5): do not "
             "edit by hand, run it again. Every number is from the run below. The tables "
             "give the median of the repetitions; the targets compare the fastest run of "
             "each side (s2t-opt's and the trace's, s2t-opt's and the floor's), as "
             "interference on these machines mostly adds time (bench/profile.md: the host's "
             "modes), and give the medians beside them.", ""]
    lines += run_section(results, info, args, total_seconds)
    lines += ["![pass time vs trace per model, and the loop scaling](performance.png)", ""]
    lines += ["## Targets (issue 17)", ""]
    lines += targets_table(targets17(results))
    lines += ["", f"Rows that name no thread count are taken at {DEFAULT_THREADS} thread; the "
              "detection row at each thread count of the run. \"n/a\": the end-to-end budget "
              "is for models that need no data decision, and a model whose conversion ran "
              "kernels needed some. 1 KB is 1,000 bytes. The detection pass is a first run in "
              "a fresh process (each kernel allocates its buffers for the first time); \"detection "
              "pass, first forward\" sets it beside the model's first forward in a fresh process "
              "(bench/first_forward.py), in grad mode as s2t's evaluator runs the program, with "
              "the first forward without grad beside it; \"detection pass\" beside the warm eager "
              "forward without grad.", ""]
    lines += ["## Pass time against tracing", ""] + pass_table(measured) + [""]
    lines += ["## End to end and peak memory against the floor", ""]
    lines += floor_tables(measured) + [""]
    lines += ["## Run time of the converted archive", ""] + runtime_table(measured) + [""]
    if loops:
        lines += loop_section(loops)
    lines += instruction_section(measured)
    lines += profile_section()
    lines += [f"## Earlier targets (issue 5, part 5), at {DEFAULT_THREADS} thread", ""]
    lines += targets_table(issue5(results))
    lines += ["", "\"Within noise\" for the run time: met when the ratio is at most 1 + the "
              "larger of 5% and the spread (max − min over the median) of either side's "
              "repetitions. The scaling rows compare the cost per iteration from 1k to 10k "
              "with that from 10k to 100k; linear within 1.5x counts as met.", ""]
    lines += obstacles(results)
    errors = [r for r in results if "error" in r]
    if errors:
        lines += ["", "## Failures in this run", ""]
        for r in errors:
            where = f" ({n_threads(r['threads'])})" if r.get("threads") else ""
            lines.append(f"- {r['name']}{where}: " + ("absent from this torchvision (not a "
                         "failure): " if r.get("absent") else "") + r["error"])
    lines.append("")
    with open(doc_path, "w") as f:
        f.write("\n".join(lines))

