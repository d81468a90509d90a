// Package store keeps the platform's state in SQLite (embedded, the default) or
// PostgreSQL. Both engines run the same SQL ($N placeholders, portable types);
// the differences live in the per-engine migrations and in the few helpers of
// this file: how times are bound and scanned, and how errors are classified.
//
// Times are TIMESTAMPTZ on PostgreSQL and, on SQLite, fixed-width UTC text
// (2006-01-02T15:04:05.000000Z) so that text order is time order. Money is
// integer fen (BIGINT) on both.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cbec-platform/cbec/internal/errs"
)

// Engine names a database engine.
type Engine string

// The supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an open database. On SQLite, writes go through a single connection
// (SQLite allows one writer at a time; queueing in Go is cheaper than
// SQLITE_BUSY retries) and reads through a small pool.
type DB struct {
	Engine Engine
	write  *sql.DB
	read   *sql.DB
	// On SQLite, statements are prepared once per query text and reused: the
	// driver would otherwise parse the SQL of every statement anew, which cost
	// more than executing it. pgx keeps its own cache on PostgreSQL.
	writeStmts, readStmts *stmtCache
	// checkpointer copies the WAL into the database file on SQLite (nil on
	// PostgreSQL); see checkpointer.
	checkpointer *checkpointer
	// Location describes where the data is, without credentials, for logs.
	Location string
	// writer counts the work of write transactions, for benchmarks.
	writer writerStats
	// serveLock is the file whose lock makes this process the database's one
	// server (HoldForServing); nil when not serving or on PostgreSQL.
	serveLock *os.File
	// closeOnce makes Close safe to call again: shutdown paths and test
	// clean-ups may both close the database.
	closeOnce sync.Once
	closeErr  error
	// dsn opens the PostgreSQL connections that live outside the pool: the
	// leader's lock and the listener of live events (nodes.go).
	dsn string
	// serials is this node's block of inventory serials (see NextSerial).
	serials serials
	// firstSeen holds the e-commerce enterprises known to have their row of
	// risk_first_seen (MarkRiskFirstSeen).
	firstSeen knownSet
	// waiting counts the order and waybill keys of inventories in status 120
	// (SQLite, once migrated; nil otherwise): see waitingKeys.
	waiting atomic.Pointer[waitingKeys]
	// rows keeps, on SQLite, the rows just written for the engine to judge
	// (nil on PostgreSQL): see rowCache.
	rows *rowCache
}

// writerStats counts what write transactions cost: statements sent and time
// spent between begin and commit.
type writerStats struct {
	statements, roundTrips, transactions, rolledBack, nanos, retries atomic.Int64
}

// WriterStats is what write transactions have cost since the database was opened.
type WriterStats struct {
	Statements   int64         // statements run in write transactions, begin, commit and savepoints included
	RoundTrips   int64         // calls that waited for the database: one per statement, one per pipeline sent (PostgreSQL)
	Transactions int64         // write transactions committed or rolled back
	RolledBack   int64         // of those, the ones rolled back: their work was thrown away
	Busy         time.Duration // time from begin to the end of commit or rollback, summed
	Retries      int64         // batches run again after a deadlock or serialization failure (PostgreSQL)
}

// WriterStats returns the write transactions' cost so far. Benchmarks divide
// its growth by the work done: statements and writer time per declaration.
func (db *DB) WriterStats() WriterStats {
	return WriterStats{Statements: db.writer.statements.Load(), RoundTrips: db.writer.roundTrips.Load(), Transactions: db.writer.transactions.Load(),
		RolledBack: db.writer.rolledBack.Load(), Busy: time.Duration(db.writer.nanos.Load()), Retries: db.writer.retries.Load()}
}

// Options tune how a database is opened.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: NORMAL survives a crash of the
	// process (kill -9); FULL also survives a power loss, at a cost in write speed.
	Synchronous string
	// MaxConns bounds the PostgreSQL pool and the SQLite read pool.
	MaxConns int
}

