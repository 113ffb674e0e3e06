"""A process tree from /proc, and its memory: shared by bench/bench.py and scripts/tray-reopen.py (stdlib only).

WebKitGTK runs the page and the network in child processes (WebKitWebProcess, WebKitNetworkProcess), so what
the app costs is summed over the app and all its descendants."""

import os
from pathlib import Path


def stat_fields(pid):
    """(state, ppid) from /proc/PID/stat, or None when the process is gone."""
    try:
        st = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = st[st.rindex(")") + 2:].split()
    return rest[0], int(rest[1])


def tree(pid):
    """pid and every live (not zombie) descendant of it, pid first."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = stat_fields(int(d))
            if f and f[0] != "Z":
                kids.setdefault(f[1], []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def descendants(pid):
    """Every live descendant of pid (not pid itself)."""
    return tree(pid)[1:]


def alive(pid):
    f = stat_fields(pid)
    return f is not None and f[0] != "Z"


def comm(pid):
    """The process name (cut at 15 characters by the kernel), or "?" when it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def memory(pid):
    """{'rss_kb','pss_kb','procs':[(comm,rss,pss)]} summed over the process tree (from smaps_rollup)."""
    total_rss = total_pss = 0
    per = []
    for p in tree(pid):
        rss = pss = 0
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
        except OSError:
            continue
        total_rss += rss
        total_pss += pss
        per.append((comm(p), rss, pss))
    return {"rss_kb": total_rss, "pss_kb": total_pss, "procs": per}
