package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestWALStaysBoundedUnderReads writes four times the restart threshold while
// readers query without pause. Checkpoints run on their own connection, and
// with readers always inside the log the writer would never start it over by
// itself; the log file must stay near the threshold instead of holding every
// page ever written.
func TestWALStaysBoundedUnderReads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, "", dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE pages (n INTEGER PRIMARY KEY, body TEXT NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				if err := db.QueryRow(ctx, `SELECT count(*) FROM pages WHERE n < 10`).Scan(&n); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}

	body := strings.Repeat("x", 4000) // about one page per row
	const perTx = 64
	n := 0
	for n < 4*restartFrames {
		if err := db.InTx(ctx, func(tx *Tx) error {
			for i := range perTx {
				if _, err := tx.Exec(ctx, `INSERT INTO pages (n, body) VALUES ($1, $2)`, n+i, body); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		n += perTx
	}
	close(stop)
	readers.Wait()

	st, err := os.Stat(filepath.Join(dir, "cbec.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	written := int64(n) * 4096
	if st.Size() > written/2 {
		t.Fatalf("WAL is %d MiB after writing %d MiB: the log was not started over", st.Size()>>20, written>>20)
	}
	t.Logf("WAL %d MiB after writing %d MiB", st.Size()>>20, written>>20)
}
