package intake

import (
	"context"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Delegates answers for technical service providers (技术服务商): enterprises
// of the provider role that transmit messages on behalf of clients who
// authorised them.
type Delegates interface {
	// Suspended tells why a provider may not transmit at all ("" when it may).
	Suspended(ctx context.Context, provider string) (string, error)
	// Clients lists the enterprises whose authorisation of provider covers
	// msgType at now: registered, not revoked, in date.
	Clients(ctx context.Context, provider, msgType string, now time.Time) ([]string, error)
	// Record notes, in the message's transaction, that provider transmitted
	// the stored message for client.
	Record(ctx context.Context, tx *store.Tx, messageID, provider, client, msgType string, now time.Time) error
}

// convert runs the message type's handler for the sender. When the sender is
// a technical service provider and the documents are not its own, the handler
// runs again for each client that authorised it for this message type; the
// first client whose documents they are becomes the acting enterprise (the
// documents, their receipts and the stored message are the client's), and the
// provider is recorded with the message. Otherwise the sender's own refusal
// stands.
func (s *Service) convert(ctx context.Context, h Handler, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]Doc, *enterprise.Enterprise, []ceb.Problem, error) {
	provider := s.Delegates != nil && sender.HasRole(enterprise.RoleProvider)
	if provider {
		why, err := s.Delegates.Suspended(ctx, sender.Code)
		if err != nil {
			return nil, nil, nil, err
		}
		if why != "" {
			return nil, nil, nil, errs.New(errs.Forbidden, "provider_suspended", "Authorization",
				"technical service provider %s is suspended: %s", sender.Code, why)
		}
	}
	docs, problems, err := h(ctx, s, sender, d, now)
	if err == nil || !provider || errs.KindOf(err) != errs.Forbidden {
		return docs, sender, problems, err
	}
	clients, cerr := s.Delegates.Clients(ctx, sender.Code, d.Type, now)
	if cerr != nil {
		return nil, nil, nil, cerr
	}
	for _, code := range clients {
		client, gerr := s.Parties.Get(ctx, code)
		if gerr != nil {
			return nil, nil, nil, gerr
		}
		if client == nil || !client.Active() {
			continue
		}
		cdocs, cproblems, cerr := h(ctx, s, client, d, now)
		if errs.KindOf(cerr) == errs.Forbidden {
			continue
		}
		if cerr != nil {
			return nil, nil, nil, cerr
		}
		if len(cdocs) > 0 {
			cdocs[0] = &delegated{Doc: cdocs[0], provider: sender.Code, client: code, msgType: d.Type}
		}
		return cdocs, client, cproblems, nil
	}
	return nil, nil, nil, err
}

// delegated is the first document of a message a provider sent for a client:
// applying it also records who transmitted the message.
type delegated struct {
	Doc
	provider, client, msgType string
}

func (d *delegated) Apply(ctx context.Context, tx *store.Tx, env *Env) (Result, error) {
	if err := env.Service.Delegates.Record(ctx, tx, env.MessageID, d.provider, d.client, d.msgType, env.Now); err != nil {
		return Result{}, err
	}
	return d.Doc.Apply(ctx, tx, env)
}
