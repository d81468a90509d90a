package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/tracing"
)

// With tracing on, one declaration's inventory message makes one trace: the
// HTTP request with its request id, the intake, its database write and
// commit, and the engine's judgement with its own write and commit, which
// runs after the answer but joins the same trace.
func TestTracingFollowsOneDeclaration(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		defer tp.Shutdown(t.Context())
		f := newFixture(t, engine)
		restore := tracing.Install(tp)
		defer restore()

		d := f.newDecl()
		for _, m := range []struct {
			sender string
			xml    []byte
		}{{platform, d.order("1")}, {payer, d.payment()}, {carrier, d.waybill()}} {
			if st, rs, _, body := f.post(m.sender, m.xml); st != 200 || rs != "120" {
				t.Fatalf("from %s: %d %s %s", m.sender, st, rs, body)
			}
		}
		const requestID = "trace-test-inventory-1"
		req, _ := http.NewRequest("POST", f.s.URL+"/api/v1/ceb", bytes.NewReader(f.inventory(d, "1")))
		req.Header.Set("Authorization", "Bearer "+f.keys[agent])
		req.Header.Set("Content-Type", "application/xml")
		req.Header.Set("X-Request-Id", requestID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("inventory: HTTP %d", resp.StatusCode)
		}
		f.final(d.copNo)

		var root sdktrace.ReadOnlySpan
		for _, s := range exp.GetSpans().Snapshots() {
			if attr(s, "cbec.request_id") == requestID {
				root = s
			}
		}
		if root == nil {
			t.Fatalf("no span with request id %s among %d spans", requestID, len(exp.GetSpans()))
		}
		if root.Name() != "POST /api/v1/ceb" || root.SpanKind() != trace.SpanKindServer || attr(root, "http.response.status_code") != "200" {
			t.Errorf("request span: %s %s %v", root.Name(), root.SpanKind(), root.Attributes())
		}
		// The judgement ends after its commit, a moment after the receipt is visible.
		var spans []sdktrace.ReadOnlySpan
		defer func() {
			if t.Failed() {
				t.Logf("the inventory's trace:\n%s", tree(spans, root))
			}
		}()
		waitFor(t, func() bool {
			spans = spans[:0]
			for _, s := range exp.GetSpans().Snapshots() {
				if s.SpanContext().TraceID() == root.SpanContext().TraceID() {
					spans = append(spans, s)
				}
			}
			return tree(spans, root) == want
		})
		for _, s := range spans {
			if s.Name() == "intake.Submit" && (attr(s, "cbec.message_type") != "CEB621Message" || attr(s, "cbec.sender") != agent) {
				t.Errorf("intake span attributes: %v", s.Attributes())
			}
		}
	})
}

// want is the shape of the trace of one inventory message. A write job's
// span is its caller's child; the transaction it ran in (store.commit,
// possibly shared with other callers' jobs) is the child of its first job's
// caller, linked to the others.
const want = `POST /api/v1/ceb
  intake.Submit
    engine.Judge
      store.commit
      store.write
    store.commit
    store.write
`

// tree prints the spans under root, children in name order.
func tree(spans []sdktrace.ReadOnlySpan, root sdktrace.ReadOnlySpan) string {
	children := map[trace.SpanID][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		children[s.Parent().SpanID()] = append(children[s.Parent().SpanID()], s)
	}
	var b strings.Builder
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), s.Name())
		kids := children[s.SpanContext().SpanID()]
		sort.Slice(kids, func(i, j int) bool { return kids[i].Name() < kids[j].Name() })
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, a := range s.Attributes() {
		if a.Key == attribute.Key(key) {
			return a.Value.String()
		}
	}
	return ""
}
