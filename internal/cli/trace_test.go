package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/logging"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/trace"
)

func TestTraceCommands(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := run(t, "trace", "codes", "--data", dir); code != 0 || out != "" || !strings.Contains(errOut, "no traceability codes yet") {
		t.Fatalf("empty: %d %q %q", code, out, errOut)
	}
	cfg := config.Default()
	cfg.Data = dir
	db, err := app.OpenDB(context.Background(), cfg, logging.New(&strings.Builder{}, "warn", "text"))
	if err != nil {
		t.Fatal(err)
	}
	codes, _ := trace.NewCodes(nil, time.Now(), 1)
	err = db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.InsertTraceCodes(context.Background(), []store.TraceCode{{Code: codes[0], InventoryID: "inv", Gnum: 1, Piece: 1,
			EbcCode: "1105910159", ItemNo: "MILK-1", GTIN: "4006381333931", Name: "婴儿配方奶粉", OriginCountry: "502", State: "released", ReleasedAt: time.Now()}})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "trace", "codes", "--data", dir, "--base", "https://cbec.example.gov.cn/")
	if code != 0 || !strings.Contains(out, trace.Group(codes[0])) || !strings.Contains(out, "https://cbec.example.gov.cn/01/04006381333931/21/"+codes[0]) {
		t.Fatalf("codes: %d %q %q", code, out, errOut)
	}
	code, out, _ = run(t, "trace", "lookup", "--data", dir, strings.ToLower(trace.Group(codes[0])))
	if code != 0 || !strings.Contains(out, `"genuine": true`) || !strings.Contains(out, "婴儿配方奶粉") {
		t.Fatalf("lookup: %d %s", code, out)
	}
	code, out, _ = run(t, "trace", "lookup", "--data", dir, "23456789ABCDEFGHJK")
	if code != 0 || !strings.Contains(out, `"genuine": false`) || !strings.Contains(out, "verdict") {
		t.Fatalf("lookup of a non-code: %d %s", code, out)
	}
}
