package store

import (
	"context"
	"errors"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"

	"github.com/google/uuid"
)

// Ticket is a request of an enterprise to the service response centre
// (package support), as stored.
type Ticket struct {
	ID              string
	EnterpriseCode  string
	Subject         string
	Priority        string
	LinkKind        string // receipt, inventory, document, reason
	LinkRef         string
	ReasonCode      string
	Status          string
	Assignee        string
	Escalation      int // 0, 1 response overdue, 2 resolution overdue
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ResponseDue     time.Time
	ResolveDue      time.Time
	FirstResponseAt *time.Time
	ResolvedAt      *time.Time
}

// TicketEvent is one step of a ticket's life.
type TicketEvent struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Kind  string    `json:"kind"` // opened, reply, assigned, status, escalated
	Body  string    `json:"body"`
}

const ticketColumns = `id, enterprise_code, subject, priority, link_kind, link_ref, reason_code, status, assignee, escalation,
	created_at, updated_at, response_due, resolve_due, first_response_at, resolved_at`

func scanTicket(row Scanner) (*Ticket, error) {
	var t Ticket
	var created, updated, respDue, resDue Time
	var first, resolved NullTime
	if err := row.Scan(&t.ID, &t.EnterpriseCode, &t.Subject, &t.Priority, &t.LinkKind, &t.LinkRef, &t.ReasonCode, &t.Status, &t.Assignee,
		&t.Escalation, &created, &updated, &respDue, &resDue, &first, &resolved); err != nil {
		return nil, classify(err)
	}
	t.CreatedAt, t.UpdatedAt, t.ResponseDue, t.ResolveDue = created.UTC(), updated.UTC(), respDue.UTC(), resDue.UTC()
	if first.Valid {
		v := first.UTC()
		t.FirstResponseAt = &v
	}
	if resolved.Valid {
		v := resolved.UTC()
		t.ResolvedAt = &v
	}
	return &t, nil
}

// CreateTicket stores a new ticket with the event that opened it.
func (db *DB) CreateTicket(ctx context.Context, t *Ticket, opened TicketEvent) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sr_tickets (id, enterprise_code, subject, priority, link_kind, link_ref, reason_code, status, assignee,
			escalation, created_at, updated_at, response_due, resolve_due, first_response_at, resolved_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			t.ID, t.EnterpriseCode, t.Subject, t.Priority, t.LinkKind, t.LinkRef, t.ReasonCode, t.Status, t.Assignee,
			t.Escalation, t.CreatedAt, t.UpdatedAt, t.ResponseDue, t.ResolveDue, t.FirstResponseAt, t.ResolvedAt)
		if err != nil {
			return fmt.Errorf("store ticket: %w", classify(err))
		}
		return tx.addTicketEvent(ctx, t.ID, opened)
	})
}

func (t *Tx) addTicketEvent(ctx context.Context, ticket string, e TicketEvent) error {
	_, err := t.Exec(ctx, `INSERT INTO sr_ticket_events (id, ticket_id, at, actor, kind, body) VALUES ($1, $2, $3, $4, $5, $6)`,
		uuid.Must(uuid.NewV7()).String(), ticket, e.At, e.Actor, e.Kind, e.Body)
	if err != nil {
		return fmt.Errorf("store ticket event: %w", err)
	}
	return nil
}

