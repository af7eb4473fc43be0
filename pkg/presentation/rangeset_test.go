package presentation

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// bitmapRanges is the reference model of a rangeSet: one bool per offset.
func bitmapRanges(have []bool, from uint64) []Range {
	var out []Range
	for i := from; i < uint64(len(have)); i++ {
		if !have[i] {
			continue
		}
		if n := len(out); n > 0 && out[n-1].End == i {
			out[n-1].End++
		} else {
			out = append(out, Range{i, i + 1})
		}
	}
	return out
}

func TestRangeSetMatchesBitmap(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		const size = 3000
		have := make([]bool, size)
		var s rangeSet
		for op := range 400 {
			start := rng.Uint64N(size)
			end := min(start+1+rng.Uint64N(40), size)
			s.add(start, end)
			for i := start; i < end; i++ {
				have[i] = true
			}
			if op%37 != 0 {
				continue
			}
			want := bitmapRanges(have, 0)
			if got := s.ranges(nil, 0); !slices.Equal(got, want) {
				t.Fatalf("seed %d op %d: ranges = %v, want %v", seed, op, got, want)
			}
			from := rng.Uint64N(size)
			wantNext := from
			for wantNext < size && have[wantNext] {
				wantNext++
			}
			if got := s.nextMissing(from); got != wantNext {
				t.Fatalf("seed %d: nextMissing(%d) = %d, want %d", seed, from, got, wantNext)
			}
			var wantGaps []Range
			for i := from; i < size; i++ {
				if have[i] {
					continue
				}
				if n := len(wantGaps); n > 0 && wantGaps[n-1].End == i {
					wantGaps[n-1].End++
				} else {
					wantGaps = append(wantGaps, Range{i, i + 1})
				}
			}
			if got := s.gaps(nil, from, size); !slices.Equal(got, wantGaps) {
				t.Fatalf("seed %d: gaps(%d) = %v, want %v", seed, from, got, wantGaps)
			}
			if s.numRanges() != len(want) {
				t.Fatalf("numRanges = %d, want %d", s.numRanges(), len(want))
			}
		}
	}
}

func TestRangeSetContains(t *testing.T) {
	var s rangeSet
	s.add(10, 20)
	s.add(30, 40)
	s.add(20, 25) // touches: merges
	cases := []struct {
		start, end uint64
		want       bool
	}{{10, 25, true}, {12, 13, true}, {9, 11, false}, {24, 31, false}, {30, 40, true}, {40, 41, false}, {5, 5, true}}
	for _, c := range cases {
		if got := s.containsRange(c.start, c.end); got != c.want {
			t.Errorf("containsRange(%d, %d) = %t, want %t", c.start, c.end, got, c.want)
		}
	}
	if got := s.ranges(nil, 0); !slices.Equal(got, []Range{{10, 25}, {30, 40}}) {
		t.Errorf("ranges = %v", got)
	}
}

// TestSortedListMatchesSlice checks inserts and removals anywhere against a
// plain slice, across block splits and emptied blocks.
func TestSortedListMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var l sortedList[int]
	var ref []int
	for op := range 20000 {
		if len(ref) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(ref))
			c := l.search(func(v *int) bool { return *v >= ref[i] })
			l.remove(c)
			ref = slices.Delete(ref, i, i+1)
		} else {
			v := rng.IntN(1 << 30)
			i, _ := slices.BinarySearch(ref, v)
			ref = slices.Insert(ref, i, v)
			l.insert(l.search(func(e *int) bool { return *e >= v }), v)
		}
		if op%500 == 0 || op == 19999 {
			var got []int
			l.all(func(v *int) bool { got = append(got, *v); return true })
			if !slices.Equal(got, ref) || l.len() != len(ref) {
				t.Fatalf("op %d: list has %d elements, differs from reference of %d", op, l.len(), len(ref))
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
