package scheduler

import "testing"

// assignedTo returns the bytes next hands path id now.
func assignedTo(pl *plan, id uint64) uint64 {
	var n uint64
	for _, a := range pl.next(t0) {
		if a.path == id {
			n += a.r.Len()
		}
	}
	return n
}

// TestPlanPacesSlowRelay: the relay path, at most half as fast as every
// other, gets what it drains in a report interval plus one small piece
// ahead, so that its bottleneck queue, which the others' commands cross,
// stays short. Without Config.Relay, or when another path is not twice as
// fast, it gets its usual work ahead, several times that.
func TestPlanPacesSlowRelay(t *testing.T) {
	const slow = 10 * mbit
	bound := uint64(slow*DefaultReportInterval.Seconds()) + minPieceSize
	for _, tc := range []struct {
		name  string
		relay *Relay
		rates map[uint64]uint64
		paced bool
	}{
		{"slowest relay", &Relay{PathID: 0}, map[uint64]uint64{0: slow, 1: 50 * mbit, 2: 100 * mbit}, true},
		{"no relay", nil, map[uint64]uint64{0: slow, 1: 50 * mbit, 2: 100 * mbit}, false},
		{"relay not slowest", &Relay{PathID: 0}, map[uint64]uint64{0: slow, 1: slow / 2, 2: 100 * mbit}, false},
		{"relay not much slower", &Relay{PathID: 0}, map[uint64]uint64{0: slow, 1: 3 * slow / 2, 2: 100 * mbit}, false},
		{"relay alone measured", &Relay{PathID: 0}, map[uint64]uint64{0: slow}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := newTestPlan(t, Config{Size: 100 << 20, InitialRates: tc.rates, Relay: tc.relay}, 0, 1, 2)
			got := assignedTo(pl, 0)
			switch {
			case got == 0:
				t.Fatal("the relay path got no work")
			case tc.paced && got > bound:
				t.Errorf("the slowest relay path got %d bytes ahead, want at most %d", got, bound)
			case !tc.paced && got <= 2*bound:
				t.Errorf("the relay path got %d bytes ahead, want its usual work ahead (over %d)", got, 2*bound)
			}
		})
	}
}
