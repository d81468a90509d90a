package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// walDB opens a SQLite database with a table of page-sized rows whose
// checkpointer does not run on a timer: the test runs its rounds, so that
// they come at known points of the writes.
func walDB(t *testing.T) (*DB, *checkpointer, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, "", dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.checkpointer.stop()
	if db.checkpointer, err = openCheckpointer(db.Location); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE pages (n INTEGER PRIMARY KEY, body TEXT NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db, db.checkpointer, filepath.Join(dir, "cbec.db-wal")
}

const pagesPerTx = 64

// writePages commits pagesPerTx rows of about one page each, starting at n,
// and runs one checkpoint round after the commit.
func writePages(t *testing.T, db *DB, c *checkpointer, n int) {
	t.Helper()
	ctx := context.Background()
	body := strings.Repeat("x", 4000)
	if err := db.InTx(ctx, func(tx *Tx) error {
		for i := range pagesPerTx {
			if _, err := tx.Exec(ctx, `INSERT INTO pages (n, body) VALUES ($1, $2)`, n+i, body); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.checkpoint(); err != nil {
		t.Fatal(err)
	}
}

// walFrames is the number of frames in the log now (not the file's size,
// which a restart does not shrink).
func walFrames(t *testing.T, c *checkpointer) int {
	t.Helper()
	var busy, frames, copied int
	if err := c.conn.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	return frames
}

// TestWALStaysBoundedUnderReads writes four times the restart threshold while
// readers query without pause, so that every checkpoint finds a reader still
// holding the snapshot of an earlier commit. Once a round has found the log
// past the threshold, the writer's next commit must start it over: the log
// file never holds more than the threshold and a few transactions.
func TestWALStaysBoundedUnderReads(t *testing.T) {
	ctx := context.Background()
	db, c, wal := walDB(t)

	stop := make(chan struct{})
	var readers, started sync.WaitGroup
	for range 3 {
		readers.Add(1)
		started.Add(1)
		go func() {
			defer readers.Done()
			first := true
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				if err := db.QueryRow(ctx, `SELECT count(*) FROM pages WHERE n < 10`).Scan(&n); err != nil {
					t.Error(err)
				}
				if first {
					started.Done()
					first = false
				}
			}
		}()
	}
	started.Wait()

	n := 0
	for ; n < 4*restartFrames; n += pagesPerTx {
		writePages(t, db, c, n)
	}
	close(stop)
	readers.Wait()

	st, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	// Each frame is a page and a 24-byte header. A restart that a reader
	// outlasted (restartWait) is tried again after the next round; 16 such
	// retries in a row would be a defect.
	limit := int64(restartFrames+16*pagesPerTx) * (4096 + 24)
	if st.Size() > limit {
		t.Fatalf("WAL is %.1f MiB after writing %d MiB under reads, more than %.1f MiB: the log was not started over",
			float64(st.Size())/(1<<20), n*4096>>20, float64(limit)/(1<<20))
	}
	t.Logf("WAL %.1f MiB after writing %d MiB", float64(st.Size())/(1<<20), n*4096>>20)
}

// TestWALRestartWaitsOutNoLongRead: a read that stays open (a backup's
// VACUUM INTO, a slow export) keeps the log from starting over; the writer
// gives up on it rather than waiting for it, and starts the log over at the
// first round after the read ends.
func TestWALRestartWaitsOutNoLongRead(t *testing.T) {
	ctx := context.Background()
	db, c, _ := walDB(t)

	writePages(t, db, c, 0)
	// A query with rows left to read holds its snapshot until it is closed.
	rows, err := db.Query(ctx, `SELECT n FROM pages`)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no rows to hold the read open")
	}
	n := pagesPerTx
	for ; n < restartFrames+4*pagesPerTx; n += pagesPerTx {
		writePages(t, db, c, n)
	}
	if f := walFrames(t, c); f < restartFrames {
		t.Fatalf("the log was started over (%d frames) while a read was open in it", f)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	writePages(t, db, c, n) // the round after it asks for the restart
	writePages(t, db, c, n+pagesPerTx)
	if f := walFrames(t, c); f > 2*pagesPerTx {
		t.Fatalf("the log holds %d frames after the read ended: it was not started over", f)
	}
}
