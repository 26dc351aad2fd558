"""The ignore packs shipped with goleash: goroutines that are always there and harmless.

Plain data in a Python module, not a TOML file: reading TOML costs a ``tomllib`` import and a
parse at every start, which a small ``goleash dump`` noticed. ``goleash.analysis.ignore``
validates these entries exactly as it validates a user's ``[[dump.ignore]]`` entries.

Each entry names its pack and says which frames it matches:

- ``where``: ``"blocking"`` (the blocking site: first frame past runtime/sync/poller plumbing),
  ``"any"`` (any frame), ``"creator"`` (the ``created by`` function) or ``"top"`` (innermost
  frame);
- ``prefix``: a function-name prefix, or
- ``function``: a regular expression matched at the start of the function name;
- ``state``: optional regular expression the normalised wait reason must match in full;
- ``reason``: why such goroutines are harmless, shown with ``--all``.

Users add entries in ``.goleash.toml`` as ``[[dump.ignore]]`` with the same keys. A pack never
hides a goroutine the runtime proved stuck (a ``(leaked)`` mark, a deadlock dump), nor one started
together with suspect goroutines in the same numbers (a leaked connection's writer beside its
stuck reader): the report then says which pack would have matched.
"""

from __future__ import annotations

ENTRIES: tuple[dict[str, str], ...] = (
    # --- runtime ---------------------------------------------------------------------------------
    {
        "name": "runtime",
        "where": "creator",
        "prefix": "runtime.",
        "reason": "background goroutine of the Go runtime",
    },
    {
        "name": "runtime",
        "where": "any",
        "function": (
            r"runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|forcegchelper|runfinq|runCleanups|"
            r"timerproc|ensureSigM|updateMaxProcsGoroutine|traceReader|traceAdvance)"
        ),
        "reason": "garbage collector, finalizer, timer or scheduler goroutine",
    },
    {
        "name": "runtime",
        "where": "blocking",
        "prefix": "runtime.goexit",
        "reason": "goroutine starting or exiting: nothing but runtime frames",
    },
    {
        "name": "runtime",
        "where": "creator",
        "prefix": "unique.",
        "reason": "cleanup goroutine of the unique package",
    },
    # --- testing ---------------------------------------------------------------------------------
    {
        "name": "testing",
        "where": "blocking",
        "prefix": "testing.",
        "reason": "the test runner waiting for its tests and subtests",
    },
    # --- os/signal -------------------------------------------------------------------------------
    {
        "name": "os/signal",
        "where": "any",
        "function": r"os/signal\.(signal_recv|loop)",
        "reason": "signal delivery loop started by signal.Notify",
    },
    # --- runtime/trace ---------------------------------------------------------------------------
    {
        "name": "runtime/trace",
        "where": "any",
        "prefix": "runtime/trace.",
        "reason": "execution-trace writer",
    },
    {
        "name": "runtime/trace",
        "where": "creator",
        "prefix": "runtime/trace.",
        "reason": "execution-trace writer",
    },
    # --- pprof: the goroutine serving this very scrape -------------------------------------------
    {
        "name": "pprof",
        "where": "any",
        "function": (
            r"runtime/pprof\.(writeGoroutineStacks|writeRuntimeProfile|writeGoroutine|"
            r"\(\*Profile\)\.WriteTo)"
        ),
        "reason": "the pprof handler writing this dump",
    },
    # --- servers accepting connections -----------------------------------------------------------
    {
        "name": "accept-loop",
        "where": "any",
        "function": (
            r"net\.\((\*TCPListener|\*UnixListener)\)\.Accept|net/http\.\(\*Server\)\.Serve"
        ),
        "state": r"IO wait",
        "reason": "server accept loop waiting for the next connection",
    },
    # --- idle keep-alive connections -------------------------------------------------------------
    {
        "name": "http-keepalive",
        "where": "any",
        "function": (
            r"net/http\.\(\*conn\)\.serve|net/http\.\(\*http2serverConn\)\.readFrames|"
            r"golang\.org/x/net/http2\.\(\*serverConn\)\.readFrames"
        ),
        "state": r"IO wait",
        "reason": "HTTP server connection waiting for the client's next request",
    },
    {
        "name": "http-keepalive",
        "where": "any",
        "prefix": "net/http.(*connReader).startBackgroundRead",
        "reason": "HTTP server connection reading ahead while a handler runs",
    },
    {
        "name": "http-keepalive",
        "where": "any",
        "prefix": "net/http.(*connReader).backgroundRead",
        "reason": "HTTP server connection reading ahead while a handler runs",
    },
    {
        "name": "http-keepalive",
        "where": "any",
        "function": (
            r"net/http\.\(\*persistConn\)\.readLoop|net/http\.\(\*http2ClientConn\)\.readLoop|"
            r"net/http\.\(\*http2clientConnReadLoop\)\.run|"
            r"golang\.org/x/net/http2\.\(\*clientConnReadLoop\)\.run"
        ),
        "state": r"IO wait",
        "reason": "idle pooled HTTP client connection waiting for the server",
    },
    {
        "name": "http-keepalive",
        "where": "blocking",
        "prefix": "net/http.(*persistConn).writeLoop",
        "state": r"select|",
        "reason": "pooled HTTP client connection's writer, idle between requests",
    },
    # --- database/sql ----------------------------------------------------------------------------
    {
        "name": "database/sql",
        "where": "any",
        "function": (
            r"database/sql\.\(\*DB\)\.(connectionOpener|connectionResetter|connectionCleaner)"
        ),
        "reason": "database/sql connection opener or cleaner, one per sql.DB",
    },
    # --- logging and telemetry flushers ----------------------------------------------------------
    {
        "name": "logging",
        "where": "any",
        "function": r"k8s\.io/klog(/v2)?\.(\(\*flushDaemon\)\.run|\(\*loggingT\)\.flushDaemon)",
        "reason": "klog flush daemon",
    },
    {
        "name": "logging",
        "where": "any",
        "function": (
            r"github\.com/golang/glog\.(\(\*loggingT\)\.flushDaemon|"
            r"\(\*fileSink\)\.flushDaemon)"
        ),
        "reason": "glog flush daemon",
    },
    {
        "name": "logging",
        "where": "any",
        "function": (
            r"(gopkg\.in/natefinch/lumberjack(%2e|\.)v2|"
            r"github\.com/natefinch/lumberjack)\.\(\*Logger\)\.millRun"
        ),
        "reason": "lumberjack log-rotation mill",
    },
    {
        "name": "logging",
        "where": "any",
        "function": r"go\.uber\.org/zap/zapcore\.\(\*BufferedWriteSyncer\)\.flushLoop",
        "reason": "zap buffered writer flush loop",
    },
    {
        "name": "telemetry",
        "where": "any",
        "function": (
            r"go\.opencensus\.io/stats/view\.\(\*worker\)\.start|"
            r"go\.opencensus\.io/trace\.\(\*defaultIDGenerator\)"
        ),
        "reason": "OpenCensus stats worker",
    },
    {
        "name": "telemetry",
        "where": "any",
        "function": (
            r"go\.opentelemetry\.io/otel/sdk/(trace\.\(\*batchSpanProcessor\)\.processQueue|"
            r"metric\.\(\*PeriodicReader\)\.run)"
        ),
        "reason": "OpenTelemetry batch exporter",
    },
    # --- main parked for the life of the process -------------------------------------------------
    {
        "name": "main",
        "where": "blocking",
        "function": r"main\.main$",
        "state": (
            r"select|select \(no cases\)|chan receive|sync\.WaitGroup\.Wait|sync\.Cond\.Wait|"
            r"sleep|"
        ),
        "reason": "main parked for the life of the process (select {}, signal or shutdown wait)",
    },
)
# What goleash.analysis.literal reads in each pattern above: its prefixes, and whether the
# pattern is exactly their alternation. Worked out here once, not at every start (~3 ms of a
# small `goleash dump`); tests/test_ignore_literal.py checks every pattern against literal()
# and prints this table anew when one changes.
LITERALS: dict[str, tuple[tuple[str, ...], bool]] = {
    ENTRIES[1]["function"]: (
        (
            "runtime.gcBgMarkWorker",
            "runtime.bgsweep",
            "runtime.bgscavenge",
            "runtime.forcegchelper",
            "runtime.runfinq",
            "runtime.runCleanups",
            "runtime.timerproc",
            "runtime.ensureSigM",
            "runtime.updateMaxProcsGoroutine",
            "runtime.traceReader",
            "runtime.traceAdvance",
        ),
        True,
    ),
    ENTRIES[5]["function"]: (("os/signal.signal_recv", "os/signal.loop"), True),
    ENTRIES[8]["function"]: (
        (
            "runtime/pprof.writeGoroutineStacks",
            "runtime/pprof.writeRuntimeProfile",
            "runtime/pprof.writeGoroutine",
            "runtime/pprof.(*Profile).WriteTo",
        ),
        True,
    ),
    ENTRIES[9]["function"]: (
        ("net.(*TCPListener).Accept", "net.(*UnixListener).Accept", "net/http.(*Server).Serve"),
        True,
    ),
    ENTRIES[9]["state"]: (("IO wait",), True),
    ENTRIES[10]["function"]: (
        (
            "net/http.(*conn).serve",
            "net/http.(*http2serverConn).readFrames",
            "golang.org/x/net/http2.(*serverConn).readFrames",
        ),
        True,
    ),
    ENTRIES[13]["function"]: (
        (
            "net/http.(*persistConn).readLoop",
            "net/http.(*http2ClientConn).readLoop",
            "net/http.(*http2clientConnReadLoop).run",
            "golang.org/x/net/http2.(*clientConnReadLoop).run",
        ),
        True,
    ),
    ENTRIES[14]["state"]: (("select", ""), True),
    ENTRIES[15]["function"]: (
        (
            "database/sql.(*DB).connectionOpener",
            "database/sql.(*DB).connectionResetter",
            "database/sql.(*DB).connectionCleaner",
        ),
        True,
    ),
    ENTRIES[16]["function"]: (("k8s.io/klog",), False),
    ENTRIES[17]["function"]: (
        (
            "github.com/golang/glog.(*loggingT).flushDaemon",
            "github.com/golang/glog.(*fileSink).flushDaemon",
        ),
        True,
    ),
    ENTRIES[18]["function"]: (
        (
            "gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun",
            "gopkg.in/natefinch/lumberjack.v2.(*Logger).millRun",
            "github.com/natefinch/lumberjack.(*Logger).millRun",
        ),
        True,
    ),
    ENTRIES[19]["function"]: (("go.uber.org/zap/zapcore.(*BufferedWriteSyncer).flushLoop",), True),
    ENTRIES[20]["function"]: (
        (
            "go.opencensus.io/stats/view.(*worker).start",
            "go.opencensus.io/trace.(*defaultIDGenerator)",
        ),
        True,
    ),
    ENTRIES[21]["function"]: (
        (
            "go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue",
            "go.opentelemetry.io/otel/sdk/metric.(*PeriodicReader).run",
        ),
        True,
    ),
    ENTRIES[22]["function"]: (("main.main",), False),
    ENTRIES[22]["state"]: (
        (
            "select",
            "select (no cases)",
            "chan receive",
            "sync.WaitGroup.Wait",
            "sync.Cond.Wait",
            "sleep",
            "",
        ),
        True,
    ),
}
