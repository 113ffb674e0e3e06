"""Tiny Xlib bindings (ctypes, stdlib only) for the benchmarks.

Why not xdotool: `xdotool search --sync` polls every 500 ms, so a time-to-window measured with it is
rounded up to the next half second (build-env.md's "0.51 s" is one such figure). Here the window
list is polled every few milliseconds, and the window's pixels are read straight from the X server
(the webview is composited into the window, so the root window is read and cropped, as
scripts/screenshots.sh does with `import -window root -crop`).
"""

import ctypes
import ctypes.util
from array import array

_x = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")

Window = ctypes.c_ulong
Atom = ctypes.c_ulong


class XWindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int), ("y", ctypes.c_int),
        ("width", ctypes.c_int), ("height", ctypes.c_int),
        ("border_width", ctypes.c_int), ("depth", ctypes.c_int),
        ("visual", ctypes.c_void_p), ("root", Window),
        ("class_", ctypes.c_int), ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int),
        ("backing_planes", ctypes.c_ulong), ("backing_pixel", ctypes.c_ulong),
        ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong),
        ("map_installed", ctypes.c_int), ("map_state", ctypes.c_int),
        ("all_event_masks", ctypes.c_long), ("your_event_mask", ctypes.c_long),
        ("do_not_propagate_mask", ctypes.c_long), ("override_redirect", ctypes.c_int),
        ("screen", ctypes.c_void_p),
    ]


class XImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int), ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int), ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_char)),
        ("byte_order", ctypes.c_int), ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p), ("window", Window), ("message_type", Atom),
        ("format", ctypes.c_int), ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_long * 24)]


_x.XOpenDisplay.restype = ctypes.c_void_p
_x.XOpenDisplay.argtypes = [ctypes.c_char_p]
_x.XDefaultRootWindow.restype = Window
_x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
_x.XQueryTree.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(Window), ctypes.POINTER(Window),
                          ctypes.POINTER(ctypes.POINTER(Window)), ctypes.POINTER(ctypes.c_uint)]
_x.XFetchName.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(ctypes.c_char_p)]
_x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(XWindowAttributes)]
_x.XGetImage.restype = ctypes.POINTER(XImage)
_x.XGetImage.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
                         ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
_x.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]
_x.XInternAtom.restype = Atom
_x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
_x.XSendEvent.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_long, ctypes.POINTER(XEvent)]
_x.XFlush.argtypes = [ctypes.c_void_p]
_x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
_x.XFree.argtypes = [ctypes.c_void_p]
_x.XCloseDisplay.argtypes = [ctypes.c_void_p]
# A window that disappears between XQueryTree and the next call must not kill the poller.
_ERRH = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(lambda d, e: 0)
_x.XSetErrorHandler.argtypes = [ctypes.c_void_p]
_x.XSetErrorHandler(ctypes.cast(_ERRH, ctypes.c_void_p))

IS_VIEWABLE = 2
ZPIXMAP = 2
ALL_PLANES = 0xFFFFFFFF


class Display:
    def __init__(self, name=None):
        self.d = _x.XOpenDisplay(name.encode() if name else None)
        if not self.d:
            raise RuntimeError(f"cannot open X display {name!r}")
        self.root = _x.XDefaultRootWindow(self.d)

    def close(self):
        if self.d:
            _x.XCloseDisplay(self.d)
            self.d = None

    def _children(self, w):
        root, parent = Window(), Window()
        kids = ctypes.POINTER(Window)()
        n = ctypes.c_uint()
        if not _x.XQueryTree(self.d, w, ctypes.byref(root), ctypes.byref(parent), ctypes.byref(kids), ctypes.byref(n)):
            return []
        out = [kids[i] for i in range(n.value)]
        if kids:
            _x.XFree(kids)
        return out

    def name(self, w):
        p = ctypes.c_char_p()
        if _x.XFetchName(self.d, w, ctypes.byref(p)) and p.value is not None:
            v = p.value.decode("utf-8", "replace")
            _x.XFree(p)
            return v
        return None

    def attrs(self, w):
        a = XWindowAttributes()
        if not _x.XGetWindowAttributes(self.d, w, ctypes.byref(a)):
            return None
        return a

    def find_viewable(self, title, depth=2):
        """A viewable window named `title` (top-level or one level down), with its attributes."""
        todo = [(self.root, 0)]
        while todo:
            w, lvl = todo.pop()
            for c in self._children(w):
                if self.name(c) == title:
                    a = self.attrs(c)
                    if a is not None and a.map_state == IS_VIEWABLE:
                        return c, a
                if lvl + 1 < depth:
                    todo.append((c, lvl + 1))
        return None

    def is_viewable(self, w):
        a = self.attrs(w)
        return a is not None and a.map_state == IS_VIEWABLE

    def painted_fraction(self, a, top=0.0):
        """Share of the window's pixels that differ from its top-left pixel (0.0: one flat colour). With `top`
        (0.0–1.0), only the part of the window below that fraction of its height is looked at."""
        dy = int(a.height * top)
        img = _x.XGetImage(self.d, self.root, a.x, a.y + dy, a.width, a.height - dy, ALL_PLANES, ZPIXMAP)
        if not img:
            return 0.0
        try:
            im = img.contents
            n = im.bytes_per_line * im.height
            buf = array("I")
            buf.frombytes(ctypes.string_at(im.data, n))
        finally:
            _x.XDestroyImage(img)
        if not buf:
            return 0.0
        # Ignore the 4 corner pixels' row quirks: compare against a pixel just inside the window.
        bg = buf[min(len(buf) - 1, 4 * (im.bytes_per_line // 4) + 4)]
        return 1.0 - buf.count(bg) / len(buf)

    def close_window(self, w):
        """What a window manager does on the title bar's close button: WM_DELETE_WINDOW (ICCCM)."""
        ev = XEvent()
        ev.xclient.type = 33  # ClientMessage
        ev.xclient.window = w
        ev.xclient.message_type = _x.XInternAtom(self.d, b"WM_PROTOCOLS", 0)
        ev.xclient.format = 32
        ev.xclient.data[0] = _x.XInternAtom(self.d, b"WM_DELETE_WINDOW", 0)
        ev.xclient.data[1] = 0  # CurrentTime
        _x.XSendEvent(self.d, w, 0, 0, ctypes.byref(ev))
        _x.XSync(self.d, 0)
