#!/usr/bin/env python3
"""Prints the markdown tables of results/ort-comparison.md from the JMH JSON files ort-compare.sh wrote.

Usage: ort-table.py DIR [ROUND,ROUND,...] (default: every round found). The summary gives, per cell, the median over the rounds of the JMH averages and their
range (min–max); ratios are of the medians. The detail tables list every round's JMH average with its 99.9 %
half-width in run order (r1 / r2 / ...). Standard library only.
"""
import json
import re
import sys
from pathlib import Path

SIZES = [("LSTM_64_128", "LSTM 64→128"), ("LSTM_256_512", "LSTM 256→512"), ("LSTM_512_1024", "LSTM 512→1024")]


def load(directory, rounds=None):
    """{(kind, implementation, size, batch): [(round, score, error, unit)]}"""
    cells = {}
    for path in sorted(directory.glob("r*-*.json")):
        round_number = int(re.match(r"r(\d+)-", path.name).group(1))
        if rounds is not None and round_number not in rounds:
            continue
        try:
            entries = json.loads(path.read_text())
        except json.JSONDecodeError:
            print(f"skipped {path.name}: not complete JSON (a run still going or killed?)", file=sys.stderr)
            continue
        for entry in entries:
            bench, method = entry["benchmark"].rsplit(".", 2)[-2:]
            params = entry.get("params", {})
            config = params["config"]
            size = config.removesuffix("_BF16")
            batch = int(params.get("batch", "1"))
            if bench == "StepBenchmark":
                key = ("step", "rnnc bf16" if config.endswith("_BF16") else "rnnc f32", size, 1)
            elif bench == "SequenceBenchmark":
                key = ("sequence", "rnnc bf16" if config.endswith("_BF16") else "rnnc f32", size, batch)
            elif method == "sequence":
                key = ("sequence", "ORT", size, batch)
            else:
                key = ("step", "ORT" if method == "step" else "ORT, results fed back", size, 1)
            metric = entry["primaryMetric"]
            error = metric.get("scoreError")
            if not isinstance(error, (int, float)) or error != error:
                error = None
            cells.setdefault(key, []).append((round_number, metric["score"], error, metric["scoreUnit"]))
    return cells


def show(values, scale=1.0, digits=None):
    if not values:
        return "—"
    parts = []
    for _, score, error, _ in sorted(values):
        s = score * scale
        d = digits if digits is not None else (2 if s < 10 else 1 if s < 100 else 0)
        text = f"{s:,.{d}f}"
        if error is not None:
            text += f" ± {error * scale:,.{d}f}"
        parts.append(text)
    return " / ".join(parts)


def median(values):
    if not values:
        return None
    scores = sorted(score for _, score, _, _ in values)
    n = len(scores)
    return scores[n // 2] if n % 2 else (scores[n // 2 - 1] + scores[n // 2]) / 2


def summary(values, scale=1.0):
    if not values:
        return "—"
    m = median(values) * scale
    lo = min(score for _, score, _, _ in values) * scale
    hi = max(score for _, score, _, _ in values) * scale
    d = 2 if m < 10 else 1 if m < 100 else 0
    return f"**{m:,.{d}f}** ({lo:,.{d}f}–{hi:,.{d}f})"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


def tables(cells, cell, best, rounds_note):
    print(f"**Streaming step** (batch 1, µs per step{rounds_note}):\n")
    print("| model | rnnc f32 | rnnc bf16 | ORT (pinned state) | ORT (results fed back) | ORT ÷ rnnc f32 | ORT ÷ rnnc bf16 |")
    print("| --- | --: | --: | --: | --: | --: | --: |")
    for size, label in SIZES:
        f32, bf16, ort, fed = (cells.get(("step", impl, size, 1)) for impl in
                               ("rnnc f32", "rnnc bf16", "ORT", "ORT, results fed back"))
        print(f"| {label} | {cell(f32)} | {cell(bf16)} | {cell(ort)} | {cell(fed)} "
              f"| {ratio(best(ort), best(f32))} | {ratio(best(ort), best(bf16))} |")
    batches = sorted({key[3] for key in cells if key[0] == "sequence"})
    for batch in batches:
        unit, scale = ("µs", 1.0) if batch == 1 else ("ms", 1e-3)
        print(f"\n**Whole sequence**, batch {batch}, 100 steps (one call, {unit}{rounds_note}; "
              f"per step: divide by 100):\n")
        print("| model | rnnc f32 | rnnc bf16 | ORT | ORT ÷ rnnc f32 | ORT ÷ rnnc bf16 |")
        print("| --- | --: | --: | --: | --: | --: |")
        for size, label in SIZES:
            f32, bf16, ort = (cells.get(("sequence", impl, size, batch)) for impl in ("rnnc f32", "rnnc bf16", "ORT"))
            print(f"| {label} | {cell(f32, scale)} | {cell(bf16, scale)} | {cell(ort, scale)} "
                  f"| {ratio(best(ort), best(f32))} | {ratio(best(ort), best(bf16))} |")


def main():
    directory = Path(sys.argv[1])
    chosen = {int(r) for r in sys.argv[2].split(",")} if len(sys.argv) > 2 else None
    cells = load(directory, chosen)
    rounds = sorted({r for values in cells.values() for r, _, _, _ in values})
    tables(cells, summary, median, f"; median of rounds {', '.join(map(str, rounds))} (range)")
    print("\nORT ÷ rnnc > 1: rnnc is faster; < 1: ONNX Runtime is faster (ratio of the medians).")
    print("\n### Every round\n")
    tables(cells, show, median, "; JMH average ± 99.9 % half-width, rounds in run order")


if __name__ == "__main__":
    main()