// Open opens the database named by dbURL, or the embedded SQLite database in
// dataDir when dbURL is empty. It does not migrate; call Migrate.
func Open(ctx context.Context, dbURL, dataDir string, opt Options) (*DB, error) {
	if opt.MaxConns <= 0 {
		opt.MaxConns = 8
	}
	if opt.Synchronous == "" {
		opt.Synchronous = "NORMAL"
	}
	switch {
	case dbURL == "":
		return openSQLite(ctx, filepath.Join(dataDir, "cbec.db"), opt)
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return openPostgres(ctx, dbURL, opt)
	case strings.HasPrefix(dbURL, "sqlite://"), strings.HasPrefix(dbURL, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite://"), "file:")
		return openSQLite(ctx, path, opt)
	default:
		return nil, fmt.Errorf("database URL %q: want postgres://… or sqlite://PATH", redact(dbURL))
	}
}

func openSQLite(ctx context.Context, path string, opt Options) (*DB, error) {
	if err := writableFolder(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("database file %s cannot be opened for writing (%w): the server's user needs read and write permission on it", path, err)
	}
	q := url.Values{}
	// temp_store: statement journals of savepoints stay in memory instead of
	// temporary files; cache_size: 64 MiB of pages per connection.
	for _, p := range []string{"journal_mode(WAL)", fmt.Sprintf("busy_timeout(%d)", writerBusyTimeout.Milliseconds()), "synchronous(" + opt.Synchronous + ")", "foreign_keys(1)",
		"temp_store(MEMORY)", "cache_size(-65536)", "wal_autocheckpoint(0)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	q.Set("_pragma", "query_only(1)")
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "temp_store(MEMORY)", "cache_size(-16384)"} {
		q.Add("_pragma", p)
	}
	q.Del("_txlock")
	r, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(opt.MaxConns)
	r.SetMaxIdleConns(opt.MaxConns)
	db := &DB{Engine: SQLite, write: w, read: r, Location: path, writeStmts: newStmtCache(w, true), readStmts: newStmtCache(r, false),
		rows: newRowCache(rowCacheLimit)}
	// The first connection switches the file to WAL; do it before readers open.
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if db.checkpointer, err = openCheckpointer(path); err != nil {
		db.Close()
		return nil, err
	}
	db.checkpointer.start(checkpointInterval)
	return db, nil
}

func openPostgres(ctx context.Context, dsn string, opt Options) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redact(dsn), err)
	}
	p.SetMaxOpenConns(opt.MaxConns)
	p.SetMaxIdleConns(opt.MaxConns)
	p.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{Engine: Postgres, write: p, read: p, Location: redact(dsn), dsn: dsn}
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		e := errs.New(errs.Unavailable, "database_unreachable", "db", "cannot reach PostgreSQL at %s", redact(dsn))
		e.Err = err // printed by the CLI after the message, kept out of what HTTP callers see
		return nil, e
	}
	return db, nil
}

// writableFolder makes the database's folder if needed and checks that files
// can be created in it (SQLite also writes its -wal and -shm files there), so
// that a folder the server cannot use is named with what is missing instead
// of SQLite's "unable to open database file (14)".
func writableFolder(dir string) error {
	err := os.MkdirAll(dir, 0o750)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dir, ".cbec-write-check-*"); err == nil {
			name := f.Name()
			f.Close()
			return os.Remove(name)
		}
	}
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("data folder %s: no permission to create files in it: the server's user needs write and execute (search) permission on the folder (%w)", dir, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("data folder %s is on a read-only file system: choose a writable folder (%w)", dir, err)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("data folder %s: part of the path is a file, not a folder (%w)", dir, err)
	default:
		return fmt.Errorf("data folder %s cannot be written: %w", dir, err)
	}
}

// redact drops the password from a database URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Close closes the database; on SQLite it checkpoints the WAL first so the
// main file is complete on its own.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { db.closeErr = db.close() })
	return db.closeErr
}

