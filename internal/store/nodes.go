package store

import (
	"context"
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

// Leadership is a node's hold on a named leader lock, until Release or until
// its connection is lost.
type Leadership struct {
	conn *pgx.Conn // nil on SQLite
}

// TryLead takes the leader lock name if no other session holds it; it
// returns nil, nil when another node leads. On SQLite it always succeeds.
func (db *DB) TryLead(ctx context.Context, name string) (_ *Leadership, err error) {
	defer errs.Wrap(&err, "store.TryLead(%s)", name)
	if db.Engine == SQLite {
		return &Leadership{}, nil
	}
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return nil, classify(err)
	}
	var got bool
	// hashtextextended turns the name into the lock's 64-bit key.
	err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended('cbec.lead.' || current_schema() || '.' || $1, 0))`, name).Scan(&got)
	if err != nil || !got {
		_ = conn.Close(context.Background())
		return nil, classify(err)
	}
	return &Leadership{conn: conn}, nil
}

// Check tells whether the leadership still holds: the session that holds the
// lock answers. An error means the lock may be another node's already.
func (l *Leadership) Check(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	if err := l.conn.Ping(ctx); err != nil {
		return fmt.Errorf("leader's connection lost: %w", err)
	}
	return nil
}

// Release gives the lock up by ending its session.
func (l *Leadership) Release() {
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
	}
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
