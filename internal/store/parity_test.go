package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// TestMigrationParity migrates both engines and compares the schemas they end
// with: tables, columns with their class of type and nullability, primary
// keys and indexes. Types are compared by class ("integer" for INTEGER,
// BIGINT and BIGSERIAL, "time" for TIMESTAMPTZ, …), since the engines spell
// them differently; SQLite keeps times as text (docs/design.md, storage
// rules), so a PostgreSQL "time" matches a SQLite "text" and nothing else.
// The test reads the catalogues, not the migration files, so it covers every
// migration added later without change.
func TestMigrationParity(t *testing.T) {
	lite := describe(t, storetest.OpenSQLite(t))
	pg := describe(t, storetest.OpenPostgres(t))
	if len(lite) == 0 {
		t.Fatal("SQLite schema is empty")
	}
	if diff := cmp.Diff(canonical(lite), canonical(pg)); diff != "" {
		t.Errorf("schemas differ (-sqlite +postgres):\n%s", diff)
	}
}

// TestMigrationsDownAndUp runs every Down section, newest first, to an empty
// schema, then every Up section again, on each engine: the schema after the
// round trip is the one before it. The project does not run Down sections
// in production; this keeps them true for whoever needs to step back.
func TestMigrationsDownAndUp(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t)
		before := describe(t, db)
		if err := db.MigrateDownTo(ctx, 0); err != nil {
			t.Fatal(err)
		}
		if left := describe(t, db); len(left) != 0 {
			t.Errorf("after Down to 0, left behind:\n%s", strings.Join(left, "\n"))
		}
		if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, describe(t, db)); diff != "" {
			t.Errorf("schema after Down and Up differs (-before +after):\n%s", diff)
		}
	})
}

// canonical maps the one class the engines legitimately disagree on.
func canonical(desc []string) []string {
	out := make([]string, len(desc))
	for i, d := range desc {
		out[i] = strings.Replace(d, " time", " text", 1)
	}
	return out
}

// describe lists the schema of db as sorted lines, one per table, column,
// primary key and index, leaving out goose's own version table.
func describe(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	var err error
	if db.Engine == store.SQLite {
		out, err = describeSQLite(db)
	} else {
		out, err = describePostgres(db)
	}
	if err != nil {
		t.Fatalf("describe %s schema: %v", db.Engine, err)
	}
	slices.Sort(out)
	return out
}