func (db *DB) close() error {
	var err error
	if db.Engine == SQLite {
		db.checkpointer.stop()
		db.writeStmts.close()
		db.readStmts.close()
		_, _ = db.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		err = db.read.Close()
	}
	err = errors.Join(err, db.write.Close())
	if db.serveLock != nil {
		err = errors.Join(err, db.serveLock.Close()) // closing the file releases its lock
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	// The driver's text may name hosts, ports or files: it is the cause, for
	// the log, not part of the message a caller is shown.
	unreachable := func(err error) error {
		e := errs.New(errs.Unavailable, "database_unreachable", "db", "the database does not answer")
		e.Err = err
		return e
	}
	if err := db.write.PingContext(ctx); err != nil {
		return unreachable(err)
	}
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return unreachable(err)
	}
	return nil
}

// Pools returns the connection pools, for metrics.
func (db *DB) Pools() map[string]*sql.DB {
	if db.write == db.read {
		return map[string]*sql.DB{"main": db.write}
	}
	return map[string]*sql.DB{"write": db.write, "read": db.read}
}

// Tx is a write transaction. On SQLite it is a database/sql transaction; on
// PostgreSQL it is the writer's connection, in a transaction its statements
// begin and end, so that BEGIN and COMMIT travel with the statements queued
// around them (see pipeline.go).
type Tx struct {
	tx   *sql.Tx   // SQLite
	conn *sql.Conn // PostgreSQL
	db   *DB
	// stmts are the cached statements bound to tx, by query (stmt).
	stmts map[string]*sql.Stmt
	// queue holds the statements whose result nobody waits for (later), to be
	// sent with the next statement that returns something, or with COMMIT
	// (PostgreSQL).
	queue []queued
	// broken is the first error of a queued statement: the transaction can
	// only be rolled back (or its savepoint, which clears it).
	broken error
	// sent counts the round trips that sent statements (PostgreSQL).
	sent int
	// job is the index of the batch's job running, -1 outside jobs: a
	// queued statement's failure blames the job that queued it.
	job int
	// feed holds the receipts added, and answered the message rows pointing
	// at them, until they are numbered and written before commit (numberFeed).
	feed     []*Receipt
	answered []answeredMessage
	// afterCommit runs once the transaction has committed, and not at all
	// when it is rolled back (AfterCommit).
	afterCommit []func()
	// drewSerials: a block of inventory serials was drawn from the SQLite
	// counter row in this transaction (see commit).
	drewSerials bool
	// onRollback runs, newest first, when the transaction or the savepoint
	// that registered it is rolled back, and not at all once it commits
	// (onRollbackDo).
	onRollback []func()
	// deferRows: changes of the rows named by CommitRow wait for the commit
	// (commitWrites), set by the batcher for a keyed batch (PostgreSQL).
	deferRows    bool
	commitWrites []commitWrite
}

// AfterCommit runs fn once the transaction has committed; a rollback drops
// it. It is for what the process keeps in memory about stored rows (a row
// known to exist, a key no longer waited on), which must not believe a
// rolled-back write.
func (t *Tx) AfterCommit(fn func()) { t.afterCommit = append(t.afterCommit, fn) }

// onRollbackDo runs fn if the transaction, or the savepoint it is in, is
// rolled back: it takes back what the process noted in memory at once about a
// write (a key waited on from now, a block of serials drawn), so that an
// undone write leaves no trace. It runs before the rollback, while the
// writer's connection is still held, so no other transaction sees memory
// ahead of the rows.
func (t *Tx) onRollbackDo(fn func()) { t.onRollback = append(t.onRollback, fn) }

// undo runs the rollback work registered since the first n, newest first, and forgets it.
func (t *Tx) undo(n int) {
	for i := len(t.onRollback) - 1; i >= n; i-- {
		t.onRollback[i]()
	}
	t.onRollback = t.onRollback[:n]
}

