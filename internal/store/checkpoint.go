package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
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
// the writer is asked to start it over.
const restartFrames = 4096

// restartWait bounds how long the writer waits, once per checkpoint round at
// most, for the reads still inside the log to finish so that it can start the
// log over. Reads of a request take microseconds to milliseconds; a long one
// (a backup's VACUUM INTO) only makes the writer give up until the next round.
const restartWait = 20 * time.Millisecond

// writerBusyTimeout is the writer's busy timeout (see openSQLite), restored
// after its checkpoint.
const writerBusyTimeout = 10 * time.Second

// checkpointer copies committed pages from SQLite's write-ahead log into the
// database file on a connection of its own. SQLite's automatic checkpoint runs
// inside the commit that crosses its threshold, so the single writer that
// every request waits on would spend its time copying pages and waiting for
// fsync (about a sixth of its time under load). A passive checkpoint never
// blocks the writer or readers.
//
// A checkpoint never shortens the log: SQLite starts writing it over from its
// beginning only once all of it has been copied and no reader is still reading
// from it. Under load the writer commits back to back and requests read
// without pause, so every checkpoint finds readers holding the snapshot of an
// earlier commit: it stops short of the last frames, and the log grew without
// end (1 GiB in 30 s). So once a round finds the log past restartFrames, the
// writer, right after its next commit, runs a RESTART checkpoint: it copies
// the few frames the checkpointer has not, waits (at most restartWait) for the
// reads in flight to finish — new reads then use the database file — and
// starts the log over.
type checkpointer struct {
	conn *sql.DB
	quit chan struct{} // nil until start
	done chan struct{}
	due  atomic.Bool // the writer should start the log over after its next commit
}

// openCheckpointer opens the checkpointer's connection; start runs its rounds.
func openCheckpointer(path string) (*checkpointer, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	conn, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s for checkpoints: %w", path, err)
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	return &checkpointer{conn: conn}, nil
}

// start runs a round every interval until stop.
func (c *checkpointer) start(interval time.Duration) {
	c.quit, c.done = make(chan struct{}), make(chan struct{})
	go c.loop(interval)
}

func (c *checkpointer) loop(interval time.Duration) {
	defer close(c.done)
	t := time.NewTicker(interval)
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

// checkpoint is one round: it copies what no reader still needs (PASSIVE
// returns at once when it cannot go further) and, when the log has grown past
// restartFrames, asks the writer to start it over.
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

// finish runs on the writer after a commit when a round asked for it: the
// writer is the only connection that can start the log over without holding
// up the next transaction. It tries once for each round that asks; when
// reads outlast restartWait (or the checkpointer is copying at that moment)
// the next round that still finds the log long asks again.
func (c *checkpointer) finish(writer *sql.DB) {
	if c == nil || !c.due.Swap(false) {
		return
	}
	if err := restartLog(writer); err != nil {
		slog.Warn("WAL restart on the writer failed; the log grows until one succeeds", "error", err)
	}
}

// restartLog runs a RESTART checkpoint on the writer's connection with a busy
// timeout of restartWait, then gives the connection its own timeout back.
func restartLog(writer *sql.DB) error {
	ctx := context.Background()
	conn, err := writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", restartWait.Milliseconds())); err != nil {
		return fmt.Errorf("shorten busy timeout: %w", err)
	}
	var busy, frames, copied int
	ckptErr := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &copied)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", writerBusyTimeout.Milliseconds())); err != nil {
		// A writer left with the short timeout would refuse writes that
		// merely had to wait: drop the connection, the pool opens a new one.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return errors.Join(ckptErr, fmt.Errorf("restore busy timeout: %w", err))
	}
	if ckptErr != nil {
		return fmt.Errorf("restart checkpoint: %w", ckptErr)
	}
	return nil
}

// stop ends the checkpoints; Close then checkpoints a last time on the writer.
func (c *checkpointer) stop() {
	if c == nil {
		return
	}
	if c.quit != nil {
		close(c.quit)
		<-c.done
	}
	c.conn.Close()
}
