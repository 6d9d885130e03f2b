#!/usr/bin/python3
"""Turns the JMH JSON of benchmarks/run.sh into results.md and step_time.svg (standard library only).

Usage: report.py RESULTS_DIR
Reads RESULTS_DIR/jmh.json (required) and RESULTS_DIR/jmh-no-oob-check.json (optional), each with its
*-machine.json written by run.sh, appends RESULTS_DIR/notes.md (optional, hand-written analysis), and writes RESULTS_DIR/results.md and RESULTS_DIR/step_time.svg.
The chart is drawn as plain SVG so the report needs nothing beyond python3.
"""

import json
import math
import sys
from pathlib import Path

PACKAGE = "dev.rnnc.benchmarks."
# Keep in step with SequenceBenchmark.STEPS.
SEQUENCE_STEPS = 100

CONFIGS = ["LSTM_1_32", "GRU_16_64", "LSTM_64_128", "LSTM_256_512", "GRU_64_128", "RNN_64_128"]
LABELS = {
    "LSTM_1_32": "LSTM 1→32",
    "GRU_16_64": "GRU 16→64",
    "LSTM_64_128": "LSTM 64→128",
    "LSTM_256_512": "LSTM 256→512",
    "GRU_64_128": "GRU 64→128",
    "RNN_64_128": "RNN (tanh) 64→128",
    "LSTM_512_1024": "LSTM 512→1024",
    "LSTM_64_128_BF16": "LSTM 64→128 (bf16 weights)",
    "LSTM_256_512_BF16": "LSTM 256→512 (bf16 weights)",
    "LSTM_512_1024_BF16": "LSTM 512→1024 (bf16 weights)",
}
IMPLS = ["rnnc", "reference", "scalar"]
IMPL_LABELS = {"rnnc": "rnnc generated", "reference": "ReferenceModel (double)", "scalar": "scalar Java (hand-written)"}

# Peers' published figures, measured on one core of an AMD EPYC (Zen 4) — quoted, not measured by run.sh.
RTNEURAL_STEP_US = {"LSTM_1_32": 0.20, "GRU_16_64": 0.70, "LSTM_64_128": 4.4, "LSTM_256_512": 86.0, "GRU_64_128": 3.6}
STEP_PEERS_US = {"LSTM_64_128": [("ONNX Runtime Java", 15.0), ("PyTorch LSTMCell", 25.0), ("DL4J", 400.0)]}
SEQUENCE_PEERS_US_PER_STEP = {"LSTM_64_128": [("ONNX Runtime Java", 4.1)]}
TRAIN_PEERS_MS = [("PyTorch", 29.0), ("DL4J", 210.0)]


class Score:
    def __init__(self, value, error, unit, alloc):
        self.value = value
        self.error = error
        self.unit = unit
        self.alloc = alloc  # bytes per operation from -prof gc, or None


def load_scores(path):
    """{(benchmark class, method, config or None): Score}"""
    scores = {}
    for entry in json.loads(path.read_text()):
        name = entry["benchmark"]
        if name.startswith(PACKAGE):
            name = name[len(PACKAGE):]
        bench, method = name.rsplit(".", 1)
        if bench == "OrtBenchmark" or entry.get("params", {}).get("batch", "1") != "1":
            continue  # the ONNX Runtime comparison and batched sequences have their own page (results/ort-comparison.md)
        config = entry.get("params", {}).get("config")
        primary = entry["primaryMetric"]
        alloc = entry.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        error = primary.get("scoreError")
        if error is not None and (isinstance(error, str) or math.isnan(error)):
            error = None
        scores[(bench, method, config)] = Score(primary["score"], error, primary["scoreUnit"], alloc)
    return scores


def load_machine(results, variant):
    path = results / (variant + "-machine.json")
    return json.loads(path.read_text()) if path.exists() else None


