"""``mx.profiler``: time operators and user-marked regions; write Chrome traces.

Configure with ``set_config(...)``, record between ``set_state('run')`` and
``set_state('stop')`` (``pause``/``resume`` suspend recording), then
``dump()`` writes a Chrome trace-event file (open it in ``chrome://tracing``
or https://ui.perfetto.dev) and ``dumps()`` returns per-name aggregate
statistics (with ``aggregate_stats=True``) as a table or JSON.

What is recorded:

* every imperative operator call (``profile_imperative``): one complete
  event named after the op, on its device's track, on the thread that ran
  the kernel (an engine worker for work pushed to the engine, timed there);
* every step of a compiled graph (``profile_symbolic``: executors, hybridized
  blocks), timed from the end of the previous step to the end of this one;
  on a GPU kernels run asynchronously, so a step's time is its launch time
  unless something in it synchronises;
* ``Domain`` objects: ``Task``/``Frame`` durations, ``Counter`` values and
  ``Marker`` instants, and free-standing ``Event`` durations.

When the profiler is not recording, ``mxnet.ndarray.invoke`` and
``mxnet.graph.plan`` pay one global read each per call: they hold a hook
that is ``None`` unless this module installs one (see ``_update_hooks``).
Memory and C-API events (``profile_memory``, ``profile_api``) are accepted
for compatibility but record nothing: there is no allocator or C API to
observe here.
"""
import atexit
import contextlib
import ctypes
import json
import os
import threading
import time
import warnings

from .base import MXNetError, c_str, check_call, py_str

__all__ = ["set_config", "set_state", "state", "pause", "resume", "dump", "dumps",
           "dump_profile", "profiler_set_config", "profiler_set_state", "scope",
           "set_kvstore_handle", "Domain", "Task", "Frame", "Event", "Counter", "Marker"]

ProfileHandle = ctypes.c_void_p
KVStoreHandle = ctypes.c_void_p
profiler_kvstore_handle = KVStoreHandle()

_now = time.perf_counter
# Trace timestamps are wall-clock microseconds, like MXNet's; measuring with
# perf_counter and shifting once keeps the per-event cost low.
_EPOCH_OFFSET_US = time.time() * 1e6 - _now() * 1e6

_BOOL_WORDS = {"true": True, "1": True, "false": False, "0": False}


def _as_bool(key, value):
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _BOOL_WORDS:
        return _BOOL_WORDS[word]
    raise MXNetError(f"profiler.set_config: {key} expects a boolean, got {value!r}")


