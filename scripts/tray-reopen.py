#!/usr/bin/env python3
"""Tray test, part 2 (BENCHMARKS.md finding 3): closing the window frees the webview, "Open Hubkey" builds it again.

Run by scripts/screenshots.sh while the app shows its window, with the tray registered on the session bus:

    tray-reopen.py --pid APP_PID --bus :1.7 --menu /org/ayatana/NotificationItem/…/Menu [--relaunch APP]

1. closes the "Hubkey" window the way a window manager does (ICCCM WM_DELETE_WINDOW);
2. checks that the X window is destroyed (not merely hidden) and that no WebKitWebProcess is left among the
   app's descendants;
3. checks that the app process is still alive and that its tray menu still answers over D-Bus;
4. clicks "Open Hubkey" over D-Bus (com.canonical.dbusmenu.Event);
5. checks that a viewable "Hubkey" window exists again, with painted content, served by a new web process;
6. with --relaunch BINARY: resizes the window (xdotool), closes it, starts BINARY (single-instance forwards that
   to the running app and the new process exits, as for a hubkey:// link on Linux) and checks 5 again, and that
   the new window has the size the closed one had (tauri-plugin-window-state, issue 16 point 4);
7. with --background-after SECS (the app's HUBKEY_RELAUNCH_QUIET_SECS): closes it once more, puts other text
   on the clipboard (a token Hubkey copied keeps the process as it is), and checks that the idle app replaces
   its process (src-tauri/src/relaunch.rs): the same PID now runs hubkey-tray (or, with --tray-program
   hubkey-desktop, `hubkey-desktop --background`) with no WebKit process, no zombie child and, for hubkey-tray,
   no WebKit library mapped; its tray registers again and answers; its "Copy token" puts the token that
   `hubkey token` prints (--cli) on the clipboard; and "Open Hubkey" hands back to hubkey-desktop, which builds
   a painted window and puts the copied token on the clipboard again; with step 6, a window of the kept size
   (read from the file the closing process saved). With --autostart-entry FILE, its "Start at login" item
   writes FILE (`Exec=…/hubkey-desktop --background`), shows a check mark, and a second click removes FILE.
   The first size is put back at the end.

Prints one summary line (with the process tree's PSS before and after closing) and exits 0, or names the first
failed check and exits 1. X11 access comes from bench/x11.py (ctypes, stdlib only).
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import x11  # noqa: E402
from procs import alive, comm, descendants, memory  # noqa: E402

TITLE = "Hubkey"
OPEN_LABEL = "Open Hubkey"
# /proc/PID/comm is cut at 15 characters.
WEB_PROCESS_COMM = "WebKitWebProcess"[:15]
# Share of the window's pixels that differ from its background (bench/bench.py uses the same threshold).
PAINTED = 0.002


class Failed(Exception):
    pass


def web_processes(pid):
    return sorted(p for p in descendants(pid) if comm(p) == WEB_PROCESS_COMM)


def pss_mib(pid):
    """PSS of pid and its descendants, in MiB."""
    return memory(pid)["pss_kb"] / 1024


def pss_by_process(pid):
    """"name PSS, …" over pid and its descendants."""
    return ", ".join(f"{name} {pss / 1024:.0f}" for name, _rss, pss in memory(pid)["procs"])


def tree_text(pid):
    return ", ".join(f"{p} {comm(p)}" for p in descendants(pid)) or "none"


def gdbus(*args):
    r = subprocess.run(["gdbus", "call", "--session", *args], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise Failed(f"gdbus call {' '.join(args)} failed: {r.stderr.strip() or r.stdout.strip()}")
    return r.stdout


def menu_item(bus, menu, label, prefix=False):
    """(id, properties text) of the tray menu's item labelled `label` (or starting with it), or None. The menu is
    rebuilt with new ids when connections change, so ask each time."""
    layout = gdbus("-d", bus, "-o", menu, "-m", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]")
    wanted = f"'label': <'{label}" + ("" if prefix else "'>")
    for item_id, props in re.findall(r"\((\d+), \{([^{}]*)\}", layout):
        if wanted in props:
            return item_id, props
    return None


def item_id(bus, menu, label, prefix=False):
    """The id of the tray menu's item labelled `label` (or starting with it); fails when there is none."""
    item = menu_item(bus, menu, label, prefix)
    if not item:
        layout = gdbus("-d", bus, "-o", menu, "-m", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]")
        raise Failed(f"the tray menu has no '{label}' item: {layout.strip()}")
    return item[0]


