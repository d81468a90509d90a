package console

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
)

// Hub fans live events out to the screens watching a sorting line. A slow
// screen loses events rather than slowing the line (it reloads the list on
// reconnect); each subscriber has its own buffer.
type Hub struct {
	// node tells this process's events from other nodes' in the relay.
	node string
	mu   sync.Mutex
	subs map[string]map[*subscriber]struct{}
	done chan struct{}
	once sync.Once
}

// subscriber is one screen's stream: its events, the session it belongs to,
// and a channel closed when that session ends.
type subscriber struct {
	events  chan []byte
	session string
	ended   chan struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Hub{node: hex.EncodeToString(b), subs: map[string]map[*subscriber]struct{}{}, done: make(chan struct{})}
}

// Shutdown ends every live stream, so that the server's graceful shutdown
// does not wait for screens that never hang up.
func (h *Hub) Shutdown() { h.once.Do(func() { close(h.done) }) }

// Done is closed by Shutdown.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Subscribe returns a channel of events for a line, a channel closed when the
// session ends (EndSession), and a function to leave.
func (h *Hub) Subscribe(line, session string) (<-chan []byte, <-chan struct{}, func()) {
	sub := &subscriber{events: make(chan []byte, 64), session: session, ended: make(chan struct{})}
	h.mu.Lock()
	if h.subs[line] == nil {
		h.subs[line] = map[*subscriber]struct{}{}
	}
	h.subs[line][sub] = struct{}{}
	h.mu.Unlock()
	return sub.events, sub.ended, func() {
		h.mu.Lock()
		delete(h.subs[line], sub)
		h.mu.Unlock()
	}
}

// EndSession ends the streams of a session at once (logout): they leave the
// hub before it returns, so no event published afterwards reaches them.
func (h *Hub) EndSession(session string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		for sub := range subs {
			if sub.session == session {
				delete(subs, sub)
				close(sub.ended)
			}
		}
	}
}

// watched tells whether a screen on this node watches the line.
func (h *Hub) watched(line string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[line]) > 0
}

// Publish sends an event to every screen of a line without blocking.
func (h *Hub) Publish(line string, event []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[line] {
		select {
		case sub.events <- event:
		default:
		}
	}
}