// Ticket reads a ticket with its events, oldest first; an errs.NotFound
// error when there is none.
func (db *DB) Ticket(ctx context.Context, id string) (_ *Ticket, _ []TicketEvent, err error) {
	defer errs.Wrap(&err, "store.Ticket(%q)", id)
	t, err := scanTicket(db.QueryRow(ctx, `SELECT `+ticketColumns+` FROM sr_tickets WHERE id = $1`, id))
	if err != nil {
		return nil, nil, err
	}
	rows, err := db.Query(ctx, `SELECT at, actor, kind, body FROM sr_ticket_events WHERE ticket_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, nil, err
	}
	events, err := Collect(rows, func(r Scanner) (TicketEvent, error) {
		var e TicketEvent
		var at Time
		err := r.Scan(&at, &e.Actor, &e.Kind, &e.Body)
		e.At = at.UTC()
		return e, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read events of ticket %s: %w", id, err)
	}
	return t, events, nil
}

// Tickets lists tickets newest first, of one enterprise or all (""), of one
// status or all ("").
func (db *DB) Tickets(ctx context.Context, enterprise, status string, limit int) (_ []Ticket, err error) {
	defer errs.Wrap(&err, "store.Tickets(%q)", enterprise)
	rows, err := db.Query(ctx, `SELECT `+ticketColumns+` FROM sr_tickets WHERE ($1 = '' OR enterprise_code = $1) AND ($2 = '' OR status = $2)
		ORDER BY created_at DESC, id DESC LIMIT $3`, enterprise, status, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTicket)
}

// TicketsOpenedSince lists the tickets opened at or after from.
func (db *DB) TicketsOpenedSince(ctx context.Context, from time.Time) (_ []Ticket, err error) {
	defer errs.Wrap(&err, "store.TicketsOpenedSince")
	rows, err := db.Query(ctx, `SELECT `+ticketColumns+` FROM sr_tickets WHERE created_at >= $1`, from)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTicket)
}

// UpdateTicket writes t's status, assignee and timers, stamped t.UpdatedAt,
// with its events, unless the stored ticket changed since it was read at
// readAt: then ErrTicketChanged and nothing is written.
func (db *DB) UpdateTicket(ctx context.Context, t *Ticket, readAt time.Time, events []TicketEvent) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE sr_tickets SET status = $1, assignee = $2, first_response_at = $3, resolved_at = $4, updated_at = $5
			WHERE id = $6 AND updated_at = $7`, t.Status, t.Assignee, t.FirstResponseAt, t.ResolvedAt, t.UpdatedAt, t.ID, readAt)
		if err != nil {
			return fmt.Errorf("update ticket %s: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrTicketChanged
		}
		for _, e := range events {
			if err := tx.addTicketEvent(ctx, t.ID, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// ErrTicketChanged reports that a ticket changed since it was read.
var ErrTicketChanged = errors.New("ticket changed since it was read")

// EscalateTickets raises the open or answered tickets whose first response
// (level 1) or resolution (level 2) was due before now, once per level, each
// with an "escalated" event by actor whose body is note(level). It returns
// how many it raised.
func (db *DB) EscalateTickets(ctx context.Context, now time.Time, actor string, note func(level int) string) (_ int, err error) {
	defer errs.Wrap(&err, "store.EscalateTickets")
	n := 0
	err = db.InTx(ctx, func(tx *Tx) error {
		n = 0
		for _, step := range []struct {
			level int
			where string
		}{
			{1, `first_response_at IS NULL AND response_due < $1`},
			{2, `resolved_at IS NULL AND resolve_due < $1`},
		} {
			rows, err := tx.Query(ctx, `SELECT id FROM sr_tickets WHERE status IN ('open', 'answered') AND escalation < $2 AND `+step.where, now, step.level)
			if err != nil {
				return err
			}
			ids, err := Collect(rows, func(r Scanner) (id string, err error) { return id, r.Scan(&id) })
			if err != nil {
				return fmt.Errorf("find overdue tickets: %w", err)
			}
			for _, id := range ids {
				if _, err := tx.Exec(ctx, `UPDATE sr_tickets SET escalation = $1 WHERE id = $2`, step.level, id); err != nil {
					return fmt.Errorf("escalate ticket %s: %w", id, err)
				}
				if err := tx.addTicketEvent(ctx, id, TicketEvent{At: now, Actor: actor, Kind: "escalated", Body: note(step.level)}); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

// What a ticket links to is checked against the tables of those entities;
// these reads serve only that.

// ReceiptReturnInfo reads the returnInfo of receipt seq in enterprise's feed;
// an errs.NotFound error when there is none.
func (db *DB) ReceiptReturnInfo(ctx context.Context, enterprise string, seq int64) (string, error) {
	var info string
	err := db.QueryRow(ctx, `SELECT return_info FROM receipts WHERE enterprise_code = $1 AND seq = $2`, enterprise, seq).Scan(&info)
	if err != nil {
		return "", classify(err)
	}
	return readInfo(info)
}

// InventoryReasonByCopNo reads the reason code of the inventory copNo that
// names party as its agent, e-commerce enterprise, platform or logistics
// firm; an errs.NotFound error when there is none.
func (db *DB) InventoryReasonByCopNo(ctx context.Context, copNo, party string) (string, error) {
	var reason string
	err := db.QueryRow(ctx, `SELECT reason_code FROM inventories WHERE cop_no = $1 AND (agent_code = $2 OR ebc_code = $2 OR ebp_code = $2 OR logistics_code = $2)`,
		copNo, party).Scan(&reason)
	return reason, classify(err)
}

// DocumentSender reads who sent the order, payment, waybill or logistics
// status kind/k1/k2; an errs.NotFound error when there is none.
func (db *DB) DocumentSender(ctx context.Context, kind, k1, k2 string) (string, error) {
	var sender string
	err := db.QueryRow(ctx, `SELECT sender FROM documents WHERE kind = $1 AND k1 = $2 AND k2 = $3`, kind, k1, k2).Scan(&sender)
	return sender, classify(err)
}
