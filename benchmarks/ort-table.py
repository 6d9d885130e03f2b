#!/usr/bin/env python3
"""Prints the markdown tables of results/ort-comparison.md from the JMH JSON files ort-compare.sh wrote.

Usage: ort-table.py DIR. Every figure is a JMH average with its 99.9 % half-width; with several rounds a cell lists
each round's figure in run order (r1 / r2 / ...). Standard library only.
"""
import json
import re
import sys
from pathlib import Path

SIZES = [("LSTM_64_128", "LSTM 64→128"), ("LSTM_256_512", "LSTM 256→512"), ("LSTM_512_1024", "LSTM 512→1024")]


def load(directory):
    """{(kind, implementation, size, batch): [(round, score, error, unit)]}"""
    cells = {}
    for path in sorted(directory.glob("r*-*.json")):
        round_number = int(re.match(r"r(\d+)-", path.name).group(1))
        for entry in json.loads(path.read_text()):
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


def best(values):
    return min(score for _, score, _, _ in values) if values else None


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


def main():
    directory = Path(sys.argv[1])
    cells = load(directory)
    print("**Streaming step** (batch 1, µs per step):\n")
    print("| model | rnnc f32 | rnnc bf16 | ORT (pinned state) | ORT (results fed back) | ORT ÷ rnnc f32 | ORT ÷ rnnc bf16 |")
    print("| --- | --: | --: | --: | --: | --: | --: |")
    for size, label in SIZES:
        f32, bf16, ort, fed = (cells.get(("step", impl, size, 1)) for impl in
                               ("rnnc f32", "rnnc bf16", "ORT", "ORT, results fed back"))
        print(f"| {label} | {show(f32)} | {show(bf16)} | {show(ort)} | {show(fed)} "
              f"| {ratio(best(ort), best(f32))} | {ratio(best(ort), best(bf16))} |")
    batches = sorted({key[3] for key in cells if key[0] == "sequence"})
    for batch in batches:
        unit, scale = ("µs", 1.0) if batch == 1 else ("ms", 1e-3)
        print(f"\n**Whole sequence**, batch {batch}, 100 steps (one call, {unit}; per step: divide by 100):\n")
        print("| model | rnnc f32 | rnnc bf16 | ORT | ORT ÷ rnnc f32 | ORT ÷ rnnc bf16 |")
        print("| --- | --: | --: | --: | --: | --: |")
        for size, label in SIZES:
            f32, bf16, ort = (cells.get(("sequence", impl, size, batch)) for impl in ("rnnc f32", "rnnc bf16", "ORT"))
            print(f"| {label} | {show(f32, scale)} | {show(bf16, scale)} | {show(ort, scale)} "
                  f"| {ratio(best(ort), best(f32))} | {ratio(best(ort), best(bf16))} |")
    print("\nORT ÷ rnnc > 1: rnnc is faster; < 1: ONNX Runtime is faster (best round of each).")


if __name__ == "__main__":
    main()
