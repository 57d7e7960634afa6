#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# Reads tests/integration/cases.txt (its format is described at the top of
# that file) and judges one integration run: the exit status tools/qemu-run.sh
# returned and the serial log against the case's expectations.
#
# Usage:
#   tests/integration/evaluate.py [--cases FILE] list [REGEX]
#       Checks the whole file, then prints one case per line, fields
#       separated by tabs: name, kind (kernel|iso), image path, cpus, mem MiB,
#       timeout s, cmdline, boot modules (joined by " ++ "); an empty
#       cmdline or module list is printed as "-". REGEX keeps only the cases whose name it matches.
#   tests/integration/evaluate.py [--cases FILE] check NAME LOG STATUS [RUNNER_LOG]
#       STATUS is qemu-run.sh's exit status; RUNNER_LOG, if given, is its
#       stderr (quoted when QEMU could not run). Prints "PASS", or a one-line
#       reason and exits 1.
#
# Exit status: 0 pass / listed, 1 fail, 2 bad usage or a bad cases file.
import os
import re
import sys

DEFAULT_CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "cases.txt")
DEFAULT_KERNEL = (os.environ.get("XENO_BUILD") or "build") + "/xeno.elf"
DEFAULT_TIMEOUT = 120

STATUS_NAMES = {
    "OK": 0, "TEST_FAIL": 1, "PANIC": 2, "EXCEPTION": 3, "BAD_BOOT": 4,
    "NO_MEMORY": 5, "CPU": 6, "FATAL": 7,
}
RUNNER_TIMEOUT = 124
RUNNER_NO_STATUS = 125
RUNNER_FAILED = 126
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
FIELD_SEP = re.compile(r"\s\|\s")
ITEM_SEP = re.compile(r"\s;;\s")
MODULE_SEP = re.compile(r"\s\+\+\s")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")


class CasesError(Exception):
    pass


def status_text(code):
    """How a qemu-run.sh exit status reads in a report."""
    if code == RUNNER_TIMEOUT:
        return "timeout"
    if code == RUNNER_NO_STATUS:
        return "no exit status (reset or triple fault)"
    if code == RUNNER_FAILED:
        return "QEMU could not run"
    for name, value in STATUS_NAMES.items():
        if value == code:
            return "exit status %d (%s)" % (code, name)
    return "exit status %d" % code


def parse_status(text, where):
    if text in STATUS_NAMES:
        return STATUS_NAMES[text]
    if text == "NO_STATUS":
        return RUNNER_NO_STATUS
    if text.isdigit() and int(text) < 124:
        return int(text)
    raise CasesError("%s: bad status '%s' (want %s, NO_STATUS or a number)"
                     % (where, text, " ".join(STATUS_NAMES)))


def split_items(text):
    text = text.strip()
    if text in ("", "-"):
        return []
    return [item.strip() for item in ITEM_SEP.split(text) if item.strip()]


def expand(items, defines, where):
    """Replaces $NAME items by their @define lists and compiles each regex."""
    out = []
    for item in items:
        if item.startswith("$") and NAME_RE.match(item[1:]):
            if item[1:] not in defines:
                raise CasesError("%s: %s is not defined" % (where, item))
            out.extend(defines[item[1:]])
            continue
        try:
            out.append((item, re.compile(item, re.MULTILINE)))
        except re.error as e:
            raise CasesError("%s: bad regex /%s/: %s" % (where, item, e))
    return out


