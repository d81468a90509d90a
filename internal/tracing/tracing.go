// Package tracing records OpenTelemetry spans of a request's way through the
// platform: the HTTP request (with its request id), intake, the engine and
// the database writes. It is off unless an OTLP endpoint is configured, and
// then costs the hot path one atomic load per span: Start hands back the
// caller's context and a span that records nothing, without allocating.
//
// The engine judges inventories after the request that woke them has been
// answered; Handoff and Follow carry the request's span context across that
// gap, keyed by inventory id, so the judgement belongs to the same trace.
package tracing

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

var (
	enabled atomic.Bool
	tracer  atomic.Pointer[trace.Tracer]
	// off is the span handed out while tracing is off: it records nothing.
	off = trace.SpanFromContext(context.Background())
	// propagator reads a caller's W3C traceparent, so a client's trace continues here.
	propagator = propagation.TraceContext{}
)

func init() {
	t := noop.NewTracerProvider().Tracer("")
	tracer.Store(&t)
}

// Enabled reports whether spans are recorded.
func Enabled() bool { return enabled.Load() }

// Off is a span that records nothing, for callers that check Enabled
// before preparing a span's details.
func Off() trace.Span { return off }

// Install sends spans to tp from now on, until the returned function puts
// things back as they were. Setup uses it; tests give it an SDK provider
// with an in-memory exporter.
func Install(tp trace.TracerProvider) (restore func()) {
	t := tp.Tracer("github.com/cbec-platform/cbec")
	prev := tracer.Swap(&t)
	was := enabled.Swap(true)
	return func() {
		tracer.Store(prev)
		enabled.Store(was)
	}
}

// Setup exports spans over OTLP/HTTP to endpoint (e.g.
// http://127.0.0.1:4318; the path /v1/traces is added), in batches. The
// returned shutdown flushes what is buffered and turns tracing off.
func Setup(ctx context.Context, endpoint, version string) (shutdown func(context.Context) error, err error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otlp endpoint %q: want http://HOST:PORT or https://HOST:PORT", endpoint)
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(endpoint + "/v1/traces")}
	if u.Path != "" && u.Path != "/" {
		opts = []otlptracehttp.Option{otlptracehttp.WithEndpointURL(endpoint)} // the full URL was given
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	res := resource.NewSchemaless(semconv.ServiceName("cbec"), semconv.ServiceVersion(version))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	restore := Install(tp)
	return func(ctx context.Context) error {
		restore()
		return tp.Shutdown(ctx)
	}, nil
}

// Start begins a span named name as a child of ctx's span. Off, it returns
// ctx itself and a span that records nothing. Set attributes only when
// span.IsRecording(), so that building them costs nothing when off.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !enabled.Load() {
		return ctx, off
	}
	return (*tracer.Load()).Start(ctx, name, opts...)
}

// StartServer begins the span of an incoming HTTP request, continuing the
// caller's trace when its headers carry a W3C traceparent.
func StartServer(ctx context.Context, header interface{ Get(string) string }, name string) (context.Context, trace.Span) {
	if !enabled.Load() {
		return ctx, off
	}
	ctx = propagator.Extract(ctx, headerCarrier{header})
	return (*tracer.Load()).Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer))
}

// EndRequest names an HTTP request's span after its route pattern,
// records the request id and the status (a 5xx marks it failed) and ends it.
func EndRequest(span trace.Span, method, route, requestID string, status int) {
	if span.IsRecording() {
		switch {
		case route == "": // no route matched
			span.SetName(method)
		case strings.HasPrefix(route, "/"): // a pattern for every method
			span.SetName(method + " " + route)
		default: // the pattern names its method
			span.SetName(route)
		}
		span.SetAttributes(attribute.String("cbec.request_id", requestID), attribute.String("http.request.method", method),
			attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, fmt.Sprintf("HTTP %d", status))
		}
	}
	span.End()
}

// SetMessage records the type and sender of the CEB message a span handles.
func SetMessage(span trace.Span, messageType, sender string) {
	if span.IsRecording() {
		span.SetAttributes(attribute.String("cbec.message_type", messageType), attribute.String("cbec.sender", sender))
	}
}

// EndSubmit ends a message intake's span with the HTTP status of its
// answer (400 for a message refused as a whole), or its error.
func EndSubmit(span trace.Span, status int, err error) {
	if span.IsRecording() && status != 0 {
		span.SetAttributes(attribute.Int("cbec.answer_status", status))
	}
	End(span, err)
}

type headerCarrier struct {
	h interface{ Get(string) string }
}

func (c headerCarrier) Get(k string) string { return c.h.Get(k) }
func (headerCarrier) Set(string, string)    {}
func (headerCarrier) Keys() []string        { return nil }

// StartLinked begins a span for work done for several callers at once (a
// group commit): the child of the first context's span, linked to the
// others'. Off, it returns a span that records nothing.
func StartLinked(ctxs []context.Context, name string, attrs ...attribute.KeyValue) trace.Span {
	if !enabled.Load() || len(ctxs) == 0 {
		return off
	}
	links := make([]trace.Link, 0, len(ctxs)-1)
	for _, c := range ctxs[1:] {
		if sc := trace.SpanContextFromContext(c); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	_, span := (*tracer.Load()).Start(ctxs[0], name, trace.WithLinks(links...), trace.WithAttributes(attrs...))
	return span
}

// End ends span, marking it failed when err is not nil.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// handoffs holds the span contexts of requests that woke inventories, by
// inventory id, until the engine takes them. It is bounded: when it is full,
// entries older than handoffAge (work that was never followed) are dropped,
// and if that frees nothing new ones are dropped and those judgements start
// traces of their own.
var handoffs = struct {
	sync.Mutex
	m map[string]handoff
}{m: map[string]handoff{}}

type handoff struct {
	sc trace.SpanContext
	at time.Time
}

const (
	maxHandoffs = 100_000
	handoffAge  = 10 * time.Minute
)

// Handoff remembers ctx's span for the work keys name, which another
// goroutine will pick up with Follow.
func Handoff(ctx context.Context, keys []string) {
	if !enabled.Load() {
		return
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	now := time.Now()
	handoffs.Lock()
	defer handoffs.Unlock()
	for _, k := range keys {
		if len(handoffs.m) >= maxHandoffs {
			for old, h := range handoffs.m {
				if now.Sub(h.at) > handoffAge {
					delete(handoffs.m, old)
				}
			}
			if len(handoffs.m) >= maxHandoffs {
				return
			}
		}
		handoffs.m[k] = handoff{sc: sc, at: now}
	}
}

// Follow begins a span for work on keys in the trace that handed them off:
// the child of the first key's request span, linked to the others'. Off,
// it returns ctx and a span that records nothing.
func Follow(ctx context.Context, name string, keys []string) (context.Context, trace.Span) {
	if !enabled.Load() {
		return ctx, off
	}
	var parent trace.SpanContext
	var links []trace.Link
	now := time.Now()
	handoffs.Lock()
	for _, k := range keys {
		h, ok := handoffs.m[k]
		if !ok {
			continue
		}
		delete(handoffs.m, k)
		switch {
		case now.Sub(h.at) > handoffAge:
		case !parent.IsValid():
			parent = h.sc
		case !h.sc.Equal(parent):
			links = append(links, trace.Link{SpanContext: h.sc})
		}
	}
	handoffs.Unlock()
	if parent.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
	}
	return (*tracer.Load()).Start(ctx, name, trace.WithLinks(links...),
		trace.WithAttributes(attribute.Int("cbec.items", len(keys))))
}