def _as_float(key, value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MXNetError(f"profiler.set_config: {key} expects a number of seconds, "
                         f"got {value!r}") from None


def _as_process(key, value):
    if value not in ("worker", "server"):
        raise MXNetError(f"profiler: {key} must be 'worker' or 'server', got {value!r}")
    if value == "server":
        raise MXNetError("profiler: profiling kvstore server processes is not supported; "
                         "profile the workers (profile_process='worker')")
    return value


# set_config key -> (default, parser); MXNet's names and defaults.
_CONFIG = {
    "profile_all": (False, _as_bool),
    "profile_symbolic": (True, _as_bool),
    "profile_imperative": (True, _as_bool),
    "profile_memory": (True, _as_bool),
    "profile_api": (True, _as_bool),
    "filename": ("profile.json", lambda key, value: str(value)),
    "continuous_dump": (True, _as_bool),
    "dump_period": (1.0, _as_float),
    "aggregate_stats": (False, _as_bool),
    "profile_process": ("worker", _as_process),
}


class _Profiler:
    """The process's profiler state; every public function works on ``_prof``."""

    def __init__(self):
        self.config = {key: default for key, (default, _) in _CONFIG.items()}
        self.state = "stop"
        self.paused = False
        self.started = False  # set_state('run') happened at least once
        self.lock = threading.Lock()
        self.trace = []  # event tuples not yet finished by dump(finished=True)
        self.unwritten = False  # events recorded since the file was last written
        self.stats = {}  # (category, name) -> [count, total, min, max] in seconds
        self.counters = {}  # (category, name) -> [count, min, max, last]
        self.thread_names = {}
        self.dumper = None

    @property
    def recording(self):
        return self.state == "run" and not self.paused


_prof = _Profiler()
_scope = threading.local()


# ---------------------------------------------------------------- recording

def _device_name(ctx):
    return f"{ctx.device_type}/{ctx.device_id}"


def _note_thread(tid):
    if tid not in _prof.thread_names:
        _prof.thread_names[tid] = threading.current_thread().name


def _record_duration(category, name, process, start, end, args=None):
    """Add one complete event (times from ``perf_counter``) and its statistics."""
    tid = threading.get_ident()
    _note_thread(tid)
    seconds = end - start
    with _prof.lock:
        _prof.trace.append(("X", category, name, process, tid, start, seconds, args))
        _prof.unwritten = True
        if _prof.config["aggregate_stats"]:
            st = _prof.stats.get((category, name))
            if st is None:
                _prof.stats[(category, name)] = [1, seconds, seconds, seconds]
            else:
                st[0] += 1
                st[1] += seconds
                st[2] = min(st[2], seconds)
                st[3] = max(st[3], seconds)


def _record_counter(category, name, value):
    tid = threading.get_ident()
    _note_thread(tid)
    with _prof.lock:
        _prof.trace.append(("C", category, name, category, tid, _now(), value, None))
        _prof.unwritten = True
        if _prof.config["aggregate_stats"]:
            st = _prof.counters.get((category, name))
            if st is None:
                _prof.counters[(category, name)] = [1, value, value, value]
            else:
                st[:] = [st[0] + 1, min(st[1], value), max(st[2], value), value]


def _record_instant(category, name, scope_code):
    tid = threading.get_ident()
    _note_thread(tid)
    with _prof.lock:
        _prof.trace.append(("i", category, name, category, tid, _now(), scope_code, None))
        _prof.unwritten = True


def _op_name(name):
    prefix = getattr(_scope, "name", None)
    return name if prefix is None else prefix + name


class _TimingEngine:
    """Stands in for the engine in ``invoke._push`` while profiling: the op's
    work is wrapped at push time so it is timed on the worker that runs it."""

    def __init__(self, engine, name, ctx):
        self._engine = engine
        self._name = name
        self._device = _device_name(ctx)
        self.pushed = False

    def push(self, fn, ctx, read_vars=(), write_vars=(), name=None):
        self.pushed = True
        op_name, device = self._name, self._device

        def timed():
            start = _now()
            try:
                fn()
            finally:
                _record_duration("operator", op_name, device, start, _now())
        self._engine.push(timed, ctx, read_vars, write_vars, name)


def _run_imperative(op, attrs, inputs, ctx, outs, eng, idle, size):
    """``invoke``'s dispatch with timing: the same inline-or-push choice as
    the untimed path, one event per call."""
    from .ndarray import invoke
    name = _op_name(op.name)
    if idle and (size < invoke.ASYNC_MIN_SIZE or not eng.threaded):
        start = _now()
        results = invoke._run_inline(op, attrs, inputs, ctx, outs)
        _record_duration("operator", name, _device_name(ctx), start, _now())
        return results
    timing = _TimingEngine(eng, name, ctx)
    start = _now()
    results = invoke._push(op, attrs, inputs, ctx, outs, timing)
    if not timing.pushed:  # no inference rule: _push waited and ran it in the caller
        _record_duration("operator", name, _device_name(ctx), start, _now())
    return results


def _step_monitor(ctx, monitor):
    """A ``run_steps`` monitor timing each compiled-graph step (then calling
    the caller's ``monitor``, whose own time is left out)."""
    device = _device_name(ctx)
    last = [_now()]

    def observe(step, slots):
        _record_duration("operator", _op_name(step.op.name), device, last[0], _now(),
                         {"node": step.name})
        if monitor is not None:
            monitor(step, slots)
        last[0] = _now()
    return observe


def _update_hooks():
    """Install or remove the operator hooks to match state and config."""
    from .graph import plan
    from .ndarray import invoke
    cfg = _prof.config
    on = _prof.recording
    invoke._profiler_hook = (_run_imperative if on and (cfg["profile_all"] or
                                                        cfg["profile_imperative"]) else None)
    plan._profiler_hook = (_step_monitor if on and (cfg["profile_all"] or
                                                    cfg["profile_symbolic"]) else None)


# ---------------------------------------------------------------- control

def set_config(**kwargs):
    """Configure the profiler (keywords only; unspecified keys keep their value).

    ``profile_all`` (False), ``profile_symbolic`` (True), ``profile_imperative``
    (True): which operators to record. ``filename`` ('profile.json'): the
    trace file. ``continuous_dump`` (True) rewrites the file every
    ``dump_period`` (1.0) seconds while running. ``aggregate_stats`` (False)
    keeps per-name statistics for ``dumps()``. ``profile_memory``,
    ``profile_api`` (True) are accepted and record nothing here.
    ``profile_process`` must be 'worker'. Values may be strings, as MXNet accepts.
    """
    parsed = {}
    for key, value in kwargs.items():
        if key not in _CONFIG:
            raise MXNetError(f"profiler.set_config: unknown argument {key!r}; expected one of "
                             f"{', '.join(_CONFIG)}")
        parsed[key] = _CONFIG[key][1](key, value)
    _prof.config.update(parsed)
    _update_hooks()


def set_state(state="stop", profile_process="worker"):
    """Start ('run') or stop ('stop') recording. Stopping with
    ``continuous_dump`` on writes the trace file one last time."""
    _as_process("profile_process", profile_process)
    if state not in ("run", "stop"):
        raise MXNetError(f"profiler.set_state: state must be 'run' or 'stop', got {state!r}")
    _prof.state = state
    _prof.paused = False
    if state == "run":
        _prof.started = True
        if _prof.config["continuous_dump"] and _prof.dumper is None:
            _prof.dumper = _ContinuousDump(_prof.config["dump_period"])
            _prof.dumper.start()
    elif _prof.dumper is not None:
        _prof.dumper.finish()
        _prof.dumper = None
        _write_trace()
    _update_hooks()


def state():
    """The current state: 'run' or 'stop' (an MXNext addition)."""
    return _prof.state


def pause(profile_process="worker"):
    """Suspend recording without leaving the 'run' state."""
    _as_process("profile_process", profile_process)
    _prof.paused = True
    _update_hooks()


def resume(profile_process="worker"):
    """Resume recording after ``pause``."""
    _as_process("profile_process", profile_process)
    _prof.paused = False
    _update_hooks()


def set_kvstore_handle(handle):
    """Accepted for compatibility: only worker processes are profiled here."""
    global profiler_kvstore_handle
    profiler_kvstore_handle = handle


@contextlib.contextmanager
def scope(name="<unk>:", append_mode=False):
    """Prefix the names of operators recorded in this thread inside the block
    with ``name`` (a ':' is appended if missing); with ``append_mode`` the
    prefix extends the enclosing scope's instead of replacing it."""
    name = name if name.endswith(":") else name + ":"
    prev = getattr(_scope, "name", None)
    _scope.name = (prev or "") + name if append_mode else name
    try:
        yield
    finally:
        _scope.name = prev


class _ContinuousDump(threading.Thread):
    """Rewrites the trace file every ``period`` seconds while running."""

    def __init__(self, period):
        super().__init__(name="mxnet-profiler-dump", daemon=True)
        self._period = max(period, 0.01)
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(self._period):
            if _prof.unwritten:
                _write_trace()

    def finish(self):
        self._done.set()


# ---------------------------------------------------------------- output

def _chrome_trace(events):
    """The Chrome trace-event document for ``events`` (tuples as recorded)."""
    pids = {}
    out = []

    def pid_of(process):
        pid = pids.get(process)
        if pid is None:
            pid = pids[process] = len(pids)
            out.append({"name": "process_name", "ph": "M", "pid": pid,
                        "args": {"name": process}})
        return pid

    threads = set()
    body = []
    for kind, category, name, process, tid, start, value, args in events:
        pid = pid_of(process)
        if (pid, tid) not in threads:
            threads.add((pid, tid))
            out.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                        "args": {"name": _prof.thread_names.get(tid, str(tid))}})
        ev = {"name": name, "cat": category, "ph": kind,
              "ts": round(start * 1e6 + _EPOCH_OFFSET_US, 3), "pid": pid, "tid": tid}
        if kind == "X":
            ev["dur"] = round(value * 1e6, 3)
            if args:
                ev["args"] = args
        elif kind == "C":
            ev["args"] = {name: value}
        else:
            ev["s"] = value
        body.append(ev)
    return {"traceEvents": out + body, "displayTimeUnit": "ms",
            "otherData": {"producer": "MXNext mx.profiler"}}


