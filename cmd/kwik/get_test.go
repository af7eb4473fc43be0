package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/pkg/emulator"
)

// getInProcess runs "kwik get args…" in this process.
func getInProcess(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, append([]string{"get"}, args...), &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// servedFile writes size random bytes as root/name.
func servedFile(t *testing.T, root, name string, size int) []byte {
	t.Helper()
	content := make([]byte, size)
	rand.Read(content)
	if err := os.WriteFile(filepath.Join(root, name), content, 0o644); err != nil {
		t.Fatal(err)
	}
	return content
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
}

// TestGetOutputs checks where get writes, and that a wrong output is
// refused before anything is asked of the primary. A FIFO under a temp dir
// stands in for a device: get must write into it and leave it a FIFO.
func TestGetOutputs(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	root, dir := t.TempDir(), t.TempDir()
	content := servedFile(t, root, "file.bin", 1<<20+3)
	pri := serveInProcess(t, ctx, nil, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0", "--verbose")
	addr, pin := pri.info["listening"], pri.info["pin"]
	requests := func() int { return strings.Count(pri.stderr.String(), "msg=sending") }
	get := func(args ...string) (int, string, string) {
		return getInProcess(t, ctx, append([]string{"--pin", pin, addr, "file.bin"}, args...)...)
	}

	// Refused before the request: nothing reaches the primary.
	lonely := filepath.Join(dir, "lonely-fifo")
	mkfifo(t, lonely)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", lonely}, "no process is reading the FIFO"},
		{[]string{"-o", filepath.Join(dir, "missing", "x.bin")}, "cannot write the output"},
		{[]string{"-c", "-o", lonely}, "-c resumes a regular file"},
		{[]string{"-c", "-o", "-"}, "-c resumes a file"},
	} {
		if code, _, stderr := get(tc.args...); code == exitOK || !strings.Contains(stderr, tc.want) {
			t.Errorf("get %q: exit %d, stderr %q; want a failure saying %q", tc.args, code, stderr, tc.want)
		}
	}
	if n := requests(); n != 0 {
		t.Fatalf("the primary was asked for %d transfers by gets whose output was wrong", n)
	}
	if st, err := os.Lstat(lonely); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO is now %v, %v", st, err)
	}

	check := func(what, file string) {
		t.Helper()
		if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, content) {
			t.Errorf("%s: %s holds %d bytes (%v); want the file's %d", what, file, len(got), err, len(content))
		}
		if _, err := os.Lstat(file + ".part"); !os.IsNotExist(err) {
			t.Errorf("%s: %s.part left behind (%v)", what, file, err)
		}
	}
	ok := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := get(args...)
		if code != exitOK {
			t.Fatalf("get %q: exit %d: %s", args, code, stderr)
		}
		return stdout
	}
	ok("-o", filepath.Join(dir, "new.bin"))
	check("a new name", filepath.Join(dir, "new.bin"))

	existing := filepath.Join(dir, "existing.bin")
	os.WriteFile(existing, []byte("old contents"), 0o644)
	ok("-o", existing)
	check("an existing file", existing)

	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	ok("-o", sub)
	check("a directory", filepath.Join(sub, "file.bin"))

	link := filepath.Join(dir, "link")
	os.Symlink("existing.bin", link)
	os.WriteFile(existing, []byte("old again"), 0o644)
	ok("-o", link)
	check("a link's target", existing)
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the symbolic link was replaced: %v, %v", st, err)
	}

	if stdout := ok("-o", "-"); stdout != string(content) {
		t.Errorf("-o - wrote %d bytes to stdout; want %d", len(stdout), len(content))
	}

	// A FIFO with a reader: written directly, still a FIFO, no .part.
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	r, err := os.OpenFile(fifo, os.O_RDWR, 0) // a reader that never sees EOF
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]byte, len(content))
	var wg sync.WaitGroup
	var readErr error
	wg.Go(func() { _, readErr = io.ReadFull(r, got) })
	ok("-o", fifo)
	wg.Wait()
	if readErr != nil || !bytes.Equal(got, content) {
		t.Errorf("the FIFO's reader got %v and bytes that differ", readErr)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO is now %v, %v", st, err)
	}
	if _, err := os.Lstat(fifo + ".part"); !os.IsNotExist(err) {
		t.Errorf("a .part was made next to the FIFO: %v", err)
	}

	// -c with a .part longer than the object: not a part of it.
	long := filepath.Join(dir, "long.bin")
	os.WriteFile(long+".part", make([]byte, len(content)+10), 0o644)
	if code, _, stderr := get("-c", "-o", long); code != exitFailure || !strings.Contains(stderr, "remove it and run without -c") {
		t.Errorf("-c with a .part longer than the object: exit %d, stderr %q; want advice to remove it", code, stderr)
	}
}

