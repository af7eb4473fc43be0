package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGetCancelIsLoggedAsACancel: Ctrl-C of get (its context cancelled in
// the middle of a transfer that a primary spreads over a secondary) is the
// client's choice. The primary logs it as a cancel at INFO, never as the
// WARN of a failed source ("path marked down") or a failed transfer.
func TestGetCancelIsLoggedAsACancel(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	root, dir := t.TempDir(), t.TempDir()
	servedFile(t, root, "f.bin", 16<<20)
	sec := serveInProcess(t, ctx, nil, "--role", "secondary", "--root", root, "--listen", "127.0.0.1:0")
	pri := serveInProcess(t, ctx, map[string]string{groupKeyEnv: sec.info["group-key"]}, "--role", "primary", "--root", root,
		"--listen", "127.0.0.1:0", "--verbose", "--secondary", sec.info["listening"]+"="+sec.info["pin"])
	primary := rateLimited(t, ctx, pri.info["listening"], 16_000_000)

	// get writes into a FIFO under the temp dir; the test reads it, so it
	// knows the transfer has started before it cancels.
	fifo := filepath.Join(dir, "out")
	mkfifo(t, fifo)
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	getCtx, cancelGet := context.WithCancel(ctx)
	defer cancelGet()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, _, stderr := getInProcess(t, getCtx, "--pin", pri.info["pin"], primary, "f.bin", "-o", fifo)
		done <- result{code, stderr}
	}()
	if _, err := io.ReadFull(r, make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	cancelGet() // what Ctrl-C does to get's context
	var drain sync.WaitGroup
	drain.Go(func() { io.Copy(io.Discard, r) }) // until r is closed below
	res := <-done
	r.Close()
	drain.Wait()
	if res.code != exitFailure {
		t.Errorf("cancelled get: exit %d, want %d: %s", res.code, exitFailure, res.stderr)
	}

	waitFor(t, ctx, pri, "the client cancelled the transfer")
	log := pri.stderr.String()
	for line := range strings.Lines(log) {
		if strings.Contains(line, "the client cancelled the transfer") && !strings.Contains(line, "level=INFO") {
			t.Errorf("the cancel is not logged at INFO: %s", line)
		}
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("the primary warns about a client's cancel: %s", line)
		}
	}
}

// TestGetWarnsOfAMissingSecondaryAtOnce: a secondary that refuses the
// session (its group key differs from the primary's) is reported by get in
// one warning line naming it while the download still runs, not only in
// the final table; and the primary names it too.
func TestGetWarnsOfAMissingSecondaryAtOnce(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	root, dir := t.TempDir(), t.TempDir()
	servedFile(t, root, "f.bin", 4<<20)
	sec := serveInProcess(t, ctx, nil, "--role", "secondary", "--root", root, "--listen", "127.0.0.1:0")
	pri := serveInProcess(t, ctx, map[string]string{groupKeyEnv: strings.Repeat("cd", 32)}, "--role", "primary", "--root", root,
		"--listen", "127.0.0.1:0", "--secondary", sec.info["listening"]+"="+sec.info["pin"])

	// get writes into a FIFO that the test does not read until the warning
	// is out: the download cannot have ended by then.
	fifo := filepath.Join(dir, "out")
	mkfifo(t, fifo)
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		e := &env{stdout: io.Discard, stderr: stderr, getenv: func(string) string { return "" }}
		done <- run(ctx, []string{"get", "--pin", pri.info["pin"], pri.info["listening"], "f.bin", "-o", fifo}, e)
	}()
	want := "warning: secondary " + sec.info["listening"] + " could not be added"
	for !strings.Contains(stderr.String(), want) {
		select {
		case code := <-done:
			t.Fatalf("get ended (exit %d) without warning %q first:\n%s", code, want, stderr.String())
		case <-ctx.Done():
			t.Fatalf("get never warned %q:\n%s", want, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	var drain sync.WaitGroup
	drain.Go(func() { io.Copy(io.Discard, r) })
	code := <-done
	r.Close()
	drain.Wait()
	out := stderr.String()
	t.Logf("get said:\n%s", out)
	if code != exitOK {
		t.Fatalf("get: exit %d:\n%s", code, out)
	}
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "warning: secondary") && (!strings.Contains(line, "group keys differ") || strings.Count(out, want) != 1) {
			t.Errorf("want one warning line that says why: %q", line)
		}
	}
	waitFor(t, ctx, pri, "secondary="+sec.info["listening"])
}
