package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDemoText(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	code, stdout, stderr := runKwik(t, ctx, "demo", "--size", "8MiB")
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"path 2 secondary 2", "total", "goodput", "MATCHES"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	if stderr != "" {
		t.Errorf("demo wrote to stderr (it should be quiet by default):\n%s", stderr)
	}
}

// parseReport decodes demo --json output and checks what every successful
// report must hold.
func parseReport(t *testing.T, stdout string, size int64, paths int) *demoReport {
	t.Helper()
	var rep demoReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("demo --json printed something that is not its report: %v\n%s", err, stdout)
	}
	if !rep.OK || !rep.ChecksumMatch || rep.Size != size || rep.Received != size || len(rep.Paths) != paths {
		t.Fatalf("report: ok %v, checksum %v, %d of %d bytes, %d paths; want ok, matching, all bytes, %d paths\n%s",
			rep.OK, rep.ChecksumMatch, rep.Received, rep.Size, len(rep.Paths), paths, stdout)
	}
	var sum int64
	for _, p := range rep.Paths {
		sum += p.Bytes
		if p.PathID == nil || p.Bytes == 0 {
			t.Errorf("path %d (%s) carried %d bytes (path ID %v); every path should carry some", p.Index, p.Role, p.Bytes, p.PathID)
		}
	}
	if sum < size || rep.DuplicateBytes != sum-size {
		t.Errorf("paths carried %d bytes with %d duplicates; want at least %d and the difference", sum, rep.DuplicateBytes, size)
	}
	if rep.Seconds <= 0 || rep.GoodputBPS <= 0 {
		t.Errorf("elapsed %vs, goodput %v bit/s: want positive figures", rep.Seconds, rep.GoodputBPS)
	}
	return &rep
}

func TestDemoJSON(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	// Spread holds the primary's own bytes back for up to 100 ms at the
	// start (multisource.primaryHold): the file must take longer than that
	// for every path to carry some of it. 64 MiB takes over 0.4 s even at
	// the 1.25 Gbit/s of an idle machine without -race; 8 MiB was over
	// before the hold ended in 2 of 3 runs.
	code, stdout, stderr := runKwik(t, ctx, "demo", "--size", "64MiB", "--paths", "4", "--json")
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rep := parseReport(t, stdout, 64<<20, 4)
	if rep.ConfiguredBPS != 0 || rep.Paths[0].Emulated {
		t.Errorf("unshaped demo reports configured rate %d, emulated %v", rep.ConfiguredBPS, rep.Paths[0].Emulated)
	}
}

// TestDemoKillSecondary cuts the last secondary's link mid-transfer: the
// file must still arrive whole, and the report must say the path died.
func TestDemoKillSecondary(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	// 16 MiB at 3 × 20 Mbit/s takes over 2 s; the kill comes after 1 s.
	code, stdout, stderr := runKwik(t, ctx, "demo", "--size", "16MiB", "--rate", "20mbit",
		"--kill-secondary-after", "1s", "--idle-timeout", "2s", "--json")
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rep := parseReport(t, stdout, 16<<20, 3)
	victim := rep.Paths[2]
	if !victim.Killed || victim.State != "dead" || victim.LostSeconds <= victim.KilledSeconds {
		t.Errorf("killed path: killed %v at %.2fs, state %q, lost at %.2fs; want killed, then dead", victim.Killed, victim.KilledSeconds, victim.State, victim.LostSeconds)
	}
	for _, p := range rep.Paths[:2] {
		if p.State != "active" || p.Killed {
			t.Errorf("path %d: state %q, killed %v; want active", p.Index, p.State, p.Killed)
		}
	}
	if rep.ConfiguredBPS != 60e6 || rep.GoodputRatio <= 0 || rep.GoodputRatio > 1 {
		t.Errorf("configured %d bit/s, ratio %.2f; want 60e6 and a ratio in (0, 1]", rep.ConfiguredBPS, rep.GoodputRatio)
	}
}

// TestDemoInProcess runs the demo inside the test, so that the race
// detector and the leak check see its goroutines: the monitor, the kill
// timer, the servers and the links.
func TestDemoInProcess(t *testing.T) {
	for _, args := range [][]string{
		{"--size", "2MiB", "--json", "--rate", "200mbit", "--kill-secondary-after", "10ms", "--idle-timeout", "2s"},
		{"--size", "2MiB", "--paths", "2", "--link", "--chunk", "64KiB"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"demo", "--timeout", "60s"}, args...), &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
		if code != 0 || !strings.Contains(out.String(), "sha256") {
			t.Errorf("demo %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errOut.String())
		}
	}
}

// TestDemoJSONReportsFailure checks that a demo that fails still prints a
// report that says so, and exits 1.
func TestDemoJSONReportsFailure(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo", "--size", "1MiB", "--json", "--timeout", "1ms"}, &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
	var rep demoReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not a JSON report: %v\n%s", err, out.String())
	}
	if code != exitFailure || rep.OK || !strings.Contains(rep.Error, "--timeout") || !strings.Contains(errOut.String(), "--timeout") {
		t.Errorf("exit %d, ok %v, error %q, stderr %q; want exit 1, not ok, and the timeout named in both", code, rep.OK, rep.Error, errOut.String())
	}
}