// query runs q and calls scan for each row.
func query(db *store.DB, scan func(scan func(...any) error) error, q string, args ...any) error {
	rows, err := db.Query(context.Background(), q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// typeClass maps a declared type of either engine to its class.
func typeClass(declared string) string {
	switch t := strings.ToLower(declared); {
	case t == "text" || strings.HasPrefix(t, "character") || strings.HasPrefix(t, "varchar"):
		return "text"
	case t == "integer" || t == "bigint" || t == "smallint" || t == "bigserial" || t == "serial":
		return "integer"
	case t == "boolean":
		return "bool"
	case t == "blob" || t == "bytea":
		return "bytes"
	case strings.HasPrefix(t, "timestamp"):
		return "time"
	case t == "numeric" || strings.HasPrefix(t, "decimal"):
		return "decimal"
	case t == "real" || t == "double precision":
		return "real"
	}
	return "unknown(" + declared + ")"
}

func column(table, name, declared string, notNull bool) string {
	s := "column " + table + "." + name + " " + typeClass(declared)
	if notNull {
		s += " not null"
	}
	return s
}

// index describes an index by its columns; only indexes created by CREATE
// INDEX are named, since the engines name those backing a UNIQUE constraint
// differently.
func index(table, name string, unique, constraint, partial bool, cols []string) string {
	s := "index " + table + " "
	if !constraint {
		s += name + " "
	}
	if unique {
		s += "unique"
	}
	s += "(" + strings.Join(cols, ",") + ")"
	if partial {
		s += " partial"
	}
	return s
}

func describeSQLite(db *store.DB) ([]string, error) {
	var tables []string
	err := query(db, func(scan func(...any) error) error {
		var name string
		if err := scan(&name); err != nil {
			return err
		}
		tables = append(tables, name)
		return nil
	}, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, tab := range tables {
		out = append(out, "table "+tab)
		var pk []string
		var pkPos []int
		err := query(db, func(scan func(...any) error) error {
			var name, declared string
			var notNull bool
			var pos int
			if err := scan(&name, &declared, &notNull, &pos); err != nil {
				return err
			}
			// SQLite lets a primary key column hold NULL unless it says
			// NOT NULL; the platform never stores one, PostgreSQL forbids it.
			out = append(out, column(tab, name, declared, notNull || pos > 0))
			if pos > 0 {
				pk = append(pk, name)
				pkPos = append(pkPos, pos)
			}
			return nil
		}, `SELECT name, type, "notnull", pk FROM pragma_table_info($1)`, tab)
		if err != nil {
			return nil, err
		}
		if len(pk) > 0 {
			ordered := make([]string, len(pk))
			for i, p := range pkPos {
				ordered[p-1] = pk[i]
			}
			out = append(out, "primary key "+tab+" ("+strings.Join(ordered, ",")+")")
		}
		type ix struct {
			name            string
			unique, partial bool
			origin          string
		}
		var ixs []ix
		err = query(db, func(scan func(...any) error) error {
			var x ix
			if err := scan(&x.name, &x.unique, &x.origin, &x.partial); err != nil {
				return err
			}
			ixs = append(ixs, x)
			return nil
		}, `SELECT name, "unique", origin, partial FROM pragma_index_list($1)`, tab)
		if err != nil {
			return nil, err
		}
		for _, x := range ixs {
			if x.origin == "pk" {
				continue
			}
			var cols []string
			err := query(db, func(scan func(...any) error) error {
				var name *string
				if err := scan(&name); err != nil {
					return err
				}
				if name == nil {
					cols = append(cols, "expression")
				} else {
					cols = append(cols, *name)
				}
				return nil
			}, `SELECT name FROM pragma_index_info($1) ORDER BY seqno`, x.name)
			if err != nil {
				return nil, err
			}
			out = append(out, index(tab, x.name, x.unique, x.origin == "u", x.partial, cols))
		}
	}
	return out, nil
}

func describePostgres(db *store.DB) ([]string, error) {
	var out []string
	err := query(db, func(scan func(...any) error) error {
		var name string
		if err := scan(&name); err != nil {
			return err
		}
		out = append(out, "table "+name)
		return nil
	}, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`)
	if err != nil {
		return nil, err
	}
	err = query(db, func(scan func(...any) error) error {
		var tab, name, declared, nullable string
		if err := scan(&tab, &name, &declared, &nullable); err != nil {
			return err
		}
		out = append(out, column(tab, name, declared, nullable == "NO"))
		return nil
	}, `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`)
	if err != nil {
		return nil, err
	}
	err = query(db, func(scan func(...any) error) error {
		var tab, name, cols string
		var unique, primary, partial, constraint bool
		if err := scan(&tab, &name, &unique, &primary, &partial, &constraint, &cols); err != nil {
			return err
		}
		// pg_get_indexdef quotes a column named like a keyword ("position").
		names := strings.Split(strings.ReplaceAll(cols, `"`, ""), ",")
		for i, c := range names {
			if strings.ContainsAny(c, "( ") {
				names[i] = "expression"
			}
		}
		if primary {
			out = append(out, "primary key "+tab+" ("+strings.Join(names, ",")+")")
			return nil
		}
		out = append(out, index(tab, name, unique, constraint, partial, names))
		return nil
	}, `SELECT t.relname, i.relname, x.indisunique, x.indisprimary, x.indpred IS NOT NULL,
			EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid),
			array_to_string(ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true)
				FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k), ',')
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND t.relname <> 'goose_db_version'`)
	if err != nil {
		return nil, err
	}
	return out, nil
}
