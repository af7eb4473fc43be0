package scheduler

import (
	"encoding/binary"
	"testing"
	"time"
)

// FuzzPlan drives the plan with arbitrary sequences of reports (the only
// input that comes from the network), path events and time steps. The plan
// must never panic, lose a piece, hand out a range outside the object, or
// let an adversarial report inflate its work beyond the window.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 3, 1, 0, 0, 0, 0, 0, 0, 0x10, 0, 3})
	f.Add([]byte{0, 0, 0, 1, 0, 2, 3, 2, 2, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3, 4, 9})
	f.Add([]byte{1, 7, 2, 0, 3, 4, 200, 3, 1, 1, 0, 0, 0, 0, 0, 4, 0, 0, 4, 255, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) < 2 {
			return
		}
		size := uint64(ops[0]) << 16 // up to ~16 MiB
		cfg, err := Config{Size: size, PieceSize: uint64(1+ops[1]%64) << 10, Window: 1 << 20}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		pl := newPlan(cfg)
		now := t0
		ops = ops[2:]
		for len(ops) > 0 {
			op := ops[0]
			ops = ops[1:]
			id := uint64(op>>4) % 4
			switch op % 5 {
			case 0:
				_ = pl.addPath(id, now)
			case 1:
				var b [8]byte
				n := copy(b[:], ops)
				ops = ops[n:]
				_ = pl.onReport(id, binary.LittleEndian.Uint64(b[:]), now)
			case 2:
				_ = pl.onPathDown(id)
			case 3:
				for _, a := range pl.next(now) {
					if a.r.Start >= a.r.End || a.r.End > size || a.r.End > pl.lowestIncomplete()+cfg.Window {
						t.Fatalf("bad assignment %v (size %d, lowest incomplete %d)", a.r, size, pl.lowestIncomplete())
					}
				}
			case 4:
				now = now.Add(time.Duration(op) * time.Millisecond)
				pl.deadline(now)
			}
			if err := checkInvariants(pl); err != nil {
				t.Fatal(err)
			}
			if uint64(len(pl.pending))*cfg.PieceSize > cfg.Window+cfg.PieceSize {
				t.Fatalf("%d pieces pending, beyond the window", len(pl.pending))
			}
		}
	})
}