// InTx runs fn in a write transaction, committing when it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	db.writeStmts.warm(ctx)
	t, err := db.begin(ctx)
	if err != nil {
		return classify(fmt.Errorf("begin transaction: %w", err))
	}
	// Counted from begin on: waiting for the writer connection is not its cost.
	start := time.Now()
	defer func() {
		db.writer.transactions.Add(1)
		db.writer.statements.Add(2) // begin and commit (or rollback)
		db.writer.nanos.Add(int64(time.Since(start)))
	}()
	err = fn(t)
	if err == nil {
		err = t.writeCommitRows(ctx)
	}
	if err == nil {
		err = t.numberFeed(ctx)
	}
	if err != nil {
		return t.rollback(err)
	}
	// A failed commit may still have reached the disk (PostgreSQL: the
	// connection lost after the server committed): neither the after-commit
	// nor the rollback work runs, so what is in memory errs on the side of
	// believing the rows are there. A queued statement that failed before
	// COMMIT is known to have undone the transaction, like fn's error.
	if err := t.commit(ctx); err != nil {
		if t.broken != nil {
			return t.rollback(t.broken)
		}
		return classify(err)
	}
	for _, fn := range t.afterCommit {
		fn()
	}
	db.checkpointer.finish(db.write)
	return nil
}

// begin starts a write transaction: on SQLite a database/sql one; on
// PostgreSQL the writer's connection with BEGIN queued, sent with the
// transaction's first statements.
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	if db.Engine == Postgres {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return nil, err
		}
		t := &Tx{conn: conn, db: db, job: -1}
		t.queue = append(t.queue, queued{name: "begin", query: "BEGIN", job: -1})
		return t, nil
	}
	db.writer.roundTrips.Add(1)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{tx: tx, db: db, job: -1}, nil
}

// rollback undoes the transaction after err, and returns the error that
// undid it: the queued statement that failed, when one did (what fn saw
// afterwards, an aborted transaction, is its consequence).
func (t *Tx) rollback(err error) error {
	if t.broken != nil {
		err = t.broken
	}
	t.undo(0) // before the writer's connection is let go
	t.db.writer.rolledBack.Add(1)
	t.db.writer.roundTrips.Add(1)
	if t.conn == nil {
		_ = t.tx.Rollback()
		return err
	}
	// Not the caller's context: a cancelled one would leave the transaction
	// open, and the pool would then drop the connection rather than reuse it.
	_, _ = t.conn.ExecContext(context.Background(), "ROLLBACK")
	_ = t.conn.Close()
	return err
}

// commit commits the transaction. A serial block drawn in it is held until
// the commit is known, so that no other transaction hands out a number of a
// block whose draw a failed commit undoes.
func (t *Tx) commit(ctx context.Context) error {
	if !t.drewSerials {
		return t.commitNow(ctx)
	}
	t.db.serials.mu.Lock()
	defer t.db.serials.mu.Unlock()
	err := t.commitNow(ctx)
	if err != nil {
		t.db.serials.last = t.db.serials.end
	}
	return err
}

// commitNow commits: on PostgreSQL, COMMIT goes with the statements still
// queued, in one round trip; the connection is let go unless a queued
// statement failed (the caller then rolls back).
func (t *Tx) commitNow(ctx context.Context) error {
	if t.conn == nil {
		t.db.writer.roundTrips.Add(1)
		if err := t.tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}
	t.queue = append(t.queue, queued{name: "commit", query: "COMMIT", job: -1, commit: true})
	err := t.flush(ctx)
	if t.broken == nil {
		_ = t.conn.Close()
	}
	return err
}

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.db.writer.statements.Add(1)
	if t.conn != nil {
		tag, err := t.pipeExec(ctx, query, args)
		return tagResult(tag), classify(err)
	}
	t.db.writer.roundTrips.Add(1)
	query, args = t.db.bind(query, args)
	if st := t.stmt(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, classify(err)
	}
	res, err := t.tx.ExecContext(ctx, query, args...)
	return res, classify(err)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	t.db.writer.statements.Add(1)
	if t.conn != nil {
		rows, err := t.pipeRows(ctx, query, args)
		if err != nil {
			return nil, classify(err)
		}
		return rows, nil
	}
	t.db.writer.roundTrips.Add(1)
	query, args = t.db.bind(query, args)
	if st := t.stmt(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, classify(err)
	}
	rows, err := t.tx.QueryContext(ctx, query, args...)
	return rows, classify(err)
}

