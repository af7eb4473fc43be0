package main

import (
	"context"
	"io"
	"net"
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
	done := startGet(t, getCtx, "--pin", pri.info["pin"], primary, "f.bin", "-o", fifo)
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
// session (its group key differs from the primary's) or that is down is
// reported by get in one warning line naming it and saying why, while the
// download still runs, not only in the final table; and the primary names
// it too.
func TestGetWarnsOfAMissingSecondaryAtOnce(t *testing.T) {
	root := t.TempDir()
	servedFile(t, root, "f.bin", 4<<20)
	ctx := testContext(t, 90*time.Second)
	sec := serveInProcess(t, ctx, nil, "--role", "secondary", "--root", root, "--listen", "127.0.0.1:0")
	// A port that never answers: bound for the whole test and never read.
	// Released, it could be handed to the next listener on 127.0.0.1:0
	// (this test's own primaries, or any test running beside it), which
	// would answer the client's handshake with the wrong certificate.
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	down := c.LocalAddr().String()
	for _, tc := range []struct {
		name, secondary, why string
	}{
		{"refused", sec.info["listening"] + "=" + sec.info["pin"], "group keys differ"},
		{"down", down, "did not answer"}, // after the client's handshake timeout, 10 s
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, _, _ := strings.Cut(tc.secondary, "=")
			pri := serveInProcess(t, ctx, map[string]string{groupKeyEnv: strings.Repeat("cd", 32)}, "--role", "primary", "--root", root,
				"--listen", "127.0.0.1:0", "--secondary", tc.secondary)
			out := getBlockedOnFIFO(t, ctx, pri.info["pin"], pri.info["listening"], "warning: secondary "+addr+" could not be added")
			for line := range strings.Lines(out) {
				if strings.HasPrefix(line, "warning: secondary") && (!strings.Contains(line, tc.why) || strings.Count(out, "warning: secondary") != 1) {
					t.Errorf("want one warning line that says %q: %q", tc.why, line)
				}
			}
			waitFor(t, ctx, pri, "secondary="+addr)
		})
	}
}

// getBlockedOnFIFO runs get into a FIFO that it does not read until get
// has printed want on stderr, so the download cannot have ended by then;
// then it lets get finish and returns what get printed.
func getBlockedOnFIFO(t *testing.T, ctx context.Context, pin, addr, want string) string {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "out")
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
		done <- run(ctx, []string{"get", "--pin", pin, addr, "f.bin", "-o", fifo}, e)
	}()
	for !strings.Contains(stderr.String(), want) {
		select {
		case code := <-done:
			t.Fatalf("get ended (exit %d) without printing %q first:\n%s", code, want, stderr.String())
		case <-ctx.Done():
			t.Fatalf("get never printed %q:\n%s", want, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	var drain sync.WaitGroup
	drain.Go(func() { io.Copy(io.Discard, r) })
	code := <-done
	r.Close()
	drain.Wait()
	if code != exitOK {
		t.Fatalf("get: exit %d:\n%s", code, stderr.String())
	}
	t.Logf("get said:\n%s", stderr.String())
	return stderr.String()
}

// TestGetCtrlCKeepsThePart: Ctrl-C of get (its context cancelled) in the
// middle of a download into a regular file keeps FILE.part and prints the
// command that resumes it.
func TestGetCtrlCKeepsThePart(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	root, dir := t.TempDir(), t.TempDir()
	servedFile(t, root, "big.bin", 16<<20)
	out := filepath.Join(dir, "big.bin")
	pri := serveInProcess(t, ctx, nil, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0")
	link := rateLimited(t, ctx, pri.info["listening"], 40_000_000) // 16 MiB take ~3.4 s
	getCtx, cancelGet := context.WithCancel(ctx)
	defer cancelGet()
	done := startGet(t, getCtx, "--pin", pri.info["pin"], link, "big.bin", "-o", out)
	for {
		if st, err := os.Stat(out + ".part"); err == nil && st.Size() >= 1<<20 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("get ended before it was cancelled: exit %d: %s", r.code, r.stderr)
		case <-ctx.Done():
			t.Fatal("the download did not start")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancelGet()
	r := <-done
	st, err := os.Stat(out + ".part")
	if r.code != exitFailure || err != nil || st.Size() == 0 || !strings.Contains(r.stderr, "kwik get -c") {
		t.Fatalf("cancelled get: exit %d, .part %v; stderr:\n%s\nwant exit 1, the .part kept and the command that resumes", r.code, err, r.stderr)
	}
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Errorf("a cancelled get left %s: %v", out, err)
	}
}

// getResult is how an in-process get ended.
type getResult struct {
	code   int
	stderr string
}

// startGet runs "kwik get args…" in this process in the background; its
// result arrives on the channel.
func startGet(t *testing.T, ctx context.Context, args ...string) <-chan getResult {
	done := make(chan getResult, 1)
	go func() {
		code, _, stderr := getInProcess(t, ctx, args...)
		done <- getResult{code, stderr}
	}()
	return done
}
