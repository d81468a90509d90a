package console

import "sync"

// Hub fans live events out to the screens watching a sorting line. A slow
// screen loses events rather than slowing the line (it reloads the list on
// reconnect); each subscriber has its own buffer.
type Hub struct {
	mu   sync.Mutex
	subs map[string]map[chan []byte]struct{}
	done chan struct{}
	once sync.Once
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[string]map[chan []byte]struct{}{}, done: make(chan struct{})}
}

// Shutdown ends every live stream, so that the server's graceful shutdown
// does not wait for screens that never hang up.
func (h *Hub) Shutdown() { h.once.Do(func() { close(h.done) }) }

// Done is closed by Shutdown.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Subscribe returns a channel of events for a line and a function to leave.
func (h *Hub) Subscribe(line string) (<-chan []byte, func()) {
	ch := make(chan []byte, 64)
	h.mu.Lock()
	if h.subs[line] == nil {
		h.subs[line] = map[chan []byte]struct{}{}
	}
	h.subs[line][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[line], ch)
		h.mu.Unlock()
	}
}

// Publish sends an event to every screen of a line without blocking.
func (h *Hub) Publish(line string, event []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[line] {
		select {
		case ch <- event:
		default:
		}
	}
}