def _write_trace(finished=False):
    with _prof.lock:
        events = list(_prof.trace)
        _prof.unwritten = False
        if finished:
            _prof.trace = []
    path = _prof.config["filename"]
    tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"  # the dump thread may write too
    with open(tmp, "w") as f:  # written aside and renamed: readers never see half a file
        json.dump(_chrome_trace(events), f)
    os.replace(tmp, path)


def dump(finished=True, profile_process="worker"):
    """Write everything recorded so far to the configured file as a Chrome
    trace (valid JSON each time). ``finished=True`` also discards the written
    events, so the next trace starts empty; recording continues as set."""
    _as_process("profile_process", profile_process)
    if not _prof.started:
        raise MXNetError("profiler.dump: the profiler has not been run; call "
                         "set_config(...) and set_state('run') first")
    _write_trace(finished=bool(finished))


def _exit_dump():
    if _prof.unwritten and _prof.started:
        _write_trace()


atexit.register(_exit_dump)

_SORT_KEYS = {"total": lambda s: s[1], "avg": lambda s: s[1] / s[0], "min": lambda s: s[2],
              "max": lambda s: s[3], "count": lambda s: s[0]}


def dumps(reset=False, format="table", sort_by="total", ascending=False):
    """Aggregate statistics per category and name (count, total, min, max and
    average time in ms; counters: count, min, max, last value) as a table or
    as JSON (``format='json'``), sorted by ``sort_by`` ('total', 'avg',
    'min', 'max', 'count'). Empty unless ``aggregate_stats=True`` was set.
    ``reset=True`` clears the statistics after reading them."""
    if format not in ("table", "json"):
        raise MXNetError(f"profiler.dumps: format must be 'table' or 'json', got {format!r}")
    if sort_by not in _SORT_KEYS:
        raise MXNetError(f"profiler.dumps: sort_by must be one of {', '.join(_SORT_KEYS)}, "
                         f"got {sort_by!r}")
    if ascending not in (True, False) or reset not in (True, False):
        raise MXNetError(f"profiler.dumps: ascending and reset must be True or False, got "
                         f"{ascending!r} and {reset!r}")
    with _prof.lock:
        stats = {k: list(v) for k, v in _prof.stats.items()}
        counters = {k: list(v) for k, v in _prof.counters.items()}
        if reset:
            _prof.stats, _prof.counters = {}, {}
    if not _prof.config["aggregate_stats"] and not stats and not counters:
        return ""
    times = _group(stats, _SORT_KEYS[sort_by], ascending)
    values = _group(counters, _SORT_KEYS[sort_by], ascending)
    if format == "json":
        return _stats_json(times, values)
    return _stats_table(times, values)


