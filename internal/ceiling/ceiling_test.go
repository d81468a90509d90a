package ceiling_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/client"
	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/ceiling"
	"github.com/cbec-platform/cbec/internal/loadgen"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// With storage off the checks still run: a tampered signature and a
// document of another enterprise are refused as by a server; a valid
// inventory is answered 120 and released at once in the feed, and nothing
// of it is stored.
func TestChecksRunWithStorageOff(t *testing.T) {
	srv, err := ceiling.Start(apptest.Config(t.TempDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	c, err := loadgen.NewClient(srv.URL, srv.AdminToken, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	runID := loadgen.NewRunID()
	ps, err := loadgen.NewParties(runID, loadgen.DefaultParties, xmlsig.SM2SM3)
	if err != nil {
		t.Fatal(err)
	}
	if err := loadgen.Register(ctx, c, ps); err != nil {
		t.Fatal(err)
	}
	gen, err := loadgen.NewGenerator(3, runID, loadgen.Mix{BatchLen: 1}, loadgen.DefaultParties)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gen.Next()
	if err != nil {
		t.Fatal(err)
	}
	m, err := (&loadgen.Builder{Parties: ps}).Build(b, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	agent, copNo := ps.Agents[b.Agent%len(ps.Agents)], b.Decls[0].CopNo

	tampered := bytes.Replace(m.Inventory, []byte(copNo), []byte(copNo[:len(copNo)-1]+"X"), 1)
	if ans, err := c.As(agent.Key).SubmitCEB(ctx, tampered); err != nil || !ans.Refused() || !bytes.Contains(ans.Body, []byte("1004")) {
		t.Errorf("tampered inventory: %v, %d %s", err, ans.Status, ans.Body)
	}
	if _, err := c.As(ps.Pays[0].Key).SubmitCEB(ctx, m.Order); client.StatusOf(err) != http.StatusForbidden {
		t.Errorf("an order sent by a payment firm: %v, want 403", err)
	}
	ans, err := c.As(agent.Key).SubmitCEB(ctx, m.Inventory)
	if err != nil || ans.Status != http.StatusOK || !bytes.Contains(ans.Body, []byte("<returnStatus>120<")) {
		t.Fatalf("inventory: %v, %d %s", err, ans.Status, ans.Body)
	}
	var got []string
	err = c.As(agent.Key).Follow(ctx, 0, client.FollowOptions{UntilCaughtUp: true}, func(r client.Receipt) error {
		if r.CopNo == copNo && strings.Contains(r.XML, copNo) {
			got = append(got, r.MessageType+" "+r.ReturnStatus)
		}
		return nil
	})
	if err != nil || strings.Join(got, ",") != "CEB622Message 120,CEB622Message 800" {
		t.Errorf("feed: %v %v", err, got)
	}
	err = c.As(agent.Key).Call(ctx, http.MethodGet, "/api/v1/inventories/"+copNo, nil, nil)
	if client.StatusOf(err) != http.StatusNotFound {
		t.Errorf("the inventory was stored: GET answers %v", err)
	}
}
