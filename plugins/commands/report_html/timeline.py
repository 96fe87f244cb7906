"""The run timeline from the run report: concurrency decisions, memory, CPU and read rate.

Three panels on one time axis: the concurrency the thread policy chose (a step at each decision,
its reason numbered), the process RSS and the machine's available memory, and the CPU use and
read rate the monitor sampled.
"""

from __future__ import annotations

from orcapost.plugins.commands.report_html.figures import GOVERNING, Figure, pyplot


def timeline_figure(report: dict) -> Figure | None:
    samples = report.get("samples") or []
    decisions = report.get("decisions") or []
    if not samples and not decisions:
        return None
    elapsed = float((report.get("summary") or {}).get("elapsed") or 0.0)
    plt = pyplot()
    fig, (top, middle, bottom) = plt.subplots(3, 1, sharex=True, figsize=(9.0, 7.2))
    end = max([elapsed] + [float(s.get("t", 0.0)) for s in samples]
              + [float(d.get("at") or 0.0) for d in decisions])
    if decisions:
        times = [float(d.get("at") or 0.0) for d in decisions] + [end]
        levels = [int(d.get("to") or 0) for d in decisions]
        top.step(times, levels + levels[-1:], where="post", color="#1f4e8c", linewidth=2,
                 label="concurrency (files at once)")
        for n, d in enumerate(decisions, start=1):
            top.annotate(str(n), (float(d.get("at") or 0.0), int(d.get("to") or 0)),
                         textcoords="offset points", xytext=(3, 4), fontsize=8)
        top.set_ylim(0, max(levels) * 1.25 + 1)
    top.set_ylabel("files at once")
    top.set_title("Run timeline")
    top.legend(loc="lower right")
    # Throughput: the files done at each decision and at the end (the run report keeps no
    # finishing time per file, so these are the points the curve is known at).
    files = (report.get("summary") or {}).get("files")
    points = sorted({(0.0, 0)} | {(float(d.get("at") or 0.0), int(d["after_files"]))
                                  for d in decisions if d.get("after_files") is not None}
                    | ({(elapsed, int(files))} if files and elapsed > 0 else set()))
    if len(points) > 1:
        done = top.twinx()
        done.plot([p[0] for p in points], [p[1] for p in points], "o--", color="#7f8c8d",
                  markersize=4, linewidth=1.2, label="files done")
        done.set_ylabel("files done")
        done.set_ylim(bottom=0)
        done.grid(False)
        done.legend(loc="lower center")
    t = [float(s.get("t", 0.0)) for s in samples]
    if samples:
        rss = [s.get("rss") for s in samples]
        if any(v is not None for v in rss):
            middle.plot(t, [(v or 0) / 1e9 for v in rss], color=GOVERNING, label="orcapost RSS")
        available = [s.get("available") for s in samples]
        if any(v is not None for v in available):
            # Its own scale: the machine's free memory is often 100x orcapost's RSS.
            free = middle.twinx()
            free.plot(t, [(v or 0) / 1e9 for v in available], color="#2e8b57",
                      label="available memory")
            free.set_ylabel("available [GB]")
            free.set_ylim(bottom=0)
            free.grid(False)
            free.legend(loc="lower right")
        cpu = [s.get("cpu_percent") for s in samples]
        bottom.plot(t, [v or 0 for v in cpu], color="#8e44ad", label="CPU")
        reads = [s.get("read_rate") for s in samples]
        if any(v is not None for v in reads):
            twin = bottom.twinx()
            twin.plot(t, [(v or 0) / 1e6 for v in reads], color="#d35400", label="read rate")
            twin.set_ylabel("read rate [MB/s]")
            twin.grid(False)
            twin.legend(loc="upper right")
    middle.set_ylabel("RSS [GB]")
    middle.set_ylim(bottom=0)
    middle.legend(loc="lower left")
    bottom.set_ylabel("CPU [%]")
    bottom.set_xlabel("Time since the run started [s]")
    bottom.legend(loc="upper left")
    summary = report.get("summary") or {}
    rate = summary.get("files_per_second")
    caption = "; ".join(
        (f"{n}: {d.get('from')} to {d.get('to')} files at once" if d.get("from") is not None
         else f"{n}: {d.get('to')} files at once") + f" ({d.get('reason')})"
        for n, d in enumerate(decisions, start=1))
    if rate:
        caption += f". Throughput {rate:.2f} files/s over {elapsed:.1f} s."
    return Figure("timeline", "timeline", "Run timeline", fig, caption)