def _group(stats, key, ascending):
    """{category: [(name, stat), ...]} with rows sorted by ``key``."""
    groups = {}
    for (category, name), st in stats.items():
        groups.setdefault(category, []).append((name, st))
    for rows in groups.values():
        rows.sort(key=lambda row: key(row[1]), reverse=not ascending)
    return dict(sorted(groups.items()))


def _stats_json(times, values):
    ms = 1e3
    doc = {"Time": {cat: {name: {"Count": c, "Total": round(t * ms, 4), "Min": round(lo * ms, 4),
                                 "Max": round(hi * ms, 4), "Avg": round(t / c * ms, 4)}
                          for name, (c, t, lo, hi) in rows} for cat, rows in times.items()},
           "Counter": {cat: {name: {"Count": c, "Min": lo, "Max": hi, "Last": last}
                             for name, (c, lo, hi, last) in rows}
                       for cat, rows in values.items()},
           "Unit": {"Time": "ms"}}
    return json.dumps(doc, indent=4)


def _table(title, header, rows):
    width = max([30] + [len(name) + 2 for name, _ in rows])
    lines = [title, "=" * 17,
             "Name".ljust(width) + "".join(h.rjust(17 if i else 11) for i, h in enumerate(header)),
             "----".ljust(width) + "".join(("-" * len(h)).rjust(17 if i else 11)
                                           for i, h in enumerate(header))]
    for name, cells in rows:
        lines.append(name.ljust(width) + str(cells[0]).rjust(11) +
                     "".join(f"{v:17.4f}" if isinstance(v, float) else str(v).rjust(17)
                             for v in cells[1:]))
    return "\n".join(lines) + "\n"


def _stats_table(times, values):
    parts = ["\nProfile Statistics:\n\tNote the difference in units for different entries.\n"]
    header = ("Total Count", "Time (ms)", "Min Time (ms)", "Max Time (ms)", "Avg Time (ms)")
    for category, rows in times.items():
        parts.append(_table(category, header, [
            (name, (c, t * 1e3, lo * 1e3, hi * 1e3, t / c * 1e3)) for name, (c, t, lo, hi) in rows]))
    for category, rows in values.items():
        parts.append(_table(f"{category} (counters)",
                            ("Total Count", "Min Value", "Max Value", "Last Value"), rows))
    return "\n".join(parts)


