#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# The measuring and reporting half of `make bench` (bench/run.sh drives it).
#
# Usage:
#   bench/report.py banner-time --name NAME --log SERIAL [--timeout SEC]
#                   [--runner-log FILE] -- COMMAND...
#       Runs COMMAND (tools/qemu-run.sh ... --log SERIAL ...) in its own
#       process group, times from the runner's "qemu-run: starting QEMU"
#       line until "XENO-READY" appears in SERIAL, stops the run, and prints
#       "XENO-BENCH NAME qemu_start_to_banner_ms=<ms> boot_ms=<ms> cpus=<n>"
#       (boot_ms and cpus copied from the banner). Exit 1 if no banner came.
#   bench/report.py report --raw DIR --out DIR
#       Reads every DIR/SOURCE__LABEL__RUN.bench file (XENO-BENCH lines;
#       SOURCE is host, qemu-<n>cpu or boot-<n>cpu), DIR/accel.txt,
#       DIR/skipped.txt and DIR/failures.txt, and writes OUT/latest.json,
#       OUT/latest.md and OUT/alloc.png (gnuplot). Exit 1 if there was no
#       figure at all.
#
# A figure is one numeric key of one benchmark from one source, e.g.
# ns_per_op of alloc_order0_1cpu in a 4-CPU QEMU. Across runs the report
# gives its median, min, max and every value. Kinds (docs/testing.md):
#   host-ns     time per operation of the generic code in a host build
#   qemu-ratio  in-QEMU time relative to the same operation done natively
#               in the same QEMU
#   events      counts per operation (hypercalls, locks, flushes, IPIs...)
#   qemu-ns, qemu-ms, wall-ms, host-rate, qemu-rate, other: everything else
#               (emulated times, boot times, throughputs)
# Keys that do not look like figures (ops, cpus, ...) are parameters.
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH_RE = re.compile(r"XENO-BENCH\s+(\S+)((?:\s+[A-Za-z0-9_.-]+=\S+)*)")
READY_RE = re.compile(r"XENO-READY((?:\s+[A-Za-z0-9_.-]+=\S+)*)")
NUM_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
RAW_NAME_RE = re.compile(r"^([A-Za-z0-9-]+)__([A-Za-z0-9_.-]+)__(\d+)\.bench$")


def die(msg):
    print("report: %s" % msg, file=sys.stderr)
    sys.exit(2)


def pairs(text):
    out = {}
    for item in text.split():
        k, _, v = item.partition("=")
        out[k] = v
    return out


# ---- banner-time -------------------------------------------------------------

def banner_time(args):
    opts = {"--timeout": "120", "--runner-log": None}
    name = log = None
    i = 0
    while i < len(args) and args[i] != "--":
        if args[i] in ("--name", "--log", "--timeout", "--runner-log") \
                and i + 1 < len(args):
            if args[i] == "--name":
                name = args[i + 1]
            elif args[i] == "--log":
                log = args[i + 1]
            else:
                opts[args[i]] = args[i + 1]
            i += 2
        else:
            die("banner-time: bad argument '%s'" % args[i])
    command = args[i + 1:]
    if not name or not log or not command:
        die("banner-time needs --name, --log and -- COMMAND")
    timeout = float(opts["--timeout"])
    try:
        os.unlink(log)
    except FileNotFoundError:
        pass

    started = {}
    runner_lines = []

    def read_stderr(stream):
        for raw in stream:
            line = raw.decode("utf-8", errors="replace")
            if "starting QEMU" in line and "t" not in started:
                started["t"] = time.monotonic()
            runner_lines.append(line)

    t_launch = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    reader = threading.Thread(target=read_stderr, args=(proc.stderr,))
    reader.start()
    t_ready = None
    banner = None
    deadline = t_launch + timeout
    while time.monotonic() < deadline:
        try:
            with open(log, "rb") as f:
                text = f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            text = ""
        pos = text.find("XENO-READY")
        if pos >= 0:
            if t_ready is None:
                t_ready = time.monotonic()
            end = text.find("\n", pos)
            if end >= 0 or proc.poll() is not None:
                banner = text[pos:end if end >= 0 else len(text)]
                break
        elif proc.poll() is not None:
            break
        time.sleep(0.002)

    # Stop the run: the runner leads its own process group, with QEMU in it.
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join()
    if opts["--runner-log"]:
        with open(opts["--runner-log"], "w", encoding="utf-8") as f:
            f.writelines(runner_lines)
    if banner is None:
        last = runner_lines[-1].strip() if runner_lines else ""
        print("report: %s: no XENO-READY within %gs (%s)"
              % (name, timeout, last or "no output"), file=sys.stderr)
        return 1
    start = started.get("t", t_launch)
    fields = pairs(READY_RE.match(banner).group(1))
    line = "XENO-BENCH %s qemu_start_to_banner_ms=%.1f" % (
        name, (t_ready - start) * 1000.0)
    for key in ("boot_ms", "cpus"):
        if key in fields and NUM_RE.match(fields[key]):
            line += " %s=%s" % (key, fields[key])
    print(line)
    return 0


