package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cbec-platform/cbec/internal/errs"
)

// Several nodes on one PostgreSQL database act as one platform through two
// things of the database itself, each on a connection of its own outside the
// pool (a session lock and a listener must keep their session, and must not
// take a connection the requests need):
//
//   - a leader: the node holding a session advisory lock runs the periodic
//     jobs that must run once (billing, sweeps, summaries, alerts). The lock
//     goes with the session, so a leader that stops or loses its connection
//     lets another node take it at its next try;
//   - notifications: NOTIFY carries the ids of what changed to the other
//     nodes' listeners (the live screens of the sorting lines).
//
// Locks and channels are named after the schema as well, so deployments in
// two schemas of one database do not share a leader or their events.
// SQLite has one node: it always leads, and there is no one to notify.

// Leader is a node's candidacy for a named leader lock: a session of its
// own, kept between tries, that holds the lock once it got it, until Release
// or until the session is lost.
type Leader struct {
	db   *DB
	name string
	conn *pgx.Conn // nil on SQLite, and between a lost session and the next try
	held bool
}

// Leader returns this node's candidacy for the lock name; Try takes it.
func (db *DB) Leader(name string) *Leader { return &Leader{db: db, name: name} }

// Try takes the lock if no other session holds it and reports whether this
// node holds it. On SQLite it always does.
func (l *Leader) Try(ctx context.Context) (_ bool, err error) {
	defer errs.Wrap(&err, "store.Leader(%s).Try", l.name)
	if l.db.Engine == SQLite || l.held {
		return true, nil
	}
	if l.conn == nil {
		if l.conn, err = pgx.Connect(ctx, l.db.dsn); err != nil {
			l.conn = nil
			return false, classify(err)
		}
	}
	// hashtextextended turns the name into the lock's 64-bit key.
	err = l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended('cbec.lead.' || current_schema() || '.' || $1, 0))`, l.name).Scan(&l.held)
	if err != nil {
		l.Release()
		return false, classify(err)
	}
	return l.held, nil
}

// Check tells whether the lock is still held: the session that holds it
// answers. An error means the lock may be another node's already.
func (l *Leader) Check(ctx context.Context) error {
	if l.db.Engine == SQLite {
		return nil
	}
	if !l.held || l.conn == nil {
		return errors.New("the leader lock is not held")
	}
	if err := l.conn.Ping(ctx); err != nil {
		return fmt.Errorf("leader's connection lost: %w", err)
	}
	return nil
}

// Release gives the lock up by ending the session; the next Try opens another.
func (l *Leader) Release() {
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
	}
	l.conn, l.held = nil, false
}

// Notify sends payload to the listeners of channel on every node (NOTIFY;
// at most 8000 bytes, so ids rather than records). Nothing on SQLite.
func (db *DB) Notify(ctx context.Context, channel, payload string) error {
	if db.Engine == SQLite {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, `SELECT pg_notify($1 || '.' || current_schema(), $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, classify(err))
	}
	return nil
}

// Listen calls fn with every payload sent to channel, from any node,
// including this one, until ctx ends (it then returns nil) or the connection
// is lost (an error; the caller listens again, and what was sent in between
// is not received). listening is called once the listener is in place. On
// SQLite it returns when ctx ends.
func (db *DB) Listen(ctx context.Context, channel string, listening func(), fn func(payload string)) (err error) {
	defer errs.Wrap(&err, "store.Listen(%s)", channel)
	if db.Engine == SQLite {
		listening()
		<-ctx.Done()
		return nil
	}
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return classify(err)
	}
	defer conn.Close(context.Background())
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return classify(err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel + "." + schema}.Sanitize()); err != nil {
		return classify(err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return classify(err)
		}
		fn(n.Payload)
	}
}
