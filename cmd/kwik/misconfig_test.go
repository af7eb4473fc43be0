package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeRefusesAPrimaryWithoutTheGroupKey: a primary that made a key of
// its own would be refused by every secondary.
func TestServeRefusesAPrimaryWithoutTheGroupKey(t *testing.T) {
	code, _, stderr := runInProcess(t, "serve", "--role", "primary", "--root", t.TempDir(), "--listen", "127.0.0.1:0", "--secondary", "127.0.0.1:1")
	if code != exitUsage || !strings.Contains(stderr, "$"+groupKeyEnv) || !strings.Contains(stderr, "group-key:") {
		t.Errorf("exit %d, stderr %q; want a usage error saying how to pass the secondaries' group key", code, stderr)
	}
}

// TestServeMisconfigurationsAreReported runs the mistakes of issue 14's
// table against in-process servers and checks what each side says.
func TestServeMisconfigurationsAreReported(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	root, dir := t.TempDir(), t.TempDir()
	// The downloads last ~1 s behind a link of 16 Mbit/s, far longer than a
	// refused join takes: the primary reports it while the session lives.
	servedFile(t, root, "f.bin", 2<<20)
	sec := serveInProcess(t, ctx, nil, "--role", "secondary", "--root", root, "--listen", "127.0.0.1:0")
	if b := sec.stdoutLine("pin"); !strings.Contains(b, "--secondary ADDR="+sec.info["pin"]) || strings.Contains(b, "clients pass") {
		t.Errorf("the secondary's banner says %q; want the instruction for the primary's --secondary", b)
	}

	// A primary whose group key differs from the secondary's.
	otherKey := strings.Repeat("ab", 32)
	pri := serveInProcess(t, ctx, map[string]string{groupKeyEnv: otherKey}, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0",
		"--secondary", sec.info["listening"]+"="+sec.info["pin"])
	if b := pri.stdoutLine("pin"); !strings.Contains(b, "clients pass --pin "+pri.info["pin"]) {
		t.Errorf("the primary's banner says %q; want the instruction for clients", b)
	}
	if code, _, stderr := getInProcess(t, ctx, "--pin", pri.info["pin"], rateLimited(t, ctx, pri.info["listening"], 16_000_000), "f.bin", "-o", filepath.Join(dir, "a")); code != exitOK {
		t.Fatalf("get with one bad secondary: exit %d: %s", code, stderr)
	}
	waitFor(t, ctx, pri, "group keys differ")
	if log := pri.stderr.String(); !strings.Contains(log, "secondary="+sec.info["listening"]) {
		t.Errorf("the primary's warning does not name the secondary:\n%s", log)
	}

	// A primary given a stale pin for its secondary.
	stale := strings.Repeat("12", 32)
	pri2 := serveInProcess(t, ctx, map[string]string{groupKeyEnv: sec.info["group-key"]}, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0",
		"--secondary", sec.info["listening"]+"="+stale)
	if code, _, stderr := getInProcess(t, ctx, "--pin", pri2.info["pin"], rateLimited(t, ctx, pri2.info["listening"], 16_000_000), "f.bin", "-o", filepath.Join(dir, "b")); code != exitOK {
		t.Fatalf("get with a stale secondary pin: exit %d: %s", code, stderr)
	}
	waitFor(t, ctx, pri2, "does not match its pin in --secondary")

	// A client with the wrong pin is told so, without the server's key.
	code, _, stderr := getInProcess(t, ctx, "--pin", stale, "--timeout", "20s", pri.info["listening"], "f.bin", "-o", filepath.Join(dir, "c"))
	if code != exitFailure || !strings.Contains(stderr, "does not match --pin") || strings.Contains(stderr, pri.info["pin"]) || strings.Contains(stderr, "CRYPTO_ERROR") {
		t.Errorf("get with a wrong pin: exit %d, stderr %q; want a pin mismatch that does not print the server's pin", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.part")); !os.IsNotExist(err) {
		t.Errorf("a failed dial left c.part: %v", err)
	}
}

// waitFor waits until the server has logged want: the primary logs a
// failed join when the client reports it, which may be after get returned.
func waitFor(t *testing.T, ctx context.Context, s *inProcessServer, want string) {
	t.Helper()
	for !strings.Contains(s.stderr.String(), want) {
		select {
		case <-ctx.Done():
			t.Fatalf("the server never logged %q:\n%s", want, s.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}
