package scheduler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// randomSim draws a transfer: one to four paths of random rates and delays,
// random object, piece and window sizes, paths that die (some detected late)
// or join late, and always one path that lives to the end.
func randomSim(rng *rand.Rand) simConfig {
	n := 1 + rng.IntN(4)
	cfg := simConfig{
		size:   1 + rng.Uint64N(24<<20),
		report: time.Duration(5+rng.IntN(40)) * time.Millisecond,
	}
	switch rng.IntN(3) {
	case 0: // adaptive
	case 1:
		cfg.pieceSize = 16<<10 + rng.Uint64N(512<<10)
	case 2:
		cfg.pieceSize = []uint64{16 << 10, 64 << 10, 256 << 10}[rng.IntN(3)]
	}
	ps := cfg.pieceSize
	if ps == 0 {
		ps = adaptivePieceSize(cfg.size)
	}
	cfg.window = ps + rng.Uint64N(32<<20)
	survivor := rng.IntN(n)
	for i := range n {
		p := simPathConfig{
			rate:  math.Exp(rng.Float64()*math.Log(200)) * mbit, // 1 to 200 Mbit/s
			delay: time.Duration(1+rng.IntN(60)) * time.Millisecond,
		}
		if i != survivor && rng.IntN(3) == 0 {
			p.dieAt = time.Duration(rng.IntN(3000)) * time.Millisecond
			p.detect = time.Duration(rng.IntN(500)) * time.Millisecond
		}
		if i != 0 && rng.IntN(4) == 0 {
			p.joinAt = time.Duration(rng.IntN(1000)) * time.Millisecond
			if p.dieAt != 0 {
				p.dieAt += p.joinAt
			}
		}
		cfg.paths = append(cfg.paths, p)
	}
	if survivor == 0 {
		cfg.paths[0].joinAt = 0
	}
	return cfg
}

// TestPropertyNothingLost runs random transfers with fixed seeds. The
// simulator fails the test if the plan's bookkeeping loses a piece (checked
// after every event), if a source writes beyond the client's window, if the
// plan declares completion before the client has every byte, or if the
// transfer does not finish.
func TestPropertyNothingLost(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 50
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
		cfg := randomSim(rng)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			slowest := math.Inf(1)
			for _, p := range cfg.paths {
				if p.dieAt == 0 {
					slowest = min(slowest, p.rate)
				}
			}
			limit := 10*time.Second + time.Duration(20*float64(cfg.size)/slowest*float64(time.Second))
			r := newSim(t, cfg).run(limit)
			var assigned uint64
			for _, p := range r.stats.Paths {
				assigned += p.AssignedBytes
			}
			if want := cfg.size + r.stats.DuplicatedBytes + r.stats.ReassignedBytes; assigned != want {
				t.Errorf("paths were assigned %d bytes, want size+duplicated+reassigned = %d", assigned, want)
			}
			if r.stats.CompleteBytes != cfg.size {
				t.Errorf("complete %d of %d bytes", r.stats.CompleteBytes, cfg.size)
			}
		})
	}
}