// TestGetResumesAfterAKilledPrimary stops the primary mid-download: get
// keeps the .part and prints how to resume; get -c against a new primary
// asks only for the rest, and the file is byte-exact.
func TestGetResumesAfterAKilledPrimary(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	root, dir := t.TempDir(), t.TempDir()
	size := 16 << 20
	content := servedFile(t, root, "big.bin", size)
	out := filepath.Join(dir, "big.bin")

	pri := serveInProcess(t, ctx, nil, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0")
	link := rateLimited(t, ctx, pri.info["listening"], 40_000_000) // 16 MiB take ~3.4 s
	type result struct {
		code           int
		stdout, stderr string
	}
	first := make(chan result, 1)
	go func() {
		code, stdout, stderr := getInProcess(t, ctx, "--pin", pri.info["pin"], link, "big.bin", "-o", out)
		first <- result{code, stdout, stderr}
	}()
	for {
		if st, err := os.Stat(out + ".part"); err == nil && st.Size() >= 2<<20 {
			break
		}
		select {
		case r := <-first:
			t.Fatalf("get ended before the primary was stopped: exit %d: %s", r.code, r.stderr)
		case <-ctx.Done():
			t.Fatal("the download did not start")
		case <-time.After(5 * time.Millisecond):
		}
	}
	pri.stop(t)
	r := <-first
	st, err := os.Stat(out + ".part")
	if r.code != exitFailure || err != nil || !strings.Contains(r.stderr, "kwik get -c") {
		t.Fatalf("get of a stopped primary: exit %d, .part %v; stderr:\n%s\nwant exit 1, the .part kept and the command that resumes", r.code, err, r.stderr)
	}
	kept := st.Size()
	if kept == 0 || kept >= int64(size) {
		t.Fatalf("the .part holds %d bytes of %d", kept, size)
	}

	pri2 := serveInProcess(t, ctx, nil, "--role", "primary", "--root", root, "--listen", "127.0.0.1:0")
	code, stdout, stderr := getInProcess(t, ctx, "-c", "--json", "--pin", pri2.info["pin"], pri2.info["listening"], "big.bin", "-o", out)
	if code != exitOK {
		t.Fatalf("get -c: exit %d: %s", code, stderr)
	}
	var rep getReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("get -c --json printed %q: %v", stdout, err)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the resumed file has %d bytes (%v) that differ from the source's %d", len(got), err, size)
	}
	rest := int64(size) - kept
	var carried uint64
	for _, p := range rep.Paths {
		carried += p.Bytes
	}
	if rep.Start != kept || rep.Received != rest || carried < uint64(rest) || carried > uint64(rest+rest/4+4096) {
		t.Errorf("resumed from %d (kept %d), received %d (rest %d), paths carried %d: only the rest should travel",
			rep.Start, kept, rep.Received, rest, carried)
	}
	t.Logf("kept %d of %d bytes; the resume carried %d bytes for the %d missing", kept, size, carried, rest)
}

// rateLimited puts a link of rate bit/s in front of addr and returns its
// address.
func rateLimited(t *testing.T, ctx context.Context, addr string, rate int64) string {
	t.Helper()
	l, err := emulator.Listen(ctx, "127.0.0.1:0", addr, emulator.LinkConfig{Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}
