package presentation

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// bitmapRanges is the reference model of a received set: one bool per offset.
func bitmapRanges(have []bool, from uint64) []Range {
	var out []Range
	for i := from; i < uint64(len(have)); i++ {
		if !have[i] {
			continue
		}
		if n := len(out); n > 0 && out[n-1].End == i {
			out[n-1].End++
		} else {
			out = append(out, Range{Start: i, End: i + 1})
		}
	}
	return out
}

// TestReceivedRangesMatchBitmap writes random pieces, reads what is
// readable now and then, and checks the stream's view of its received set
// (kept in the chunk list, with contig and runs) against a bitmap.
func TestReceivedRangesMatchBitmap(t *testing.T) {
	src := pattern(3000)
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		const size = 3000
		s := newTestStream(t, 0, size)
		have := make([]bool, size)
		p := make([]byte, 64)
		for op := range 400 {
			start := rng.Uint64N(size)
			end := min(start+1+rng.Uint64N(40), size)
			if err := s.Write(start, src[start:end]); err != nil {
				t.Fatalf("seed %d op %d: write [%d, %d): %v", seed, op, start, end, err)
			}
			for i := start; i < end; i++ {
				have[i] = true
			}
			if op%11 == 0 {
				if _, err := s.ReadContiguous(p); err != nil {
					t.Fatal(err)
				}
			}
			if op%37 != 0 {
				continue
			}
			checkReceived(t, s, have)
		}
	}
}

// checkReceived compares every view of s's received set with have.
func checkReceived(t *testing.T, s *streamBuffer, have []bool) {
	t.Helper()
	from := s.GetReadPosition()
	want := bitmapRanges(have, from)
	if got := s.ReceivedRanges(); !slices.Equal(got, want) {
		t.Fatalf("ranges from %d = %v, want %v", from, got, want)
	}
	wantNext := from
	for wantNext < uint64(len(have)) && have[wantNext] {
		wantNext++
	}
	if got, _ := s.GetNextGapPosition(); got != wantNext {
		t.Fatalf("next gap = %d, want %d", got, wantNext)
	}
	upper := from
	if n := len(want); n > 0 {
		upper = want[n-1].End
	}
	var wantGaps []Range
	for i := from; i < upper; i++ {
		if have[i] {
			continue
		}
		if n := len(wantGaps); n > 0 && wantGaps[n-1].End == i {
			wantGaps[n-1].End++
		} else {
			wantGaps = append(wantGaps, Range{Start: i, End: i + 1})
		}
	}
	if got := s.MissingRanges().Ranges; !slices.Equal(got, wantGaps) {
		t.Fatalf("gaps from %d = %v, want %v", from, got, wantGaps)
	}
	s.mu.Lock()
	frag, runs := s.fragmentsLocked(), s.runs
	s.mu.Unlock()
	wantFrag := len(want)
	if len(want) > 0 && want[0].Start == from {
		wantFrag--
	}
	if runs != len(want) || frag != wantFrag {
		t.Fatalf("runs %d fragments %d, want %d and %d", runs, frag, len(want), wantFrag)
	}
}

// TestReceivedTouches checks which writes would open a new disjoint range.
func TestReceivedTouches(t *testing.T) {
	s := newTestStream(t, 0, 1000)
	src := pattern(100)
	for _, r := range []Range{{Start: 10, End: 20}, {Start: 30, End: 40}, {Start: 20, End: 25}} {
		if err := s.Write(r.Start, src[r.Start:r.End]); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		start, end uint64
		want       bool
	}{{0, 5, true}, {5, 9, false}, {5, 10, true}, {12, 13, true}, {25, 28, true}, {26, 29, false}, {26, 30, true}, {40, 41, true}, {41, 50, false}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cases {
		if got := s.touchesLocked(c.start, c.end); got != c.want {
			t.Errorf("touches(%d, %d) = %t, want %t", c.start, c.end, got, c.want)
		}
	}
	if got := s.receivedLocked(nil); !slices.Equal(got, []Range{{Start: 10, End: 25}, {Start: 30, End: 40}}) {
		t.Errorf("ranges = %v", got)
	}
}

// TestSortedListMatchesSlice checks inserts and removals anywhere against a
// plain slice, across block splits and emptied blocks.
func TestSortedListMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var l sortedList[intKey]
	var ref []intKey
	for op := range 20000 {
		if len(ref) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(ref))
			c := l.seek(ref[i].key())
			l.remove(c)
			ref = slices.Delete(ref, i, i+1)
		} else {
			v := intKey(rng.IntN(1 << 30))
			i, _ := slices.BinarySearch(ref, v)
			ref = slices.Insert(ref, i, v)
			l.insert(l.seek(v.key()), v)
		}
		if op%500 == 0 || op == 19999 {
			var got []intKey
			l.all(func(v *intKey) bool { got = append(got, *v); return true })
			if !slices.Equal(got, ref) || l.len() != len(ref) {
				t.Fatalf("op %d: list has %d elements, differs from reference of %d", op, l.len(), len(ref))
			}
			if err := staleKey(&l); err != nil {
				t.Fatalf("op %d: %v", op, err)
			}
		}
	}
	for l.len() > 0 {
		if *l.first() != ref[0] {
			t.Fatalf("first = %d, want %d", *l.first(), ref[0])
		}
		l.popFront()
		ref = ref[1:]
	}
	if l.first() != nil || l.last() != nil {
		t.Fatal("empty list has elements")
	}
}

// intKey is a sortedList element that is its own key.
type intKey int

func (v intKey) key() uint64 { return uint64(v) }