def fmt(value, digits=3):
    """A time with `digits` significant figures, no exponent."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


def fmt_score(score, scale=1.0):
    if score is None:
        return "not run"
    text = fmt(score.value * scale)
    if score.error is not None:
        text += f" ± {fmt(score.error * scale, 2)}"
    return text


def fmt_alloc(score):
    if score is None or score.alloc is None:
        return "—"
    return "≈ 0" if score.alloc < 1 else f"{score.alloc:,.0f}"


def ratio(slow, fast):
    if slow is None or fast is None or fast.value <= 0:
        return "—"
    return f"{slow.value / fast.value:.1f}×"


def peers_text(peers):
    return "; ".join(f"{name} {fmt(value)}" for name, value in peers) if peers else "—"


def machine_lines(machine, title):
    if machine is None:
        return [f"- {title}: conditions not recorded (no machine file)."]
    return [
        f"- {title}: {machine['started']} → {machine['finished']} on {machine['cpu']}, {machine['cores']} cores "
        f"visible; {machine['java']}.",
        f"  Load average (1, 5, 15 min) before: {machine['load_before']}; after: {machine['load_after']}.",
        f"  JMH settings: `{machine['settings']}`; fork JVM flags: `{machine['fork_args']}`"
        + (f"; arguments: `{machine['arguments']}`" if machine.get("arguments") else "") + ".",
    ]


def busy(machine):
    if machine is None:
        return False
    loads = [float(v) for v in machine["load_before"].split() + machine["load_after"].split()]
    return max(loads) > 0.5 * machine["cores"]


def step_table(scores):
    lines = [
        "| Configuration | rnnc generated (µs) | rnnc alloc (B/op) | ReferenceModel (µs) | scalar Java (µs) "
        "| rnnc vs scalar | rnnc vs reference | RTNeural (µs, quoted) | other peers (µs, quoted) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for config in CONFIGS:
        rnnc, ref, scalar = (scores.get(("StepBenchmark", impl, config)) for impl in IMPLS)
        lines.append(
            f"| {LABELS[config]} | {fmt_score(rnnc)} | {fmt_alloc(rnnc)} | {fmt_score(ref)} | {fmt_score(scalar)} "
            f"| {ratio(scalar, rnnc)} | {ratio(ref, rnnc)} | {fmt(RTNEURAL_STEP_US.get(config))} "
            f"| {peers_text(STEP_PEERS_US.get(config))} |")
    return lines


def sequence_table(scores):
    per_step = 1.0 / SEQUENCE_STEPS
    lines = [
        f"| Configuration | rnnc per call (µs) | rnnc per step (µs) | rnnc alloc (B/call) | ReferenceModel per step (µs) "
        f"| scalar Java per step (µs) | rnnc vs scalar | peers per step (µs, quoted) |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for config in CONFIGS:
        rnnc, ref, scalar = (scores.get(("SequenceBenchmark", impl, config)) for impl in IMPLS)
        lines.append(
            f"| {LABELS[config]} | {fmt_score(rnnc)} | {fmt_score(rnnc, per_step)} | {fmt_alloc(rnnc)} "
            f"| {fmt_score(ref, per_step)} | {fmt_score(scalar, per_step)} | {ratio(scalar, rnnc)} "
            f"| {peers_text(SEQUENCE_PEERS_US_PER_STEP.get(config))} |")
    return lines


def train_table(scores):
    rnnc = scores.get(("TrainBenchmark", "rnnc", None))
    ref = scores.get(("TrainBenchmark", "reference", None))
    lines = [
        "| Implementation | ms per iteration | alloc (B/iteration) | vs rnnc |",
        "|---|--:|--:|--:|",
        f"| rnnc generated | {fmt_score(rnnc)} | {fmt_alloc(rnnc)} | 1.0× |",
        f"| ReferenceModel (double) | {fmt_score(ref)} | {fmt_alloc(ref)} | {ratio(ref, rnnc)} |",
    ]
    for name, ms in TRAIN_PEERS_MS:
        versus = f"{ms / rnnc.value:.1f}×" if rnnc is not None and rnnc.value > 0 else "—"
        lines.append(f"| {name} (quoted) | {fmt(ms)} | — | {versus} |")
    return lines


def oob_table(default, unchecked):
    lines = [
        "| Benchmark | Configuration | default (µs) | OOB checks off (µs) | change |",
        "|---|---|--:|--:|--:|",
    ]
    for (bench, method, config), score in sorted(unchecked.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        base = default.get((bench, method, config))
        change = "—" if base is None else f"{(score.value / base.value - 1) * 100:+.0f} %"
        label = LABELS.get(config, config or "training")
        unit = score.unit.replace("us/op", "µs").replace("ms/op", "ms")
        lines.append(f"| {bench}.{method} | {label} | {fmt_score(base)} | {fmt_score(score)} ({unit}) | {change} |")
    return lines


def allocation_findings(scores):
    """Generated hot paths must not allocate; list the ones that do."""
    found = []
    for (bench, method, config), score in sorted(scores.items(), key=lambda kv: (kv[0][0], str(kv[0][2]))):
        if method == "rnnc" and score.alloc is not None and score.alloc >= 1:
            unit = score.unit.replace("us/op", "µs").replace("ms/op", "ms")
            found.append(f"{bench} {LABELS.get(config, config or 'training')}: {score.alloc:,.0f} B/op "
                         f"(one op: {score.value:,.3g} {unit})")
    return found


# ---------------------------------------------------------------------------------------------------------------
# Chart: grouped bars of time per step, log scale, hand-written SVG.

SERIES = [
    ("rnnc generated", "#1f77b4", 1.0),
    ("ReferenceModel (double)", "#7f7f7f", 1.0),
    ("scalar Java", "#ff7f0e", 1.0),
    ("RTNeural (quoted)", "#2ca02c", 0.55),
    ("ONNX Runtime Java (quoted)", "#9467bd", 0.55),
    ("PyTorch LSTMCell (quoted)", "#d62728", 0.55),
    ("DL4J (quoted)", "#8c564b", 0.55),
]


def chart_values(scores):
    """{config: [value or None per SERIES entry]} in µs per step."""
    values = {}
    for config in CONFIGS:
        row = []
        for impl in IMPLS:
            score = scores.get(("StepBenchmark", impl, config))
            row.append(score.value if score is not None else None)
        row.append(RTNEURAL_STEP_US.get(config))
        peers = dict(STEP_PEERS_US.get(config, []))
        row += [peers.get("ONNX Runtime Java"), peers.get("PyTorch LSTMCell"), peers.get("DL4J")]
        values[config] = row
    return values


def svg_chart(scores, note):
    values = chart_values(scores)
    present = [v for row in values.values() for v in row if v is not None and v > 0]
    if not present:
        return None
    low = 10 ** math.floor(math.log10(min(present)))
    high = 10 ** math.ceil(math.log10(max(present)))
    width, height = 980, 480
    left, right, top, bottom = 70, 20, 110, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    group_w = plot_w / len(CONFIGS)
    bar_w = (group_w - 16) / len(SERIES)

    def y(v):
        return top + plot_h * (1 - (math.log10(v) - math.log10(low)) / (math.log10(high) - math.log10(low)))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16">Time per streaming step, batch 1 '
        '(µs, log scale; lower is better)</text>',
        f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#555">{escape(note)}</text>',
    ]
    # Legend, two rows.
    for i, (name, color, opacity) in enumerate(SERIES):
        lx = left + (i % 4) * 220
        ly = 58 + (i // 4) * 20
        out.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{color}" fill-opacity="{opacity}"/>')
        out.append(f'<text x="{lx + 18}" y="{ly + 11}">{escape(name)}</text>')
    # Decade grid lines.
    decade = low
    while decade <= high * 1.0001:
        gy = y(decade)
        out.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end">{fmt(decade, 1)}</text>')
        decade *= 10
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<text x="18" y="{top + plot_h / 2}" transform="rotate(-90 18 {top + plot_h / 2})" '
               'text-anchor="middle">µs per step</text>')
    for g, config in enumerate(CONFIGS):
        gx = left + g * group_w + 8
        for s, value in enumerate(values[config]):
            if value is None or value <= 0:
                continue
            name, color, opacity = SERIES[s]
            bx = gx + s * bar_w
            by = y(value)
            out.append(f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bar_w - 1:.1f}" height="{top + plot_h - by:.1f}" '
                       f'fill="{color}" fill-opacity="{opacity}"><title>{escape(LABELS[config])}, {escape(name)}: '
                       f'{fmt(value)} µs</title></rect>')
        out.append(f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{top + plot_h + 20}" '
                   f'text-anchor="middle">{escape(LABELS[config])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------------------------

def main(argv):
    if len(argv) != 2:
        print("usage: report.py RESULTS_DIR", file=sys.stderr)
        return 2
    results = Path(argv[1])
    source = results / "jmh.json"
    if not source.exists():
        print(f"report.py: {source} does not exist; run benchmarks/run.sh first", file=sys.stderr)
        return 2
    scores = load_scores(source)
    machine = load_machine(results, "jmh")
    unchecked_path = results / "jmh-no-oob-check.json"
    unchecked = load_scores(unchecked_path) if unchecked_path.exists() else None
    unchecked_machine = load_machine(results, "jmh-no-oob-check")

    md = ["# rnnc benchmark results", "",
          "Written by `benchmarks/report.py` from the JMH JSON that `benchmarks/run.sh` left in this folder; "
          "rerun the script to refresh. Times are JMH average time per operation with the 99.9 % confidence "
          "half-width; allocation is `-prof gc`'s `gc.alloc.rate.norm`.", "",
          "## Conditions", ""]
    md += machine_lines(machine, "Run")
    if unchecked is not None:
        md += machine_lines(unchecked_machine, "Run without Vector API bounds checks")
    if busy(machine) or busy(unchecked_machine):
        md += ["", "**The machine was shared and loaded during the run** (load average above half the visible "
               "cores): other jobs competed for the cores and caches, so every measured time here is inflated "
               "and noisier than on an idle machine, by an amount that varies from fork to fork. Ratios between "
               "implementations measured in the same run are more meaningful than comparisons with the peers' "
               "figures, which were measured on an idle AMD EPYC (Zen 4) core."]
    md += ["", "Peers' figures are quoted (published, measured on one core of an AMD EPYC (Zen 4), whatever machine "
           "this run was on), not measured by this suite: RTNeural, ONNX Runtime Java, PyTorch and DL4J are not "
           "installed here (ONNX Runtime Java is measured side by side in `ort-comparison.md`).", ""]

    md += ["## Streaming step (`StepBenchmark`, one `step` call, batch 1)", ""] + step_table(scores) + [
        "", "Other peers at LSTM 64→128 are per single-step call (ONNX Runtime pays its session-call overhead on "
            "each). ![time per step](step_time.svg)", ""]
    md += [f"## Sequence (`SequenceBenchmark`, one `forward` over {SEQUENCE_STEPS} steps, batch 1)", ""] + \
        sequence_table(scores) + ["", "Per step = per call / " + str(SEQUENCE_STEPS) + ". ONNX Runtime's figure is "
                                  "per step inside one 100-step call.", ""]
    md += ["## Training (`TrainBenchmark`)", "",
           "LSTM 64→128 + Linear 128→65 (softmax) with cross-entropy at every step; batch 32 × 64 steps of dense "
           "input 64. One iteration = `computeGradients` + `Sgd.step` + `setParameters`.", ""] + train_table(scores)
    findings = allocation_findings(scores)
    md += ["", "## Allocation on the generated hot paths", ""]
    if findings:
        md += ["The contracts promise no allocation per call; these generated-class benchmarks allocated "
               "(a Vector API kernel that allocates has usually lost its intrinsics: vectors boxed at a call the "
               "JIT did not inline):", ""] + [f"- {f}" for f in findings]
    else:
        md += ["Every generated-class benchmark allocated ≈ 0 B/op, as the contracts promise."]
    if unchecked is not None:
        md += ["", "## Vector API bounds checks off (`-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0`)", "",
               "Not enabled by default: it removes the Vector API's index checks, so an out-of-range access "
               "would read or write outside the array instead of throwing.", ""] + oob_table(scores, unchecked)
    notes = results / "notes.md"
    if notes.exists():
        md += ["", "## Notes (hand-written, `results/notes.md`)", "", notes.read_text().rstrip()]
    (results / "results.md").write_text("\n".join(md) + "\n")

    note = "measured by run.sh on " + (machine["started"][:10] if machine else "?") + \
        (f", load average {machine['load_before'].split()[0]}→{machine['load_after'].split()[0]} "
         f"on {machine['cores']} cores" if machine else "") + "; peers quoted (idle machine)"
    svg = svg_chart(scores, note)
    if svg is not None:
        (results / "step_time.svg").write_text(svg)
    print(f"report.py: wrote {results / 'results.md'}" + ("" if svg is None else f" and {results / 'step_time.svg'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