def open_item_id(bus, menu):
    """The id of the tray menu's "Open Hubkey" item."""
    return item_id(bus, menu, OPEN_LABEL)


def poll(seconds, check, interval=0.05):
    """check() until it returns something truthy, or None after `seconds`."""
    end = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() >= end:
            return value
        time.sleep(interval)


def close_and_check(args, disp, window, web_before, how):
    """Close `window` like a window manager; it and the web process must go away, the app must stay."""
    pid = args.pid
    disp.close_window(window)
    if not poll(args.close_timeout, lambda: disp.attrs(window) is None):
        a = disp.attrs(window)
        state = "still viewable" if a.map_state == x11.IS_VIEWABLE else "unmapped (hidden, not destroyed)"
        raise Failed(f"{how}: after WM_DELETE_WINDOW the '{TITLE}' window 0x{window:x} still exists, {state}, "
                     f"{args.close_timeout} s later")
    if poll(args.close_timeout, lambda: not web_processes(pid)) is not True:
        left = web_processes(pid)
        raise Failed(f"{how}: {WEB_PROCESS_COMM} still running {args.close_timeout} s after the window closed: "
                     f"pids {left} (before closing: {web_before}; app's descendants: {tree_text(pid)})")
    # Let the host settle (the runtime's exit request refused, memory freed) before judging it alive.
    time.sleep(1)
    if not alive(pid):
        raise Failed(f"{how}: the app process {pid} exited when its window closed (the tray should keep it "
                     f"running)")


def geometry(window):
    """The window's (width, height) as X reports it (xdotool)."""
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", str(window)], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    values = dict(line.split("=", 1) for line in out.split() if "=" in line)
    return int(values["WIDTH"]), int(values["HEIGHT"])


def resize(args, window, size):
    """Resizes the window as a user would, and waits until X reports the new size."""
    # A window just shown may still get its restored size after X reported the first resize: try again then.
    for _ in range(3):
        subprocess.run(["xdotool", "windowsize", str(window), str(size[0]), str(size[1])], timeout=10, check=True)
        if poll(args.timeout, lambda: geometry(window) == size) is not True:
            raise Failed(f"the window did not take the size {size} (it is {geometry(window)})")
        time.sleep(1.0)  # the resize events reach the app (and tauri-plugin-window-state) after X has it
        if geometry(window) == size:
            return
    raise Failed(f"the window keeps going back to {geometry(window)} after being resized to {size}")


def wait_reopened(args, disp, old_window, old_web, since, how):
    """A new viewable, painted window with a new web process. Returns (window, web pids, mapped ms, painted ms)."""
    pid = args.pid
    found = poll(args.timeout, lambda: disp.find_viewable(TITLE))
    if not found:
        raise Failed(f"{how}: no viewable '{TITLE}' window {args.timeout} s later (app alive: {alive(pid)}; "
                     f"app's descendants: {tree_text(pid)})")
    window, attrs = found
    mapped_ms = (time.monotonic() - since) * 1000
    if window == old_window:
        raise Failed(f"{how}: the '{TITLE}' window 0x{window:x} is the old one, not a new one")
    web = poll(args.timeout, lambda: web_processes(pid))
    if not web:
        raise Failed(f"{how}: the new window has no {WEB_PROCESS_COMM} (app's descendants: {tree_text(pid)})")
    if set(web) & set(old_web):
        raise Failed(f"{how}: {WEB_PROCESS_COMM} {sorted(set(web) & set(old_web))} survived the close")
    if not poll(args.timeout, lambda: disp.painted_fraction(attrs) > PAINTED, interval=0.02):
        raise Failed(f"{how}: the rebuilt '{TITLE}' window stayed one flat colour for {args.timeout} s")
    return window, web, mapped_ms, (time.monotonic() - since) * 1000


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def zombie_children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            rest = st[st.rindex(")") + 2:].split()
            if rest[0] == "Z" and int(rest[1]) == pid:
                out.append(int(d))
    return out


