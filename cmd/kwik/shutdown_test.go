package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/fileserve"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// inProcessServer is "kwik serve" running in this process.
type inProcessServer struct {
	info   map[string]string // its "key: value" lines up to "listening:"
	lines  map[string]string // the same lines whole
	stderr *syncBuffer
	cancel context.CancelFunc // what SIGTERM does to main's context
	exited chan int           // its exit code
}

// serveInProcess runs "kwik serve args…" in this process with environment
// vars and waits for its "listening:" line.
func serveInProcess(t *testing.T, ctx context.Context, vars map[string]string, args ...string) *inProcessServer {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	s := &inProcessServer{info: make(map[string]string), lines: make(map[string]string), stderr: &syncBuffer{}, cancel: cancel, exited: make(chan int, 1)}
	e := &env{stdout: pw, stderr: s.stderr, getenv: func(k string) string { return vars[k] }}
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), e)
		pw.Close()
		s.exited <- code
	}()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			key, value, _ := strings.Cut(sc.Text(), ": ")
			if fields := strings.Fields(value); len(fields) > 0 {
				s.info[key] = fields[0]
			}
			s.lines[key] = sc.Text()
			if key == "listening" {
				close(ready)
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() { s.stop(t) })
	select {
	case <-ready:
	case code := <-s.exited:
		s.exited <- code
		t.Fatalf("kwik serve %q exited %d before listening:\n%s", args, code, s.stderr.String())
	case <-ctx.Done():
		t.Fatalf("kwik serve %q did not start listening:\n%s", args, s.stderr.String())
	}
	return s
}

// stdoutLine is the banner line that starts with key.
func (s *inProcessServer) stdoutLine(key string) string { return s.lines[key] }

// stop ends the server's context and returns how long it took to exit.
func (s *inProcessServer) stop(t *testing.T) time.Duration {
	t.Helper()
	begin := time.Now()
	s.cancel()
	code, ok := <-s.exited
	if ok {
		close(s.exited)
		if code != exitOK {
			t.Errorf("kwik serve exited %d:\n%s", code, s.stderr.String())
		}
	}
	return time.Since(begin)
}

// TestServeExitsPromptlyWhateverItsClientsDo stops a primary and its
// secondary, each behind a link that goes silent mid-transfer: the client
// neither reads nor acknowledges, so the servers' writes block inside QUIC.
// kwik serve must exit within 2 s of the signal all the same.
func TestServeExitsPromptlyWhateverItsClientsDo(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "big.bin"), make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	long := "--idle-timeout=1m" // far above the bound: no path may die in time
	sec := serveInProcess(t, ctx, nil, "--role", "secondary", "--root", root, "--listen", "127.0.0.1:0", long)
	secLink, err := emulator.Listen(ctx, "127.0.0.1:0", sec.info["listening"], emulator.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer secLink.Close()
	vars := map[string]string{groupKeyEnv: sec.info["group-key"]}
	pri := serveInProcess(t, ctx, vars, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0", long,
		"--secondary", secLink.Addr().String()+"="+sec.info["pin"])
	priLink, err := emulator.Listen(ctx, "127.0.0.1:0", pri.info["listening"], emulator.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer priLink.Close()

	pin, err := parsePin(pri.info["pin"])
	if err != nil {
		t.Fatal(err)
	}
	primaryTLS, secondaryTLS, err := clientTLS(priLink.Addr().String(), pin, false, "")
	if err != nil {
		t.Fatal(err)
	}
	// The client's idle timeout is the paths' too (QUIC takes the shorter
	// side's): with a short one the primary's path died before it had sent
	// 64 packets into the cut link on a loaded machine.
	sess, err := kwik.Dial(ctx, priLink.Addr().String(), primaryTLS, fileserve.ClientConfig(&kwik.Config{
		MaxIdleTimeout: time.Minute, SecondaryTLS: secondaryTLS,
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.CloseWithError(0, "")
	dl, err := fileserve.Get(ctx, sess, "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	if _, err := io.ReadFull(dl, make([]byte, 4<<20)); err != nil {
		t.Fatal(err)
	}
	priLink.Kill()
	secLink.Kill()
	// Wait until the link has dropped something of the primary's: it was
	// sending when the link died. How much more it sends depends on the
	// credit and work it had then (it may be blocked on flow control), so
	// no larger count can be waited for. (The secondary may have had little
	// to send at that moment.)
	for priLink.Stats().Down.KillDrops == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("the primary sent only %d packets after its link died", priLink.Stats().Down.KillDrops)
		case <-time.After(time.Millisecond):
		}
	}
	for _, s := range []struct {
		name string
		srv  *inProcessServer
	}{{"primary", pri}, {"secondary", sec}} {
		took := s.srv.stop(t)
		t.Logf("the %s exited %v after its context ended", s.name, took)
		if took > 2*time.Second {
			t.Errorf("the %s exited %v after its context ended; want at most 2 s", s.name, took)
		}
	}
}
