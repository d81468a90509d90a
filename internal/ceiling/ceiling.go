// Package ceiling is the benchmark's ceiling harness (issue 17): the
// platform's own HTTP stack for CEB intake — the middleware, authentication
// and rate limits, decoding, the schema, signature verification, document
// conversion and the sender's right to each document (intake's checks) —
// with storage switched off. `cbec bench --ceiling` drives it with the same
// traffic as the server under test, so the ratio of the two rates says how
// close the full platform comes to what HTTP, parsing and signatures alone
// allow on the same machine in the same minute (docs/performance.md, "The
// ceiling"). It is a benchmark tool, not a server mode: only the bench
// command starts it, inside its own process, and `cbec serve` cannot.
package ceiling

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/receipt"
	"github.com/cbec-platform/cbec/internal/store"
)

// Server is a running ceiling.
type Server struct {
	URL        string // http://127.0.0.1:PORT
	AdminToken string // made up for this run
	stop       func() error
}

// Start opens the platform on cfg's settings (rules, signature policy, rate
// and body limits) in a temporary data folder on SQLite, switches its
// storage off and serves it on a free loopback port until Stop. The
// generator's setup (enterprises, certificates, reference data, books) is
// stored as on any server: intake's checks read it, through the same caches.
func Start(cfg config.Config, log *slog.Logger) (*Server, error) {
	dir, err := os.MkdirTemp("", "cbec-ceiling-*")
	if err != nil {
		return nil, fmt.Errorf("ceiling: data folder: %w", err)
	}
	var raw [24]byte
	_, _ = crand.Read(raw[:]) // crypto/rand.Read never fails
	token := "ceiling-" + hex.EncodeToString(raw[:])
	cfg.Addr, cfg.Data, cfg.DB, cfg.AdminToken, cfg.SecretKey, cfg.OTLPEndpoint = "127.0.0.1:0", dir, "", token, "", ""
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.OpenServer(ctx, cfg, log, nopWriter{})
	if err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("ceiling: start: %w", err)
	}
	f := &feed{byCode: map[string][]store.Receipt{}}
	a.Intake.StorageOff = f.take
	a.API.Feed = f.read
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	var stopErr error
	stop := sync.OnceFunc(func() {
		cancel()
		stopErr = <-done
		if err := a.Close(); stopErr == nil {
			stopErr = err
		}
		os.RemoveAll(dir)
	})
	return &Server{URL: "http://" + a.Addr(), AdminToken: token, stop: func() error { stop(); return stopErr }}, nil
}

// Stop shuts the ceiling down and removes its data folder.
func (s *Server) Stop() error { return s.stop() }

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// inventoryReturn is the receipt type of inventories (CEB621 → CEB622).
const inventoryReturn = "CEB622Message"

// released is the final status the ceiling gives every inventory it takes:
// it judges nothing, so that every declaration of the generator completes.
var released = receipt.Status{ReturnStatus: "800",
	ReturnInfo: clearance.Finding{Code: "2600", Detail: "ceiling: not judged, storage switched off"}.Info()}

// feed is the receipts feed, in memory: what intake would have added to each
// enterprise's feed (one receipt per document, status 120), and for each
// inventory at once its final receipt. The sequence number of a receipt is
// its place in its enterprise's list, from 1.
type feed struct {
	mu     sync.RWMutex
	byCode map[string][]store.Receipt
}

// take is intake's StorageOff: it adds the receipts of a checked message.
func (f *feed) take(u intake.Unstored) error {
	add := make([]store.Receipt, 0, 2*len(u.Docs))
	for i, doc := range u.Docs {
		copNo, orderNo := doc.Feed()
		r := store.Receipt{MessageType: u.Receipt.Type, CopNo: copNo, OrderNo: orderNo, ReturnStatus: intake.Taken.ReturnStatus,
			ReturnInfo: intake.Taken.ReturnInfo, Packed: u.Receipt.PerDoc[i], CreatedAt: u.At}
		add = append(add, r)
		if u.Receipt.Type != inventoryReturn {
			continue
		}
		// A later status has a receipt of its own, with its own guid, as the engine writes it.
		packed, err := receipt.NewPacked(u.Receipt.Type, doc.Keys())
		if err != nil {
			return err
		}
		r.ReturnStatus, r.ReturnInfo, r.Packed = released.ReturnStatus, released.ReturnInfo, packed
		add = append(add, r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.byCode[u.Sender]
	for i := range add {
		add[i].EnterpriseCode, add[i].Seq = u.Sender, int64(len(list)+i+1)
	}
	f.byCode[u.Sender] = append(list, add...)
	return nil
}

// read is the API's Feed: an enterprise's receipts after seq, at most limit,
// with their text rebuilt as the store rebuilds it.
func (f *feed) read(_ context.Context, code string, after int64, limit int) ([]store.Receipt, error) {
	f.mu.RLock()
	list := f.byCode[code]
	f.mu.RUnlock()
	out := []store.Receipt{}
	for i := after; i < int64(len(list)) && len(out) < limit; i++ {
		r := list[i]
		xml, err := receipt.Text(r.MessageType, r.Packed, receipt.Status{ReturnStatus: r.ReturnStatus, ReturnInfo: r.ReturnInfo}, r.CreatedAt)
		if err != nil {
			return nil, fmt.Errorf("ceiling: receipt %d of %s: %w", r.Seq, code, err)
		}
		r.XML = string(xml)
		out = append(out, r)
	}
	return out, nil
}
