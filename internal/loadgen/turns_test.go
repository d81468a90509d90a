package loadgen

import (
	"strings"
	"testing"
	"time"
)

// CheckTurns is what the tests of runs in slices rely on instead of timing
// them, so it must find each way a record can be wrong: a target's time
// holding the other's slice, slices overlapping or out of turn, a send
// counted twice or not at all.
func TestCheckTurnsFindsWhatIsWrong(t *testing.T) {
	at := func(ms int) time.Time {
		return time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	}
	good := func() ([]Turn, []*Report) {
		turns := []Turn{
			{Side: "ceiling", Slice: 1, StartedAt: at(0), SendingEndedAt: at(1000), EndedAt: at(1010), Sent: 20, Final: 20},
			{Side: "server", Slice: 1, StartedAt: at(1100), SendingEndedAt: at(2150), EndedAt: at(2400), Sent: 20, Final: 19},
			{Side: "ceiling", Slice: 2, StartedAt: at(2500), SendingEndedAt: at(3000), EndedAt: at(3000), Sent: 10, Final: 10},
			{Side: "server", Slice: 2, StartedAt: at(3100), SendingEndedAt: at(4100), EndedAt: at(4300), Sent: 20, Final: 21},
		}
		reps := []*Report{
			{Slices: 2, SendSeconds: 1.5, RunSeconds: 1.51, Declarations: DeclarationCounts{Sent: 30, Final: 30}},
			{Slices: 2, SendSeconds: 2.05, RunSeconds: 2.5, Declarations: DeclarationCounts{Sent: 40, Final: 40}},
		}
		return turns, reps
	}
	turns, reps := good()
	if err := CheckTurns(turns, reps); err != nil {
		t.Fatalf("a true record: %v", err)
	}
	for _, c := range []struct {
		name, want string
		spoil      func([]Turn, []*Report) []Turn
	}{
		{"the server's time holds the ceiling's slice between its own", "sendSeconds", func(ts []Turn, r []*Report) []Turn {
			r[1].SendSeconds = ts[3].SendingEndedAt.Sub(ts[1].StartedAt).Seconds()
			return ts
		}},
		{"slices overlap", "before ceiling slice 1 ends", func(ts []Turn, _ []*Report) []Turn {
			ts[1].StartedAt = at(1005)
			return ts
		}},
		{"the server twice in a row", "out of turn", func(ts []Turn, _ []*Report) []Turn {
			ts[2], ts[3] = ts[3], ts[2]
			return ts
		}},
		{"a send in no slice", "30 sent", func(ts []Turn, _ []*Report) []Turn {
			ts[2].Sent--
			return ts
		}},
		{"a send in two slices", "41 sent", func(ts []Turn, _ []*Report) []Turn {
			ts[3].Sent++
			return ts
		}},
		{"a slice missing", "1 turns", func(ts []Turn, _ []*Report) []Turn { return ts[:3] }},
		{"sending ends before it starts", "out of order", func(ts []Turn, _ []*Report) []Turn {
			ts[0].SendingEndedAt, ts[0].StartedAt = ts[0].StartedAt, ts[0].SendingEndedAt
			return ts
		}},
	} {
		turns, reps := good()
		err := CheckTurns(c.spoil(turns, reps), reps)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}