def tray_item_of(pid):
    """(bus, menu) of the StatusNotifierItem registered by process `pid`, or None."""
    try:
        items = gdbus("-d", "org.kde.StatusNotifierWatcher", "-o", "/StatusNotifierWatcher", "-m",
                      "org.freedesktop.DBus.Properties.Get", "org.kde.StatusNotifierWatcher",
                      "RegisteredStatusNotifierItems")
    except Failed:
        return None
    for bus in re.findall(r"'(:[0-9.]+)", items):
        try:
            owner = gdbus("-d", "org.freedesktop.DBus", "-o", "/org/freedesktop/DBus", "-m",
                          "org.freedesktop.DBus.GetConnectionUnixProcessID", bus)
            if int(re.search(r"uint32 (\d+)", owner).group(1)) != pid:
                continue
            tree = subprocess.run(["gdbus", "introspect", "--session", "-d", bus, "-o",
                                   "/org/ayatana/NotificationItem", "-r"], capture_output=True, text=True,
                                  timeout=10).stdout
            item = re.search(r"node (/org/ayatana/NotificationItem/[^ /\n]+)", tree).group(1)
            menu = gdbus("-d", bus, "-o", item, "-m", "org.freedesktop.DBus.Properties.Get",
                         "org.kde.StatusNotifierItem", "Menu")
            return bus, re.search(r"objectpath '([^']+)'", menu).group(1)
        except (Failed, AttributeError, ValueError, subprocess.TimeoutExpired):
            continue
    return None


def clipboard():
    r = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True, timeout=10)
    return r.stdout.decode(errors="replace") if r.returncode == 0 else ""


def copy_item_id(bus, menu):
    return item_id(bus, menu, "Copy token", prefix=True)


START_AT_LOGIN_LABEL = "Start at login"


def check_start_at_login(args, pid, bus, menu):
    """In the tray-only process: "Start at login" writes the XDG autostart entry (hubkey-desktop --background,
    beside this tray), its check mark follows, and a second click takes the entry away (issue 16, point 3)."""
    entry = Path(args.autostart_entry)
    if entry.exists():
        raise Failed(f"precondition: {entry} exists already (this test would replace it)")
    desktop = Path(os.readlink(f"/proc/{pid}/exe")).parent / "hubkey-desktop"

    def checked():
        item = menu_item(bus, menu, START_AT_LOGIN_LABEL)
        if not item:
            raise Failed(f"the tray menu of {comm(pid)} has no '{START_AT_LOGIN_LABEL}' item")
        match = re.search(r"'toggle-state': <(\d+)>", item[1])
        return item[0], "'toggle-type': <'checkmark'>" in item[1], match and match.group(1) == "1"

    item_id, is_check, on = checked()
    if not is_check or on:
        raise Failed(f"'{START_AT_LOGIN_LABEL}' should be an unchecked check item: {menu_item(bus, menu, START_AT_LOGIN_LABEL)}")
    gdbus("-d", bus, "-o", menu, "-m", "com.canonical.dbusmenu.Event", "--", item_id, "clicked", '<"">', "0")
    if not poll(args.timeout, entry.exists, interval=0.1):
        raise Failed(f"'{START_AT_LOGIN_LABEL}' wrote no {entry}")
    exec_lines = [line for line in entry.read_text().splitlines() if line.startswith("Exec=")]
    if exec_lines != [f"Exec={desktop} --background"]:
        raise Failed(f"the autostart entry starts {exec_lines}, not {desktop} --background")
    if not poll(args.timeout, lambda: checked()[2], interval=0.2):
        raise Failed(f"'{START_AT_LOGIN_LABEL}' shows no check mark once the entry is written")
    gdbus("-d", bus, "-o", menu, "-m", "com.canonical.dbusmenu.Event", "--", checked()[0], "clicked", '<"">', "0")
    if not poll(args.timeout, lambda: not entry.exists(), interval=0.1):
        raise Failed(f"a second click on '{START_AT_LOGIN_LABEL}' left {entry}")
    if not poll(args.timeout, lambda: not checked()[2], interval=0.2):
        raise Failed(f"'{START_AT_LOGIN_LABEL}' still shows a check mark once the entry is gone")


def replaced(pid, program):
    if program == "hubkey-desktop":
        return b"--background" in cmdline(pid)
    return comm(pid) == program[:15]