// QueryRow runs a one-row query in the transaction; Scan gives
// sql.ErrNoRows when there is no row.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) Scanner {
	t.db.writer.statements.Add(1)
	if t.conn != nil {
		rows, err := t.pipeRows(ctx, query, args)
		return &bufRow{rows: rows, err: err}
	}
	t.db.writer.roundTrips.Add(1)
	query, args = t.db.bind(query, args)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// query and queryRow are Query and QueryRow, for code shared by the
// transaction and the read pool (rowsQuerier, rowQuerier).
func (t *Tx) query(ctx context.Context, query string, args ...any) (Rows, error) {
	return t.Query(ctx, query, args...)
}

func (t *Tx) queryRow(ctx context.Context, query string, args ...any) Scanner {
	return t.QueryRow(ctx, query, args...)
}

func (db *DB) query(ctx context.Context, query string, args ...any) (Rows, error) {
	return db.Query(ctx, query, args...)
}

func (db *DB) queryRow(ctx context.Context, query string, args ...any) Scanner {
	return db.QueryRow(ctx, query, args...)
}

// stmt returns the cached statement of query bound to the transaction, or nil
// where statements are not cached. A statement is bound once per
// transaction: each binding is an object database/sql registers with the
// statement and the transaction, and a batch runs each of its queries for
// every job in it.
func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.stmts[query]; st != nil {
		return st
	}
	st := t.db.writeStmts.get(ctx, query)
	if st == nil {
		return nil
	}
	bound := t.tx.StmtContext(ctx, st)
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = bound
	return bound
}

// Query runs a read-only query outside any transaction.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query, args = db.bind(query, args)
	if st := db.readStmts.get(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, classify(err)
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	return rows, classify(err)
}

// QueryRow runs a read-only one-row query outside any transaction.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query, args = db.bind(query, args)
	if st := db.readStmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, query, args...)
}

// stmtCache holds prepared statements by query text.
type stmtCache struct {
	pool *sql.DB
	// lazy: a miss only records the query, prepared later by warm. The
	// writer pool has one connection, held by the transaction that missed:
	// preparing there and then would wait for itself.
	lazy bool
	mu   sync.RWMutex
	m    map[string]*sql.Stmt
	want map[string]bool
}

func newStmtCache(pool *sql.DB, lazy bool) *stmtCache {
	return &stmtCache{pool: pool, lazy: lazy, m: map[string]*sql.Stmt{}, want: map[string]bool{}}
}

// get returns the statement of query, or nil when there is no cache, the
// statement is not prepared yet (lazy) or cannot be prepared; the caller then
// runs the query directly, and gets any error there.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	if c.lazy {
		c.mu.Lock()
		c.want[query] = true
		c.mu.Unlock()
		return nil
	}
	// Prepare without holding the lock: the pool may have to wait for a
	// connection whose holder is asking the cache for another statement.
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have := c.m[query]; have != nil {
		st.Close()
		return have
	}
	c.m[query] = st
	return st
}

// warm prepares the statements that missed; call it while holding no
// connection. The lock is not held while preparing: a transaction that holds
// the writer connection may be asking the cache for a statement meanwhile.
func (c *stmtCache) warm(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	queries := make([]string, 0, len(c.want))
	for q := range c.want {
		queries = append(queries, q)
	}
	clear(c.want)
	c.mu.Unlock()
	for _, q := range queries {
		st, err := c.pool.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.m[q] == nil {
			c.m[q] = st
			st = nil
		}
		c.mu.Unlock()
		if st != nil {
			st.Close()
		}
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}

// sqliteTime is the fixed-width UTC text form of times on SQLite.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// bind returns the text to run of query and its arguments in the engine's
// form: on SQLite, with anonymous parameters in place of numbered ones
// (positionalOf).
func (db *DB) bind(query string, args []any) (string, []any) {
	args = db.args(args)
	if db.Engine != SQLite {
		return query, args
	}
	p := positionalOf(query)
	return p.text, p.bind(args)
}

// args converts times to the engine's form. SQLite gets fixed-width UTC text;
// PostgreSQL gets the time itself, which pgx sends as TIMESTAMPTZ.
func (db *DB) args(args []any) []any {
	if db.Engine != SQLite {
		return args
	}
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UTC().Format(sqliteTime)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = v.UTC().Format(sqliteTime)
			}
		}
	}
	return args
}

