package httpapi_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/ident"
)

// logCapture is a testing.TB whose Log calls (where apptest sends the
// server's log) are also kept, so a test can search the logs.
type logCapture struct {
	*testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Log(args ...any) {
	c.mu.Lock()
	fmt.Fprintln(&c.buf, args...)
	c.mu.Unlock()
	c.T.Log(args...)
}

func (c *logCapture) text() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes())
}

// Buyers' ID numbers and phone numbers are nowhere in clear at rest (the
// SQLite files, a pg_dump of the schema), nor in logs or metrics (issue 10).
func TestNoPersonalDataAtRest(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		lc := &logCapture{T: t}
		f := newFixture(lc, engine, func(c *config.Config) { c.LogLevel = "debug" })
		r := rand.New(rand.NewPCG(10, 10))
		var secrets, copNos []string
		for i := range 3 {
			d := f.newDecl()
			d.buyerID = ident.RandomResidentID(r)
			d.payerID = d.buyerID
			d.phone = fmt.Sprintf("139%08d", r.IntN(1e8))
			d.consPhone = fmt.Sprintf("137%08d", r.IntN(1e8))
			f.send(d)
			if rc := f.final(d.copNo); rc.ReturnStatus != "800" {
				t.Fatalf("declaration %d not released: %s %s", i, rc.ReturnStatus, rc.ReturnInfo)
			}
			// The consumer's quota question carries the ID number in the query string.
			q := f.s.Do("GET", "/api/v1/quota?name="+url.QueryEscape(d.buyer)+"&idNumber="+d.buyerID, "", "", nil)
			if q.Status != 200 {
				t.Fatalf("quota: %d %s", q.Status, q.Body)
			}
			secrets = append(secrets, d.buyerID, d.phone, d.consPhone)
			copNos = append(copNos, d.copNo)
		}
		// The fixture's own buyer too.
		secrets = append(secrets, "110101199003074514", "13812345678")
		metrics := f.s.Do("GET", "/metrics", "", "", nil).Body
		f.s.Stop()
		where := map[string][]byte{"logs": lc.text(), "metrics": metrics}
		if f.s.App.Config.DB == "" {
			files, _ := filepath.Glob(filepath.Join(f.s.App.Config.Data, "*"))
			for _, file := range files {
				b, err := os.ReadFile(file)
				if err == nil {
					where[filepath.Base(file)] = b
				}
			}
			if len(files) == 0 {
				t.Fatal("no database files to scan")
			}
		} else {
			where["pg_dump"] = pgDump(t, f.s.App.Config.DB)
		}
		// Controls: the scan reads real content (the logs have requests, the
		// database has the inventories' numbers, which are not personal).
		if !bytes.Contains(where["logs"], []byte("request")) {
			t.Error("the captured logs hold no request lines: the log scan would prove nothing")
		}
		var all []byte
		for name, b := range where {
			if name != "logs" && name != "metrics" {
				all = append(all, b...)
			}
		}
		for _, c := range copNos {
			if !bytes.Contains(all, []byte(c)) {
				t.Errorf("the database scan does not find the stored inventory %s: it would prove nothing", c)
			}
		}
		for name, b := range where {
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s holds %s in clear", name, s)
				}
			}
		}
		t.Logf("scanned %d places for %d ID and phone numbers", len(where), len(secrets))
	})
}

// pgDump dumps the test schema named in dsn's search_path.
func pgDump(t *testing.T, dsn string) []byte {
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Skip("pg_dump not installed: the PostgreSQL half of the personal-data scan is skipped")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command(bin, "--schema="+schema, "--no-owner", u.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !strings.Contains(string(out), "inventories") {
		t.Fatalf("pg_dump of %s holds no inventories table", schema)
	}
	return out
}