def check_background_relaunch(args, disp, window, web):
    """Step 7: the closed, idle app replaces its process; the new one has no WebKit and a working tray."""
    pid = args.pid
    close_and_check(args, disp, window, web, "third close")
    subprocess.run(["xclip", "-selection", "clipboard"], input=b"not a token", timeout=10, check=True)
    closed = time.monotonic()
    wait = args.background_after + args.timeout
    if not poll(wait, lambda: replaced(pid, args.tray_program), interval=0.2):
        raise Failed(f"the idle app did not become {args.tray_program} within {wait:.0f} s of the window closing "
                     f"(now '{comm(pid)}': {b' '.join(cmdline(pid)).decode(errors='replace')})")
    replaced_s = time.monotonic() - closed
    if args.tray_program != "hubkey-desktop":
        maps = Path(f"/proc/{pid}/maps").read_text()
        if "libwebkit2gtk" in maps or "libjavascriptcoregtk" in maps:
            raise Failed(f"{args.tray_program} (pid {pid}) has WebKit mapped")
        # Two malloc arenas in the tray (hubkey-shell's handoff::tray_env, BENCHMARKS.md finding 17), unless the
        # app was started with a setting of its own.
        if "MALLOC_ARENA_MAX" not in os.environ:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            if b"MALLOC_ARENA_MAX=2" not in environ:
                raise Failed(f"{args.tray_program} (pid {pid}) was not started with MALLOC_ARENA_MAX=2")
    item = poll(args.timeout, lambda: tray_item_of(pid), interval=0.2)
    if not item:
        raise Failed(f"the replaced process registered no tray item within {args.timeout} s")
    bus, menu = item
    webkit = poll(args.close_timeout, lambda: [p for p in descendants(pid) if comm(p).startswith("WebKit")] or True)
    if webkit is not True:
        raise Failed(f"WebKit processes {webkit} outlived the replacement ({tree_text(pid)})")
    zombies = poll(args.close_timeout, lambda: zombie_children(pid) or True)
    if zombies is not True:
        raise Failed(f"zombie children {zombies} were not reaped after the replacement")
    pss = pss_mib(pid)
    token = None
    if args.cli:
        token = subprocess.run([args.cli, "token"], capture_output=True, text=True, timeout=30,
                               check=True).stdout.strip()
        gdbus("-d", bus, "-o", menu, "-m", "com.canonical.dbusmenu.Event", "--", copy_item_id(bus, menu),
              "clicked", '<"">', "0")
        if not poll(args.timeout, lambda: clipboard() == token, interval=0.1):
            raise Failed(f"'Copy token' in {args.tray_program} did not put the token on the clipboard")
    if args.autostart_entry:
        check_start_at_login(args, pid, bus, menu)
    clicked = time.monotonic()
    gdbus("-d", bus, "-o", menu, "-m", "com.canonical.dbusmenu.Event", "--", open_item_id(bus, menu), "clicked",
          '<"">', "0")
    reopened, _, _, _ = wait_reopened(args, disp, window, web, clicked,
                                      f"after clicking '{OPEN_LABEL}' in the replaced process")
    if comm(pid) != "hubkey-desktop":
        raise Failed(f"the window is shown, but pid {pid} runs '{comm(pid)}', not hubkey-desktop")
    if token is not None and not poll(args.timeout, lambda: clipboard() == token, interval=0.1):
        raise Failed(f"after the hand-over the clipboard holds {len(clipboard())} characters, not the token the "
                     "tray copied")
    return replaced_s, pss, reopened