// Time scans a time column from either engine.
type Time struct{ time.Time }

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	case nil:
		t.Time = time.Time{}
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

func (t *Time) parse(s string) error {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scan time %q: %w", s, err)
	}
	t.Time = v
	return nil
}

// NullTime scans a nullable time column; Valid is false for NULL.
type NullTime struct {
	Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *NullTime) Scan(src any) error {
	t.Valid = src != nil
	return t.Time.Scan(src)
}

// retryable reports whether a transaction failed for a reason a retry cures:
// PostgreSQL deadlocks (40P01) and serialization failures (40001).
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// classify turns driver errors into the platform's kinds.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &errs.Error{Kind: errs.Conflict, Code: "duplicate", Message: "already exists", Err: err}
		}
		// Extended result codes keep the primary code in the low byte.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR:
			return &errs.Error{Kind: errs.Unavailable, Code: "storage_failure", Message: "the data folder cannot be written", Err: err}
		}
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return &errs.Error{Kind: errs.Conflict, Code: "duplicate", Message: "already exists", Err: err}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &errs.Error{Kind: errs.NotFound, Code: "not_found", Message: "not found", Err: err}
	}
	if databaseDown(err) {
		return unavailable(err)
	}
	return err
}

// Savepoint runs fn inside a savepoint of the transaction: when fn fails, its
// statements are undone and the transaction goes on.
//
// On PostgreSQL, SAVEPOINT is queued like fn's statements whose result is not
// needed, and RELEASE sent with them: a queued statement of fn that fails
// is fn's failure, undone by the savepoint.
func (t *Tx) Savepoint(ctx context.Context, name string, fn func() error) error {
	// What was queued before is not fn's: it must not fail inside the savepoint.
	if err := t.flush(ctx); err != nil {
		return err
	}
	if err := t.later(ctx, "savepoint "+name, "SAVEPOINT "+name); err != nil {
		return err
	}
	sent := t.sent
	feed, answered, hooks, undos, writes := len(t.feed), len(t.answered), len(t.afterCommit), len(t.onRollback), len(t.commitWrites)
	err := fn()
	if err == nil {
		if err = t.later(ctx, "release savepoint "+name, "RELEASE SAVEPOINT "+name); err == nil {
			if err = t.flush(ctx); err == nil {
				return nil
			}
		}
	}
	if t.broken != nil {
		err, t.broken = t.broken, nil
	}
	t.undo(undos)
	// What fn queued is dropped; when nothing was sent since SAVEPOINT was
	// queued, the server saw none of it, and there is nothing to roll back.
	t.queue = nil
	if t.conn == nil || t.sent != sent {
		if _, rerr := t.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, rerr)
		}
		_, _ = t.Exec(ctx, "RELEASE SAVEPOINT "+name)
	}
	// The receipts, message rows and after-commit work added since are
	// undone too, and what was noted in memory meanwhile is taken back.
	t.feed, t.answered, t.afterCommit = t.feed[:feed], t.answered[:answered], t.afterCommit[:hooks]
	t.commitWrites = t.commitWrites[:writes]
	return err
}

// Scanner is a row to scan: *sql.Row or *sql.Rows, or what a PostgreSQL
// write transaction read (Tx.QueryRow).
type Scanner = interface{ Scan(dest ...any) error }

// Rows are the rows of a query: *sql.Rows, or what a PostgreSQL write
// transaction read (Tx.Query).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// Collect scans every row with scan and closes the rows: the loop every list
// query would otherwise repeat.
func Collect[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// collect is Collect for scan functions that return pointers, giving values.
func collect[T any](rows Rows, scan func(Scanner) (*T, error)) ([]T, error) {
	return Collect(rows, func(r Scanner) (T, error) {
		v, err := scan(r)
		if err != nil {
			var zero T
			return zero, err
		}
		return *v, nil
	})
}