# ---- report ------------------------------------------------------------------

PARAM_KEYS = {"ops", "cpus", "iters", "iterations", "runs", "repeats",
              "batch", "size", "bytes", "order", "threads", "domains",
              "pages", "frames", "vcpus"}


def classify(source, key):
    """Returns (kind, unit) of a figure, or None for a parameter."""
    where = "host" if source == "host" else "qemu"
    if key in PARAM_KEYS:
        return None
    if "ratio" in key:
        return ("qemu-ratio" if where == "qemu" else "other", "x native")
    if key.endswith("_per_op") and key != "ns_per_op":
        return ("events", "per op")
    if key == "ns_per_op" or key.endswith("_ns"):
        return (where + "-ns", "ns")
    if key.endswith("_ms"):
        if source.startswith("boot-") and key != "boot_ms":
            return ("wall-ms", "ms")
        return (where + "-ms", "ms")
    if key.endswith("_per_s") or key.endswith("_per_sec") \
            or key.endswith("bps"):
        return (where + "-rate", key.rsplit("_", 1)[-1])
    return None


def number(text):
    return float(text) if NUM_RE.match(text) else None


def source_label(source):
    m = re.match(r"^(qemu|boot)-(\d+)cpu$", source)
    if m:
        return "QEMU, %s vCPU%s" % (m.group(2), "" if m.group(2) == "1" else "s")
    return source


def fmt(v):
    if v is None:
        return "-"
    if v == int(v) and abs(v) < 1e15:
        return "%d" % v
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 1:
        return ("%.2f" % v).rstrip("0").rstrip(".")
    return "%.3g" % v


def read_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [l.rstrip("\n") for l in f if l.strip()]
    except OSError:
        return []


def collect(raw):
    """{(source, bench, key): {"values": {run: v}, ...}} from the raw files."""
    figures = {}
    params = {}
    for fname in sorted(os.listdir(raw)):
        m = RAW_NAME_RE.match(fname)
        if not m:
            continue
        source, run = m.group(1), int(m.group(3))
        with open(os.path.join(raw, fname), encoding="utf-8",
                  errors="replace") as f:
            text = f.read().replace("\r", "")
        for bm in BENCH_RE.finditer(text):
            bench = bm.group(1)
            for key, val in pairs(bm.group(2)).items():
                v = number(val)
                if v is None:
                    continue
                kind = classify(source, key)
                if kind is None:
                    params.setdefault((source, bench), {}).setdefault(
                        key, int(v) if v == int(v) else v)
                    continue
                fig = figures.setdefault((source, bench, key), {
                    "kind": kind[0], "unit": kind[1], "values": []})
                fig["values"].append((run, v))
    return figures, params