# ---------------------------------------------------------------- legacy names

def profiler_set_config(mode="symbolic", filename="profile.json"):
    """Deprecated form of ``set_config``: ``mode`` 'symbolic' or 'all'."""
    warnings.warn("profiler.profiler_set_config() is deprecated; use profiler.set_config()",
                  DeprecationWarning, stacklevel=2)
    if mode not in ("symbolic", "all"):
        raise MXNetError(f"profiler_set_config: mode must be 'symbolic' or 'all', got {mode!r}")
    set_config(**{"profile_" + mode: True, "filename": filename})


def profiler_set_state(state="stop"):
    """Deprecated form of ``set_state``."""
    warnings.warn("profiler.profiler_set_state() is deprecated; use profiler.set_state()",
                  DeprecationWarning, stacklevel=2)
    set_state(state)


def dump_profile():
    """Deprecated form of ``dump(finished=True)``."""
    warnings.warn("profiler.dump_profile() is deprecated; use profiler.dump()",
                  DeprecationWarning, stacklevel=2)
    dump(True)


def c_str_array(strings):
    """Encode a list of ``str`` for a C API (kept for code that imports it)."""
    return [c_str(s) for s in strings]


# ---------------------------------------------------------------- user objects

class Domain:
    """A named group (a trace category) for tasks, frames, counters and markers."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name

    def new_task(self, name):
        """A ``Task`` in this domain."""
        return Task(self, name)

    def new_frame(self, name):
        """A ``Frame`` in this domain."""
        return Frame(self, name)

    def new_counter(self, name, value=None):
        """A ``Counter`` in this domain, optionally starting at ``value``."""
        return Counter(self, name, value)

    def new_marker(self, name):
        """A ``Marker`` in this domain."""
        return Marker(self, name)


class _Duration:
    """A region timed between ``start()`` and ``stop()``, recorded when the
    profiler is recording at ``stop()``; a ``stop`` without ``start`` is ignored."""
    _category = None

    def __init__(self, name):
        self.name = name
        self._start = None

    def __str__(self):
        return self.name

    def start(self):
        """Begin timing."""
        self._start = _now()

    def stop(self):
        """End timing and record the region."""
        start, self._start = self._start, None
        if start is not None and _prof.recording:
            _record_duration(self._category, self.name, self._category, start, _now())


class Task(_Duration):
    """A unit of work in a domain; all passes through it are aggregated under its name."""

    def __init__(self, domain, name):
        super().__init__(name)
        self._category = str(domain)


class Frame(_Duration):
    """A frame-like region of a domain (shown on the domain's ``,frame`` track)."""

    def __init__(self, domain, name):
        super().__init__(name)
        self._category = f"{domain},frame"


class Event(_Duration):
    """A free-standing timed region (category 'event')."""
    _category = "event"


class Counter:
    """An integer that is traced over time in a domain."""

    def __init__(self, domain, name, value=None):
        self.name = name
        self._category = str(domain)
        self._value = 0
        if value is not None:
            self.set_value(value)

    def __str__(self):
        return self.name

    def set_value(self, value):
        """Set the counter to ``value``."""
        self._value = int(value)
        if _prof.recording:
            _record_counter(self._category, self.name, self._value)

    def increment(self, delta=1):
        """Add ``delta``."""
        self.set_value(self._value + int(delta))

    def decrement(self, delta=1):
        """Subtract ``delta``."""
        self.set_value(self._value - int(delta))

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self


_MARKER_SCOPES = {"global": "g", "process": "p", "thread": "t", "task": "t", "marker": "t"}


class Marker:
    """An instant event in a domain."""

    def __init__(self, domain, name):
        self.name = name
        self.domain = domain

    def mark(self, scope="process"):
        """Record the instant; ``scope`` is 'global', 'process', 'thread',
        'task' or 'marker' (how far the mark is drawn in the trace viewer)."""
        if scope not in _MARKER_SCOPES:
            raise MXNetError(f"Marker.mark: scope must be one of {', '.join(_MARKER_SCOPES)}, "
                             f"got {scope!r}")
        if _prof.recording:
            _record_instant(f"{self.domain},instant_marker", self.name, _MARKER_SCOPES[scope])
