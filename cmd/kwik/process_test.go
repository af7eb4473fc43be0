package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// testContext ends with the test or after d.
func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// runKwik runs the kwik binary to completion and returns its exit code and
// output.
func runKwik(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, kwikBinary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		code = exit.ExitCode()
	default:
		t.Fatalf("kwik %q: %v (context: %v)\nstderr:\n%s", args, err, ctx.Err(), errOut.String())
	}
	return code, out.String(), errOut.String()
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveProcess is a running "kwik serve".
type serveProcess struct {
	cmd    *exec.Cmd
	info   map[string]string // the "key: value" lines it printed up to "listening:"
	stderr *syncBuffer
	done   chan struct{} // closed when its stdout is drained
}

// startServe starts "kwik serve args…" with the extra environment and
// waits until it prints its "listening:" line.
func startServe(t *testing.T, ctx context.Context, extraEnv []string, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.CommandContext(ctx, kwikBinary, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), extraEnv...)
	p := &serveProcess{cmd: cmd, info: make(map[string]string), stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan map[string]string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		info := make(map[string]string)
		for sc.Scan() {
			key, value, _ := strings.Cut(sc.Text(), ": ")
			if fields := strings.Fields(value); len(fields) > 0 {
				info[key] = fields[0]
			}
			if key == "listening" {
				ready <- info
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case p.info = <-ready:
	case <-p.done:
		t.Fatalf("kwik serve %q exited before listening:\n%s", args, p.stderr.String())
	case <-ctx.Done():
		t.Fatalf("kwik serve %q did not start listening:\n%s", args, p.stderr.String())
	}
	return p
}

// stop interrupts the server and waits for it to exit cleanly.
func (p *serveProcess) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("kwik serve did not exit cleanly after SIGINT: %v\nstderr:\n%s", err, p.stderr.String())
	}
}