def host_info():
    model = "unknown"
    for line in read_lines("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    qemu = "unknown"
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"],
                             capture_output=True, text=True, check=False)
        qemu = out.stdout.splitlines()[0].strip() if out.stdout else qemu
    except OSError:
        pass
    commit = None
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=False)
        if out.returncode == 0:
            commit = out.stdout.strip()
    except OSError:
        pass
    return model, qemu, commit


def plot(rows, out_png, title):
    """A clustered bar chart (log scale) of ns/op by source; rows is
    [(benchmark, {source: value})]. Returns a message."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "skipped %s: gnuplot not installed" % out_png
    sources = sorted({s for _, vals in rows for s in vals},
                     key=lambda s: (s != "host", s))
    term = None
    for t in ("pngcairo", "png"):
        probe = subprocess.run([gnuplot, "-e", "set terminal %s" % t],
                               capture_output=True, check=False)
        if probe.returncode == 0:
            term = t
            break
    if term is None:
        return "skipped %s: gnuplot has neither pngcairo nor png" % out_png
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.txt")
        with open(data, "w", encoding="utf-8") as f:
            f.write("bench " + " ".join('"%s"' % source_label(s)
                                        for s in sources) + "\n")
            for bench, vals in rows:
                f.write('"%s" ' % bench + " ".join(
                    fmt(vals[s]) if s in vals else "?" for s in sources)
                    + "\n")
        script = os.path.join(tmp, "plot.gp")
        cols = " , ".join(
            "'%s' using %d:xtic(1) title columnheader(%d)"
            % (data, i + 2, i + 2) for i in range(len(sources)))
        with open(script, "w", encoding="utf-8") as f:
            f.write("""set terminal %s size 900,500
set termoption noenhanced
set output '%s'
set title '%s'
set datafile missing '?'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'ns per operation (log scale)'
set key top left
set grid ytics
set xtics rotate by 30 right nomirror
plot %s
""" % (term, out_png, title, cols))
        res = subprocess.run([gnuplot, script], capture_output=True,
                             text=True, check=False)
        if res.returncode != 0:
            return "skipped %s: gnuplot failed: %s" % (
                out_png, res.stderr.strip().splitlines()[-1:])
    return "wrote %s" % out_png


# Figures divided by a native operation measured by bench=syscall in the
# same QEMU (the hypervisor's own ring-3 code and ring-0 handlers): issue 4
# wants a PV null hypercall to cost no more than the native system call,
# and compares the exception bounce with a native INT3 round trip.
NATIVE_RATIOS = {
    "native_syscall": ("pv_null_hypercall", "user_syscall", "user_int80"),
    "native_int3": ("pv_exception_bounce",),
}


def native_ratios(records):
    """qemu-ratio records: the medians above over their native one's."""
    out = []
    for native_name, names in NATIVE_RATIOS.items():
        native = [r["median"] for r in records
                  if r["benchmark"] == native_name
                  and r["figure"] == "ns_per_op"
                  and r["source"] == "qemu-1cpu"]
        if not native or native[0] <= 0:
            continue
        for r in records:
            if r["benchmark"] in names \
                    and r["figure"] == "ns_per_op" and r["source"] != "host":
                v = r["median"] / native[0]
                out.append({
                    "source": r["source"], "benchmark": r["benchmark"],
                    "figure": native_name + "_ratio", "kind": "qemu-ratio",
                    "unit": "x native", "median": v, "min": v, "max": v,
                    "runs": r["runs"], "values": [v], "params": r["params"],
                })
    return out


