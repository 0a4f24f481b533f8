"""docs/performance.png from a run's results (matplotlib; no torch)."""
from common import LOOP, good, n_threads

SHORT = {"fasterrcnn_mobilenet_v3_large_320_fpn": "fasterrcnn_mbv3_320_fpn"}


def plot_threads(results):
    """The thread count the plot shows: 1 when the run has it, else the smallest."""
    counts = sorted({r["threads"] for r in good(results) if r.get("threads")})
    return 1 if 1 in counts or not counts else counts[0]


def plot(results, path):
    import os
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    threads = plot_threads(results)
    rows = [r for r in good(results) if r.get("threads", threads) == threads]
    models = [r for r in rows if r["kind"] != LOOP]
    loops = [r for r in rows if r["kind"] == LOOP]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), dpi=80,
                             gridspec_kw={"width_ratios": [3, 1]})
    ax = axes[0]
    series = [("trace", "torch.jit.trace", "#888888"), ("pass", "s2t pass", "#1f77b4"),
              ("s2t_wall", "s2t-opt end to end", "#ff7f0e"),
              ("floor_wall", "load+save floor", "#2ca02c")]
    width = 0.2
    for i, (key, label, color) in enumerate(series):
        ax.bar([j + (i - 1.5) * width for j in range(len(models))], [r[key] for r in models],
               width, label=label, color=color)
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([SHORT.get(r["name"], r["name"]) for r in models], fontsize=7,
                       rotation=40, ha="right")
    ax.set_yscale("log")
    top = max([r[key] for r in models for key, _, _ in series] + [1.0])
    ax.set_ylim(top=top * 20)
    ax.set_ylabel("seconds (log)")
    ax.set_title(f"models, {n_threads(threads)}: s2t pass vs trace; end to end vs floor",
                 fontsize=10)
    ax.legend(fontsize=7, loc="upper left", ncol=4)
    ax.grid(axis="y", alpha=0.3)
    ax = axes[1]
    if not loops:
        ax.set_visible(False)
    if loops:
        ns = [r["n"] for r in loops]
        ax.loglog(ns, [r["trace"] for r in loops], "o-", color="#888888", label="trace")
        ax.loglog(ns, [r["pass"] for r in loops], "o-", color="#1f77b4", label="s2t pass")
        ax.loglog(ns, [r["s2t_wall"] for r in loops], "o-", color="#ff7f0e",
                  label="s2t-opt end to end")
        linear = [loops[-1]["pass"] * n / ns[-1] for n in ns]
        ax.loglog(ns, linear, ":", color="#1f77b4", label="linear, through the last pass")
        ax2 = ax.twinx()
        ax2.plot(ns, [r["s2t_rss"] / 1024 for r in loops], "s--", color="#9467bd",
                 label="s2t-opt peak MiB")
        ax2.set_ylabel("peak MiB", fontsize=8)
        ax2.set_ylim(bottom=0, top=max(r["s2t_rss"] for r in loops) / 1024 * 1.15)
        ax2.set_xscale("log")
        ax.set_xlabel("loop iterations")
        ax.set_ylabel("seconds (log)")
        ax.set_title("counted loop: scaling", fontsize=10)
        lines = ax.get_legend_handles_labels()
        more = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=6, loc="upper left")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    try:  # a palette PNG is a fraction of the size
        from PIL import Image
        Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
    except ImportError:
        pass
