package console

import (
	"context"
	"encoding/json"
	"time"
)

// LiveChannel carries the sorting lines' events between the nodes of a
// deployment on one PostgreSQL database (store.DB.Notify and Listen): the
// scanner and the officers may use one node while a screen is connected to
// another. On SQLite there is one node, and nothing is sent.
const LiveChannel = "cbec_live"

// relayed is what travels between nodes: ids, not the parcel (a notification
// holds at most 8000 bytes, and the consignee must not travel in clear); the
// receiving node reads what its screens show.
type relayed struct {
	Node   string `json:"node"`
	Type   string `json:"type"`
	Line   string `json:"line"`
	Parcel string `json:"parcel"`
	SentAt int64  `json:"sentAt"`
}

// publish shows an event on this node's screens of the line and tells the
// other nodes about it.
func (s *Service) publish(ctx context.Context, kind string, p *Parcel) {
	if s.Hub == nil {
		return
	}
	sent := time.Now().UnixNano()
	b, _ := json.Marshal(Event{Type: kind, Parcel: p, SentAt: sent})
	s.Hub.Publish(p.LineID, b)
	n, _ := json.Marshal(relayed{Node: s.Hub.node, Type: kind, Line: p.LineID, Parcel: p.ID, SentAt: sent})
	// The change is committed: a request ending now must not stop the news.
	if err := s.DB.Notify(context.WithoutCancel(ctx), LiveChannel, string(n)); err != nil {
		s.Log.Warn("telling the other nodes' screens of a parcel failed; they show it at their next reload", "line", p.LineID, "parcel", p.ID, "error", err)
	}
}

// Relayed shows on this node's screens an event another node published
// (payload as publish sent it); events of this node and of lines nobody
// watches here are skipped.
func (s *Service) Relayed(ctx context.Context, payload string) {
	var r relayed
	if err := json.Unmarshal([]byte(payload), &r); err != nil {
		s.Log.Warn("a live event from another node could not be read", "error", err)
		return
	}
	if s.Hub == nil || r.Node == s.Hub.node || !s.Hub.watched(r.Line) {
		return
	}
	p, err := s.Parcel(ctx, r.Parcel)
	if err != nil {
		s.Log.Warn("reading a parcel another node published failed", "parcel", r.Parcel, "error", err)
		return
	}
	b, _ := json.Marshal(Event{Type: r.Type, Parcel: p, SentAt: r.SentAt})
	s.Hub.Publish(p.LineID, b)
}
