package main

import (
	"slices"
	"testing"
)

// TestProportional checks the oracle's shares: by rate, summing to the
// object's size, the rounding in the last.
func TestProportional(t *testing.T) {
	for _, c := range []struct {
		size  int64
		rates []float64
		want  []int64
	}{
		{160, []float64{10, 50, 100}, []int64{10, 50, 100}},
		{100, []float64{1, 1, 1}, []int64{33, 33, 34}},
		{7, []float64{5}, []int64{7}},
	} {
		if got := proportional(c.size, c.rates); !slices.Equal(got, c.want) {
			t.Errorf("proportional(%d, %v) = %v, want %v", c.size, c.rates, got, c.want)
		}
	}
}