def run(args, disp):
    pid = args.pid
    found = disp.find_viewable(TITLE)
    if not found:
        raise Failed(f"precondition: no viewable '{TITLE}' window to close")
    first_window, _ = found
    first_web = web_processes(pid)
    if not first_web:
        raise Failed(f"precondition: no {WEB_PROCESS_COMM} among the app's descendants ({tree_text(pid)})")
    pss_open = pss_mib(pid)

    # 1-3. Close like a window manager: the window and its web process go away, the app and its tray stay.
    close_and_check(args, disp, first_window, first_web, "close")
    pss_tray, tray_parts = pss_mib(pid), pss_by_process(pid)
    open_id = open_item_id(args.bus, args.menu)

    # 4-5. "Open Hubkey" builds the window again, with a new web process that paints.
    clicked = time.monotonic()
    gdbus("-d", args.bus, "-o", args.menu, "-m", "com.canonical.dbusmenu.Event", "--", open_id, "clicked",
          '<"">', "0")
    window, web, mapped_ms, painted_ms = wait_reopened(args, disp, first_window, first_web, clicked,
                                                       f"after clicking '{OPEN_LABEL}'")
    checks = ["window destroyed", "web process gone", "app alive", "tray answers", "window rebuilt",
              "new web process", "painted"]

    # 6. Optional: a second launch (what a deep link does on Linux) also brings a closed window back, with the
    # size it had when it was closed (tauri-plugin-window-state).
    original = kept = None
    if args.relaunch:
        original = geometry(window)
        kept = (original[0] - 120, original[1] - 80)
        resize(args, window, kept)
        close_and_check(args, disp, window, web, "second close")
        launched = time.monotonic()
        second = subprocess.run([args.relaunch], capture_output=True, text=True, timeout=args.timeout)
        if second.returncode != 0:
            raise Failed(f"the second launch exited with {second.returncode}: {second.stderr.strip()[-500:]}")
        window, web, _, _ = wait_reopened(args, disp, window, web, launched, "after a second launch")
        checks.append("second launch reopens")
        if geometry(window) != kept:
            raise Failed(f"the reopened window is {geometry(window)}, not the {kept} it had when it was closed")
        checks.append("size kept across close and reopen")

    # 7. Optional: once closed and idle, the app replaces its process to give back the window's memory.
    background = ""
    if args.background_after is not None:
        replaced_s, pss_background, window = check_background_relaunch(args, disp, window, web)
        checks += [f"became {args.tray_program} when idle", "no WebKit left", "tray registered again"]
        checks += ["tray copies the token"] if args.cli else []
        checks += ["tray switches start at login on and off"] if args.autostart_entry else []
        checks += ["Open Hubkey hands back to hubkey-desktop", "window painted"]
        if kept is not None:
            # A new hubkey-desktop process: the size came from the file the closing one saved.
            if geometry(window) != kept:
                raise Failed(f"after the hand-over the window is {geometry(window)}, not the {kept} it was closed with")
            checks.append("size kept across the hand-over (saved on disk)")
        checks += ["copied token kept across the hand-over"] if args.cli else []
        background = (f"; replaced {replaced_s:.1f} s after closing, then {pss_background:.0f} MiB PSS in the "
                      f"tray")

    if original is not None:
        resize(args, window, original)  # the screenshots after this test crop the window's first size
    print(f"tray reopen: {len(checks)} passed, 0 failed ({', '.join(checks)}); "
          f"PSS of the app's tree {pss_open:.0f} MiB with the window, {pss_tray:.0f} MiB in the tray "
          f"({tray_parts}); reopened window mapped after {mapped_ms:.0f} ms, painted after {painted_ms:.0f} ms; "
          f"web process {first_web} -> {web}{background}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pid", type=int, required=True, help="the app's process id")
    ap.add_argument("--bus", required=True, help="the tray item's unique bus name")
    ap.add_argument("--menu", required=True, help="the tray menu's object path")
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for a window or a paint")
    ap.add_argument("--close-timeout", type=float, default=10,
                    help="seconds for the closed window and its web process to go away")
    ap.add_argument("--relaunch", help="the app's binary: also check that a second launch reopens the window")
    ap.add_argument("--background-after", type=float,
                    help="the app's HUBKEY_RELAUNCH_QUIET_SECS: also check that the closed, idle app replaces "
                         "its process (step 7)")
    ap.add_argument("--tray-program", default="hubkey-tray",
                    help="what the process becomes in step 7 (hubkey-desktop: itself, with --background)")
    ap.add_argument("--cli", help="the hubkey CLI: in step 7, also copy a token from the tray and check it")
    ap.add_argument("--autostart-entry",
                    help="the XDG autostart file (must not exist): in step 7, also switch 'Start at login' on and "
                         "off from the tray and check the file")
    args = ap.parse_args()
    disp = x11.Display(os.environ.get("DISPLAY"))
    try:
        run(args, disp)
    except Failed as e:
        print(f"tray reopen: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        disp.close()


if __name__ == "__main__":
    main()
