package store

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"
)

// checkpointInterval is how often the WAL is copied into the database file.
// Shorter keeps the WAL (and what readers search in it) small; each round
// costs an fsync.
const checkpointInterval = 100 * time.Millisecond

// restartFrames is the size of the log (in pages of 4 KiB: 16 MiB) past which
// the writer is asked to let it start over.
const restartFrames = 4096

// checkpointer copies committed pages from SQLite's write-ahead log into the
// database file on a connection of its own. SQLite's automatic checkpoint runs
// inside the commit that crosses its threshold, so the single writer that
// every request waits on would spend its time copying pages and waiting for
// fsync (about a sixth of its time under load). A passive checkpoint never
// blocks the writer or readers.
//
// The log starts over from its beginning only when the writer opens a
// transaction right after a checkpoint has copied all of it. Under load the
// writer commits back to back, so a checkpoint on another connection never
// catches up and the log grew without end (1 GiB in 30 s). So once the log
// passes restartFrames, the writer itself runs one passive checkpoint after
// its next commit: the checkpointer has already copied nearly everything, so
// that costs the writer little, and the following transaction restarts the log.
type checkpointer struct {
	conn *sql.DB
	quit chan struct{}
	done chan struct{}
	due  atomic.Bool // the writer should checkpoint after its next commit
}

func startCheckpointer(path string) (*checkpointer, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	conn, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s for checkpoints: %w", path, err)
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	c := &checkpointer{conn: conn, quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
		}
		if err := c.checkpoint(); err != nil {
			slog.Warn("WAL checkpoint failed; the log grows until one succeeds", "error", err)
		}
	}
}

// checkpoint copies the log into the database file. PASSIVE copies what no
// reader still needs and returns at once when it cannot go further. Under a
// steady stream of reads some reader always holds a snapshot inside the log,
// so the writer never gets to start it over and it grows without end (1 GiB
// in 30 s of load); past restartFrames a RESTART checkpoint waits for the
// readers of the old log to finish (holding the writer back for as long),
// after which the next commit starts the log from the beginning.
func (c *checkpointer) checkpoint() error {
	var busy, frames, copied int
	if err := c.conn.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return fmt.Errorf("passive checkpoint: %w", err)
	}
	if frames >= restartFrames {
		c.due.Store(true)
	}
	return nil
}

// finish runs on the writer after a commit: the writer's own checkpoint when
// the log has grown long (see checkpointer). It asks again after each commit
// until one copies the whole log: a checkpoint finds another running (the
// checkpointer's) or a reader still inside the log and stops short.
func (c *checkpointer) finish(writer *sql.DB) {
	if c == nil || !c.due.Load() {
		return
	}
	var busy, frames, copied int
	if err := writer.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		slog.Warn("WAL checkpoint on the writer failed; the log grows until one succeeds", "error", err)
		return
	}
	if busy == 0 && copied == frames {
		c.due.Store(false)
	}
}

// stop ends the checkpoints; Close then checkpoints a last time on the writer.
func (c *checkpointer) stop() {
	if c == nil {
		return
	}
	close(c.quit)
	<-c.done
	c.conn.Close()
}