def load_cases(path):
    """Parses the cases file; returns the cases in file order."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise CasesError("cannot read %s: %s" % (path, e.strerror))
    defines = {}
    cases = []
    names = set()
    for number, raw in enumerate(lines, 1):
        where = "%s:%d" % (path, number)
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@define"):
            m = re.match(r"^@define\s+([A-Za-z0-9_]+)\s*=\s*(.*)$", line)
            if not m:
                raise CasesError("%s: want '@define NAME = re ;; re'" % where)
            defines[m.group(1)] = expand(split_items(m.group(2)), defines,
                                         where)
            continue
        fields = [f.strip() for f in FIELD_SEP.split(line)]
        if len(fields) not in (8, 9):
            raise CasesError("%s: %d fields, want 8 or 9 separated by ' | '"
                             % (where, len(fields)))
        name, image, cpus, mem, status, cmdline, must, mustnot = fields[:8]
        if not NAME_RE.match(name):
            raise CasesError("%s: bad name '%s'" % (where, name))
        if name in names:
            raise CasesError("%s: case %s defined twice" % (where, name))
        names.add(name)
        modules = []
        if MODULE_SEP.search(image):
            parts = MODULE_SEP.split(image)
            image, modules = parts[0].strip(), [m.strip() for m in parts[1:]]
            if not image.startswith("kernel") or not all(modules):
                raise CasesError("%s: modules ('++ PATH ARGS') need a kernel "
                                 "image and a path each" % where)
        if image == "kernel":
            kind, path_ = "kernel", DEFAULT_KERNEL
        elif image.startswith("kernel:") and len(image) > 7:
            kind, path_ = "kernel", image[7:]
        elif image.startswith("iso:") and len(image) > 4:
            kind, path_ = "iso", image[4:]
        else:
            raise CasesError("%s: image '%s' is not kernel, kernel:PATH or "
                             "iso:PATH" % (where, image))
        for label, value in (("cpus", cpus), ("mem", mem)):
            if not value.isdigit() or int(value) < 1:
                raise CasesError("%s: %s '%s' is not a positive number"
                                 % (where, label, value))
        timeout = int(os.environ.get("XENO_TEST_TIMEOUT") or DEFAULT_TIMEOUT)
        if len(fields) == 9:
            if not fields[8].isdigit() or int(fields[8]) < 1:
                raise CasesError("%s: timeout '%s' is not a positive number"
                                 % (where, fields[8]))
            timeout = int(fields[8])
        cases.append({
            "name": name, "kind": kind, "image": path_, "cpus": int(cpus),
            "mem": int(mem), "status": parse_status(status, where),
            "cmdline": "" if cmdline == "-" else cmdline,
            "must": expand(split_items(must), defines, where),
            "mustnot": expand(split_items(mustnot), defines, where),
            "timeout": timeout, "modules": modules,
        })
    for case in cases:
        case["must"] += defines.get("ALL_MUST", [])
        case["mustnot"] += defines.get("ALL_MUSTNOT", [])
    return cases


def read_log(path):
    """The serial log as text: CRs and terminal escapes (GRUB's) removed."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace").replace("\r", "")
    return ANSI_RE.sub("", text)


def last_line(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        return ""
    # The runner's own summary line comes last; the line before it (QEMU's
    # complaint) says more.
    for line in reversed(lines):
        if not line.startswith("qemu-run: "):
            return line
    return lines[-1] if lines else ""


def shorten(text, limit=100):
    text = text.strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


def judge(case, log_path, code, runner_log=None):
    """Returns a list of reasons the run failed; empty when it passed."""
    reasons = []
    if code != case["status"]:
        want = status_text(case["status"]).replace("exit status ", "")
        reason = "%s, expected %s" % (status_text(code), want)
        if code == RUNNER_FAILED and runner_log:
            reason += ": " + shorten(last_line(runner_log))
        elif code == RUNNER_TIMEOUT:
            reason = "timeout after %ds, expected %s" % (case["timeout"], want)
        reasons.append(reason)
    text = read_log(log_path)
    if text is None:
        if code != RUNNER_FAILED:
            reasons.append("no serial log")
        return reasons
    missing = [src for src, rx in case["must"] if not rx.search(text)]
    if missing:
        more = " (+%d more)" % (len(missing) - 1) if len(missing) > 1 else ""
        reasons.append("missing /%s/%s" % (missing[0], more))
    for src, rx in case["mustnot"]:
        m = rx.search(text)
        if m:
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end())
            line = text[start:end if end >= 0 else len(text)]
            reasons.append("forbidden /%s/ matched '%s'" % (src, shorten(line)))
            break
    return reasons


def main(argv):
    args = argv[1:]
    cases_path = os.environ.get("XENO_CASES") or DEFAULT_CASES
    if len(args) >= 2 and args[0] == "--cases":
        cases_path = args[1]
        args = args[2:]
    try:
        cases = load_cases(cases_path)
    except CasesError as e:
        print("evaluate: %s" % e, file=sys.stderr)
        return 2
    if args and args[0] == "list" and len(args) <= 2:
        only = re.compile(args[1]) if len(args) == 2 else None
        for c in cases:
            if only and not only.search(c["name"]):
                continue
            print("\t".join(str(x) for x in (
                c["name"], c["kind"], c["image"], c["cpus"], c["mem"],
                c["timeout"], c["cmdline"] or "-",
                " ++ ".join(c["modules"]) or "-")))
        return 0
    if args and args[0] == "check" and len(args) in (4, 5):
        by_name = {c["name"]: c for c in cases}
        if args[1] not in by_name:
            print("evaluate: no case named %s" % args[1], file=sys.stderr)
            return 2
        if not args[3].lstrip("-").isdigit():
            print("evaluate: STATUS must be a number", file=sys.stderr)
            return 2
        reasons = judge(by_name[args[1]], args[2], int(args[3]),
                        args[4] if len(args) == 5 else None)
        print("; ".join(reasons) if reasons else "PASS")
        return 1 if reasons else 0
    print("usage: evaluate.py [--cases FILE] list [REGEX]\n"
          "       evaluate.py [--cases FILE] check NAME LOG STATUS "
          "[RUNNER_LOG]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
