package loadgen

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// A Turn is one slice of a run in slices (Alternate): whose it was, when
// it ran and what it did. A report lists them in the order they ran.
//
// The instants are on one clock: the wall time of the first slice's start
// plus the monotonic time since. So the differences of a target's instants
// are exactly the durations summed into its sendSeconds and runSeconds,
// whatever the wall clock did meanwhile, and the slices of all targets
// compare on one line — which is what lets CheckTurns, not a stopwatch,
// tell that a target's time holds its own slices alone.
type Turn struct {
	Side           string    `json:"side"`           // the target's Config.Name, or its Server
	Slice          int       `json:"slice"`          // the target's own count, from 1
	StartedAt      time.Time `json:"startedAt"`      // the senders start
	SendingEndedAt time.Time `json:"sendingEndedAt"` // the senders are done: the slice's sendSeconds end here
	EndedAt        time.Time `json:"endedAt"`        // the last final receipt, or the end of sending if later: its runSeconds end here
	Sent           int       `json:"sent"`           // inventories posted in the slice
	Final          int       `json:"final"`          // final receipts seen in the slice, of what this slice or an earlier one sent
}

// turn is phase p as the target side's n-th turn, its instants on the
// clock that origin starts (origin carries a monotonic reading, as the
// instants of every phase do).
func (p *phase) turn(side string, n int, origin time.Time) Turn {
	on := func(t time.Time) time.Time { return origin.Round(0).Add(t.Sub(origin)).UTC() }
	return Turn{Side: side, Slice: n, StartedAt: on(p.start), SendingEndedAt: on(p.sendEnd), EndedAt: on(p.end),
		Sent: p.sent, Final: p.final}
}

// CheckTurns tells what in turns is not the record of a run in slices
// whose targets' reports are reps, in the order of Alternate's configs.
// Tests check this instead of timing slices, which on a busy machine tells
// nothing: the targets go in rounds, in config order, each target's n-th
// turn in round n (so one side's turns alternate with the other's); no turn
// overlaps the next; and each target's turns add up to its report: as many
// as its slices, its declarations sent and final, and, but for float
// rounding, its sendSeconds and runSeconds. So each send is counted in one
// slice, and a target's time is its own slices' alone.
func CheckTurns(turns []Turn, reps []*Report) error {
	if len(turns) < len(reps) {
		return fmt.Errorf("%d turns for %d targets: every target has a first slice", len(turns), len(reps))
	}
	// The first round names the targets.
	index := map[string]int{}
	for i := range reps {
		if _, dup := index[turns[i].Side]; dup || turns[i].Slice != 1 {
			return fmt.Errorf("turn %d: %s slice %d, want the first slice of target %d of %d", i+1, turns[i].Side, turns[i].Slice, i+1, len(reps))
		}
		index[turns[i].Side] = i
	}
	var problems []error
	type sums struct {
		slices, sent, final int
		send, run           time.Duration
	}
	got := make([]sums, len(reps))
	for j, t := range turns {
		i, ok := index[t.Side]
		if !ok {
			problems = append(problems, fmt.Errorf("turn %d: side %q is not a target of the first round", j+1, t.Side))
			continue
		}
		g := &got[i]
		g.slices++
		if t.Slice != g.slices {
			problems = append(problems, fmt.Errorf("turn %d: %s slice %d, want %d", j+1, t.Side, t.Slice, g.slices))
		}
		if j > 0 {
			p := turns[j-1]
			if t.Slice < p.Slice || t.Slice == p.Slice && i <= index[p.Side] {
				problems = append(problems, fmt.Errorf("turn %d: %s slice %d after %s slice %d, out of turn", j+1, t.Side, t.Slice, p.Side, p.Slice))
			}
			if t.StartedAt.Before(p.EndedAt) {
				problems = append(problems, fmt.Errorf("turn %d: %s slice %d starts at %s, before %s slice %d ends at %s",
					j+1, t.Side, t.Slice, t.StartedAt.Format(time.RFC3339Nano), p.Side, p.Slice, p.EndedAt.Format(time.RFC3339Nano)))
			}
		}
		if t.SendingEndedAt.Before(t.StartedAt) || t.EndedAt.Before(t.SendingEndedAt) {
			problems = append(problems, fmt.Errorf("turn %d: %s slice %d: started %s, sending ended %s, ended %s: out of order",
				j+1, t.Side, t.Slice, t.StartedAt.Format(time.RFC3339Nano), t.SendingEndedAt.Format(time.RFC3339Nano), t.EndedAt.Format(time.RFC3339Nano)))
		}
		g.sent += t.Sent
		g.final += t.Final
		g.send += t.SendingEndedAt.Sub(t.StartedAt)
		g.run += t.EndedAt.Sub(t.StartedAt)
	}
	// The instants are printed to the nanosecond, the seconds as float64:
	// the sums agree to far below a nanosecond.
	same := func(d time.Duration, s float64) bool { return math.Abs(d.Seconds()-s) <= 1e-9*max(1, s) }
	for i, rep := range reps {
		g, side := got[i], turns[i].Side
		if g.slices != rep.Slices || g.sent != rep.Declarations.Sent || g.final != rep.Declarations.Final {
			problems = append(problems, fmt.Errorf("%s: %d turns, %d sent, %d final; the report has %d slices, %d sent, %d final",
				side, g.slices, g.sent, g.final, rep.Slices, rep.Declarations.Sent, rep.Declarations.Final))
		}
		if !same(g.send, rep.SendSeconds) || !same(g.run, rep.RunSeconds) {
			problems = append(problems, fmt.Errorf("%s: its turns last %v sending, %v in all; the report has sendSeconds %v, runSeconds %v",
				side, g.send.Seconds(), g.run.Seconds(), rep.SendSeconds, rep.RunSeconds))
		}
	}
	return errors.Join(problems...)
}
