package main

import (
	"flag"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/pkg/emulator"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"4096": 4096, "1B": 1, "8MiB": 8 << 20, "8M": 8 << 20, "8m": 8 << 20, "1.5GiB": 3 << 29,
		"1GB": 1e9, "10kB": 10e3, "64KiB": 64 << 10, " 2 MiB ": 2 << 20,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "8 mbit", "1e3", "2EiB", "9999999999GiB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d; want an error", in, got)
		}
	}
}

func TestFormatters(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{formatBytes(512), "512 B"},
		{formatBytes(256 << 20), "256 MiB"},
		{formatBytes(3 << 29), "1.5 GiB"},
		{formatRate(0), "unlimited"},
		{formatRate(20e6), "20 Mbit/s"},
		{formatRate(1500e3), "1.5 Mbit/s"},
		{formatRate(1e9), "1 Gbit/s"},
		{formatBitrate(57.34e6), "57.3 Mbit/s"},
		{formatLoss(0.01), "1%"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q; want %q", tc.got, tc.want)
		}
	}
}

func TestPerPathFlag(t *testing.T) {
	p := newPerPath(emulator.ParseRate, formatRate)
	for _, s := range []string{"2=10mbit", "0=1gbit", "2=20mbit"} {
		if err := p.Set(s); err != nil {
			t.Fatalf("Set(%q): %v", s, err)
		}
	}
	if p.values[0] != 1e9 || p.values[2] != 20e6 || len(p.values) != 2 {
		t.Errorf("values %v; want 0=1e9 and 2=20e6 (the last one wins)", p.values)
	}
	if got := p.String(); got != "0=1 Gbit/s,2=20 Mbit/s" {
		t.Errorf("String() = %q", got)
	}
	for _, s := range []string{"10mbit", "x=10mbit", "-1=10mbit", "1=fast"} {
		if err := p.Set(s); err == nil {
			t.Errorf("Set(%q) accepted", s)
		}
	}
	d := newPerPath(parseDuration, time.Duration.String)
	if err := d.Set("1=-5ms"); err == nil {
		t.Error("a negative delay was accepted")
	}
}

func TestParseArgsInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		positional []string
		out        string
	}{
		{[]string{"ADDR", "NAME", "-o", "FILE"}, []string{"ADDR", "NAME"}, "FILE"},
		{[]string{"--o", "FILE", "ADDR", "NAME"}, []string{"ADDR", "NAME"}, "FILE"},
		{[]string{"ADDR", "-o=FILE", "NAME"}, []string{"ADDR", "NAME"}, "FILE"},
		{[]string{"ADDR", "--", "-o", "NAME"}, []string{"ADDR", "-o", "NAME"}, ""},
		{[]string{"ADDR", "NAME", "-o", "-"}, []string{"ADDR", "NAME"}, "-"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		out := fs.String("o", "", "")
		positional, err := parseArgs(fs, tc.args)
		if err != nil || !slices.Equal(positional, tc.positional) || *out != tc.out {
			t.Errorf("parseArgs(%q) = %q, -o %q, %v; want %q, -o %q", tc.args, positional, *out, err, tc.positional, tc.out)
		}
	}
}

func TestSecurityHelpers(t *testing.T) {
	pin := "5d1c9d5f0b7f1b3a8a86e6a4d4c3f6e0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70"
	if b, err := parsePin(pin); err != nil || formatPin(b) != pin {
		t.Errorf("parsePin round trip: %x, %v", b, err)
	}
	for _, bad := range []string{"", "abc", pin + "00", "zz" + pin[2:]} {
		if _, err := parsePin(bad); err == nil {
			t.Errorf("parsePin(%q) accepted", bad)
		}
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == groupKeyEnv {
				return v
			}
			return ""
		}
	}
	if k, err := loadGroupKey("", env(pin)); err != nil || len(k) != 32 {
		t.Errorf("group key from the environment: %x, %v", k, err)
	}
	if k, err := loadGroupKey("", env("")); err != nil || k != nil {
		t.Errorf("no group key given: %x, %v; want nil, nil", k, err)
	}
	if _, err := loadGroupKey("", env("abcd")); err == nil {
		t.Error("a 2-byte group key was accepted")
	}
	if len(newGroupKey()) < minGroupKeyLen {
		t.Error("generated group key is too short")
	}
	for in, want := range map[string]string{
		"host": "host:4433", "host:1": "host:1", "10.0.0.1": "10.0.0.1:4433", "::1": "[::1]:4433", "[::1]": "[::1]:4433", "[::1]:9": "[::1]:9",
	} {
		if got := withDefaultPort(in); got != want {
			t.Errorf("withDefaultPort(%q) = %q; want %q", in, got, want)
		}
	}
}
