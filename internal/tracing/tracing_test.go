package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Off, the hot path's calls allocate nothing and return the caller's context.
func TestOffCostsNoAllocation(t *testing.T) {
	if Enabled() {
		t.Fatal("tracing is on by default")
	}
	ctx := context.Background()
	keys := []string{"inv-1"}
	header := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	allocs := testing.AllocsPerRun(100, func() {
		c, req := StartServer(ctx, header, "http.request")
		c, span := Start(c, "intake.Submit")
		SetMessage(span, "CEB621Message", "330766K00Q")
		Handoff(c, keys)
		c2, judge := Follow(c, "engine.Judge", keys)
		EndSubmit(span, 200, nil)
		End(judge, nil)
		EndRequest(req, "POST", "POST /api/v1/ceb", "req-1", 200)
		if c != ctx || c2 != ctx {
			t.Fatal("a new context while tracing is off")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request while off", allocs)
	}
}

// Work handed off by two requests is judged in the first one's trace and
// linked to the second's; what was followed once is not followed again.
func TestHandoffAndFollow(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	defer Install(tp)()

	ctxA, a := Start(context.Background(), "request A")
	Handoff(ctxA, []string{"inv-1"})
	a.End()
	ctxB, b := Start(context.Background(), "request B")
	Handoff(ctxB, []string{"inv-2"})
	b.End()

	_, judge := Follow(context.Background(), "engine.Judge", []string{"inv-1", "inv-2", "inv-3"})
	judge.End()
	_, again := Follow(context.Background(), "engine.Judge", []string{"inv-1"})
	again.End()

	spans := exp.GetSpans().Snapshots()
	if len(spans) != 4 {
		t.Fatalf("%d spans", len(spans))
	}
	j, j2 := spans[2], spans[3]
	if j.Parent().SpanID() != a.SpanContext().SpanID() || j.SpanContext().TraceID() != a.SpanContext().TraceID() {
		t.Errorf("judge's parent %v, want request A %v", j.Parent(), a.SpanContext())
	}
	if len(j.Links()) != 1 || j.Links()[0].SpanContext.SpanID() != b.SpanContext().SpanID() {
		t.Errorf("judge's links %v, want request B", j.Links())
	}
	if j2.Parent().IsValid() {
		t.Errorf("a key followed twice: second judge's parent %v", j2.Parent())
	}
}

// Setup sends spans over OTLP/HTTP to the collector's /v1/traces.
func TestSetupExportsOverOTLPHTTP(t *testing.T) {
	var posts atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	ctx := context.Background()
	if _, err := Setup(ctx, "collector:4318", "v0"); err == nil {
		t.Error("an endpoint without a scheme was accepted")
	}
	shutdown, err := Setup(ctx, collector.URL, "v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	_, span := Start(ctx, "intake.Submit")
	if !span.IsRecording() || span.SpanContext().TraceID() == (trace.TraceID{}) {
		t.Error("no recording span while on")
	}
	span.End()
	if err := shutdown(ctx); err != nil { // flushes the batch
		t.Fatal(err)
	}
	if posts.Load() == 0 {
		t.Error("the collector received no traces")
	}
	if Enabled() {
		t.Error("still on after shutdown")
	}
}
