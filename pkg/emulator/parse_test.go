package emulator

import (
	"errors"
	"strconv"
	"testing"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1000000", 1_000_000},
		{"0", 0},
		{"500kbit", 500_000},
		{"50mbit", 50_000_000},
		{"10Mbit/s", 10_000_000},
		{" 1gbit ", 1_000_000_000},
		{"1.5 Gbit/s", 1_500_000_000},
		{"2tbit", 2_000_000_000_000},
		{"1kibit", 1024},
		{"1mibit", 1 << 20},
		{"3bit", 3},
		{"100bit/s", 100},
	} {
		got, err := ParseRate(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseRateErrors(t *testing.T) {
	for _, in := range []string{"", "mbit", "-5mbit", "50mbps", "10MBps", "5 furlongs", "1.2.3mbit", ".", "2000tbit", "0.1bit", "1e6"} {
		got, err := ParseRate(in)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.What != "rate" || pe.Input != in {
			t.Errorf("ParseRate(%q) = %d, %v; want a *ParseError about rate", in, got, err)
		}
	}
	// The strconv cause is kept for callers that want it.
	if _, err := ParseRate("1.2.3"); !errors.Is(err, strconv.ErrSyntax) {
		t.Errorf("ParseRate(\"1.2.3\") error %v does not wrap strconv.ErrSyntax", err)
	}
}

func TestParseLoss(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"1%", 0.01},
		{"0.01", 0.01},
		{"0", 0},
		{"-0", 0},
		{"100%", 1},
		{"1", 1},
		{" 12.5 % ", 0.125},
		{"0.3", 0.3},
	} {
		got, err := ParseLoss(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLoss(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseLossErrors(t *testing.T) {
	for _, in := range []string{"", "%", "abc", "-1%", "101%", "5", "NaN", "Inf", "1%%"} {
		got, err := ParseLoss(in)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.What != "loss" {
			t.Errorf("ParseLoss(%q) = %v, %v; want a *ParseError about loss", in, got, err)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"50mbit", "10Mbit/s", "1gbit", "500kbit", "1000000", "0", "1.5gibit", "50mbps", "", "9999999999999tbit"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rate, err := ParseRate(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseRate(%q) error %v is not a *ParseError", s, err)
			}
			return
		}
		if rate < 0 || rate > maxParsedRate {
			t.Fatalf("ParseRate(%q) = %d, out of range", s, rate)
		}
		if err := (LinkConfig{Rate: rate}).Validate(); err != nil {
			t.Fatalf("ParseRate(%q) = %d, which Validate rejects: %v", s, rate, err)
		}
	})
}

func FuzzParseLoss(f *testing.F) {
	for _, s := range []string{"1%", "0.01", "0", "100%", "1.5", "NaN", "-0", "1e-3", "0x1p-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loss, err := ParseLoss(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseLoss(%q) error %v is not a *ParseError", s, err)
			}
			return
		}
		if err := (LinkConfig{Loss: loss}).Validate(); err != nil {
			t.Fatalf("ParseLoss(%q) = %v, which Validate rejects: %v", s, loss, err)
		}
	})
}
