package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeAndGet runs a primary and two secondaries as processes and
// downloads a file through all three with kwik get.
func TestServeAndGet(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	root := t.TempDir()
	content := make([]byte, 24<<20+17)
	rand.Read(content)
	if err := os.WriteFile(filepath.Join(root, "big.bin"), content, 0o644); err != nil {
		t.Fatal(err)
	}

	// The first secondary makes the group key (development mode); the
	// others get it from the environment, as the README says.
	s1 := startServe(t, ctx, nil, "--role", "secondary", "--root", root, "--listen", "127.0.0.1:0")
	key := s1.info["group-key"]
	if len(key) != 64 {
		t.Fatalf("the first secondary printed group key %q; want 64 hex digits", key)
	}
	env := []string{groupKeyEnv + "=" + key}
	s2 := startServe(t, ctx, env, "--role", "secondary", "--root", root, "--listen", "127.0.0.1:0")
	if _, ok := s2.info["group-key"]; ok {
		t.Error("the second secondary made its own group key instead of using $KWIK_GROUP_KEY")
	}
	primary := startServe(t, ctx, env, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0", "--verbose",
		"--secondary", s1.info["listening"]+"="+s1.info["pin"],
		"--secondary", s2.info["listening"]+"="+s2.info["pin"])

	out := filepath.Join(t.TempDir(), "copy.bin")
	code, _, stderr := runKwik(t, ctx, "get", "--pin", primary.info["pin"], primary.info["listening"], "big.bin", "-o", out)
	if code != 0 {
		t.Fatalf("kwik get exited %d:\n%s\nprimary:\n%s", code, stderr, primary.stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if sum := fmt.Sprintf("sha256 %x", sha256.Sum256(content)); string(got) != string(content) || !strings.Contains(stderr, sum) {
		t.Fatalf("got %d bytes (want %d); get said:\n%s", len(got), len(content), stderr)
	}
	if _, err := os.Stat(out + ".part"); !os.IsNotExist(err) {
		t.Errorf("%s.part left behind: %v", out, err)
	}
	// The primary hashed the file after the first transfer ("sent" is
	// logged once it has): the next request is announced its SHA-256, and
	// get checks it.
	// The per-path table (issue 14): a row per server, by role and
	// address, with what each sent.
	if !regexp.MustCompile(`(?m)^path +server +address +state +bytes +share +throughput$`).MatchString(stderr) {
		t.Errorf("get printed no per-path table:\n%s", stderr)
	}
	for _, s := range []struct{ role, addr string }{{"primary", primary.info["listening"]}, {"secondary", s1.info["listening"]}, {"secondary", s2.info["listening"]}} {
		if !regexp.MustCompile(`(?m)^\d+ +` + s.role + ` +` + regexp.QuoteMeta(s.addr) + ` +active +[\d.]+ \S+ +[\d.]+% +[\d.]+ \S+$`).MatchString(stderr) {
			t.Errorf("the per-path table has no row for the %s %s:\n%s", s.role, s.addr, stderr)
		}
	}
	if !strings.Contains(stderr, "unverified") {
		t.Errorf("the first get claims a verification the primary could not offer:\n%s", stderr)
	}
	for tick := time.NewTicker(10 * time.Millisecond); !strings.Contains(primary.stderr.String(), "msg=sent"); {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the primary never logged the first transfer:\n%s", primary.stderr.String())
		}
	}
	code, _, stderr = runKwik(t, ctx, "get", "--pin", primary.info["pin"], primary.info["listening"], "big.bin", "-o", out+".2")
	if sum := fmt.Sprintf("sha256 %x verified", sha256.Sum256(content)); code != 0 || !strings.Contains(stderr, sum) {
		t.Fatalf("second get exited %d; want %q in:\n%s", code, sum, stderr)
	}

	// The primary logs which path carried how much; every path must have.
	primary.stop(t)
	m := regexp.MustCompile(`msg=sent .* paths=(\S+)`).FindStringSubmatch(primary.stderr.String())
	if m == nil {
		t.Fatalf("the primary logged no transfer:\n%s", primary.stderr.String())
	}
	pairs := strings.Split(m[1], ",")
	if len(pairs) != 3 {
		t.Fatalf("paths=%s: want the primary and two secondaries", m[1])
	}
	for _, p := range pairs {
		if strings.HasSuffix(p, "=0") {
			t.Errorf("paths=%s: a path carried nothing", m[1])
		}
	}
}

// TestGetRefusesPathsOutsideRoot asks a primary for files outside its root
// by "..", by absolute path and through a symbolic link.
func TestGetRefusesPathsOutsideRoot(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	base := t.TempDir()
	root := filepath.Join(base, "root")
	secret := filepath.Join(base, "secret.txt")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "ok.txt"), []byte("fine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	primary := startServe(t, ctx, nil, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0")
	addr, pin := primary.info["listening"], primary.info["pin"]
	dir := t.TempDir()

	for _, tc := range []struct{ name, code string }{
		{"../secret.txt", "forbidden"},
		{secret, "forbidden"},
		{"escape", "forbidden"},
		{"sub/../../secret.txt", "forbidden"},
		{"missing.txt", "not-found"},
	} {
		out := filepath.Join(dir, "out")
		code, _, stderr := runKwik(t, ctx, "get", "--pin", pin, addr, tc.name, "-o", out)
		if code != exitFailure || !strings.Contains(stderr, "("+tc.code+")") || strings.Contains(stderr, "secret\n") {
			t.Errorf("get %q: exit %d, stderr %q; want exit 1 and a %s refusal", tc.name, code, stderr, tc.code)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("get %q left an output file", tc.name)
		}
	}
	// The same server still serves what is inside, and refuses a wrong pin.
	out := filepath.Join(dir, "ok.txt")
	if code, _, stderr := runKwik(t, ctx, "get", "--pin", pin, addr, "ok.txt", "-o", out); code != 0 {
		t.Fatalf("get ok.txt: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "fine" {
		t.Errorf("ok.txt: %q, %v", b, err)
	}
	wrongPin := strings.Repeat("00", 32)
	if code, _, stderr := runKwik(t, ctx, "get", "--pin", wrongPin, "--timeout", "10s", addr, "ok.txt", "-o", out); code != exitFailure || !strings.Contains(stderr, "pin") {
		t.Errorf("get with a wrong pin: exit %d, stderr %q; want a pin mismatch", code, stderr)
	}
}