def report(args):
    raw = out = None
    i = 0
    while i < len(args):
        if args[i] == "--raw" and i + 1 < len(args):
            raw = args[i + 1]
        elif args[i] == "--out" and i + 1 < len(args):
            out = args[i + 1]
        else:
            die("report: bad argument '%s'" % args[i])
        i += 2
    if not raw or not out:
        die("report needs --raw DIR --out DIR")
    os.makedirs(out, exist_ok=True)
    figures, params = collect(raw)
    accel = (read_lines(os.path.join(raw, "accel.txt")) or ["unknown"])[0]
    skipped = read_lines(os.path.join(raw, "skipped.txt"))
    failures = read_lines(os.path.join(raw, "failures.txt"))
    model, qemu, commit = host_info()

    def sort_key(item):
        # Host first, then in-QEMU benchmarks, then boot times; fewer
        # vCPUs first.
        (source, bench, key), _ = item
        m = re.match(r"^([a-z]+)-(\d+)cpu$", source)
        kind, cpus = (m.group(1), int(m.group(2))) if m else (source, 0)
        return ({"host": 0, "qemu": 1, "boot": 2}.get(kind, 3), kind, cpus,
                bench, key)

    records = []
    for (source, bench, key), fig in sorted(figures.items(), key=sort_key):
        values = [v for _, v in sorted(fig["values"])]
        records.append({
            "source": source, "benchmark": bench, "figure": key,
            "kind": fig["kind"], "unit": fig["unit"],
            "median": statistics.median(values), "min": min(values),
            "max": max(values), "runs": len(values), "values": values,
            "params": params.get((source, bench), {}),
        })
    records += native_ratios(records)
    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc)
                .replace(microsecond=0).isoformat(),
        "host": {"cpu_model": model, "cpus": os.cpu_count(),
                 "kernel": platform.release()},
        "qemu": {"version": qemu, "accelerator": accel},
        "commit": commit,
        "figures": records,
        "skipped": skipped,
        "failures": failures,
    }
    json_path = os.path.join(out, "latest.json")
    with open(json_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(json_path + ".tmp", json_path)

    md = ["# Xeno benchmarks", "",
          "%s on %s (%d CPUs); %s; accelerator %s%s." % (
              doc["date"], model, os.cpu_count() or 0, qemu, accel,
              ", commit " + commit if commit else ""),
          "",
          "Medians over the runs; see docs/testing.md for the kinds. "
          "In-QEMU times under TCG are emulator time: compare them only "
          "with each other, never with host times.", "",
          "| benchmark | where | figure | median | min-max | unit | kind | runs |",
          "|---|---|---|---:|---:|---|---|---:|"]
    for r in records:
        md.append("| %s | %s | %s | %s | %s-%s | %s | %s | %d |" % (
            r["benchmark"], source_label(r["source"]), r["figure"],
            fmt(r["median"]), fmt(r["min"]), fmt(r["max"]), r["unit"],
            r["kind"], r["runs"]))
    if not records:
        md.append("| (no figures) | | | | | | | |")
    for title, items in (("Skipped", skipped), ("Failures", failures)):
        if items:
            md += ["", "## " + title, ""] + ["- " + s for s in items]
    md_path = os.path.join(out, "latest.md")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    print("report: wrote %s and %s (%d figures)"
          % (json_path, md_path, len(records)))

    # ns/op of the allocator benchmarks, host against in-QEMU. Host
    # benchmarks may prefix their names with "host_" to tell them apart.
    rows = {}
    for r in records:
        if r["figure"] != "ns_per_op":
            continue
        bench = re.sub(r"^host_", "", r["benchmark"])
        if not bench.startswith("alloc"):
            continue
        rows.setdefault(bench, {})[r["source"]] = r["median"]
    png = os.path.join(out, "alloc.png")
    if rows:
        print("report: " + plot(sorted(rows.items()), png,
                                "Frame allocator: ns per alloc+free, "
                                "host vs in-QEMU (%s)" % accel.split()[0]))
    else:
        if os.path.exists(png):
            os.unlink(png)  # a stale chart would contradict latest.md
        print("report: skipped %s: no alloc ns_per_op figures" % png)
    return 0 if records else 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "banner-time":
        return banner_time(argv[2:])
    if len(argv) >= 2 and argv[1] == "report":
        return report(argv[2:])
    print("usage: bench/report.py banner-time --name NAME --log SERIAL "
          "[--timeout SEC] [--runner-log FILE] -- COMMAND...\n"
          "       bench/report.py report --raw DIR --out DIR",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
