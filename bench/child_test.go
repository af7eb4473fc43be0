package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"github.com/kwik-transport/kwik/bench/internal/harness"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/fileserve"
)

// The memory, scale and lanes benchmarks run their server in a child
// process, the test binary itself started with childEnv set, so that the
// heap they measure is the client's alone.

// childEnv holds the child's childSpec as JSON.
const childEnv = "KWIKBENCH_CHILD"

// childProfileEnv, if set, names a file for a CPU profile of the child.
const childProfileEnv = "KWIKBENCH_CHILD_CPUPROFILE"

// childSpec configures the child server.
type childSpec struct {
	CertDir    string // from harness.WriteCerts
	Lanes      int    // Config.LanesPerPath
	MaxStreams int    // Config.MaxIncomingStreams
}

// runChild serves as a primary until its standard input closes; it prints
// its address as the first line of its standard output.
func runChild(spec string) int {
	var cs childSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 2
	}
	tlsConf, err := harness.ServerTLS(cs.CertDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	ln, err := kwik.Listen("127.0.0.1:0", tlsConf, &kwik.Config{LanesPerPath: cs.Lanes, MaxIncomingStreams: cs.MaxStreams})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // the parent asks for our heap, and closes our stdin to stop us
		answerHeapQueries(os.Stdin, os.Stdout)
		cancel()
		ln.Close()
	}()
	if path := os.Getenv(childProfileEnv); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	fmt.Println(ln.Addr())
	srv := &fileserve.Server{Primary: &fileserve.Primary{Store: Store{}}}
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	return 0
}

// childHeapQuery, a line on the child's standard input, makes it collect
// garbage and print its live heap in bytes as a line of its standard output.
const childHeapQuery = "heap"

// childCPUQuery, a line on the child's standard input, makes it print the
// CPU time it used so far, in nanoseconds, as a line of its standard output.
const childCPUQuery = "cpu"

// answerHeapQueries answers every heap or CPU query read from in until in
// ends.
func answerHeapQueries(in io.Reader, out io.Writer) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch sc.Text() {
		case childHeapQuery:
			runtime.GC()
			runtime.GC() // the first one's finalizers and sweeps are done
			fmt.Fprintln(out, currentHeap().Live)
		case childCPUQuery:
			fmt.Fprintln(out, int64(harness.CPUTime()))
		}
	}
}

// child is a benchmark server process.
type child struct {
	addr  string
	tls   *tls.Config // a client configuration that trusts it
	stdin io.Writer
	lines chan string // its standard output after the address
}

// liveHeap returns the child's live heap after a garbage collection.
func (c *child) liveHeap(tb testing.TB) uint64 {
	tb.Helper()
	return c.query(tb, childHeapQuery)
}

// cpuTime returns the CPU time the child used so far.
func (c *child) cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	return time.Duration(c.query(tb, childCPUQuery))
}

// query asks the child q and returns its answer.
func (c *child) query(tb testing.TB, q string) uint64 {
	tb.Helper()
	if _, err := fmt.Fprintln(c.stdin, q); err != nil {
		tb.Fatal(err)
	}
	line, ok := <-c.lines
	if !ok {
		tb.Fatal("the benchmark server process ended")
	}
	n, err := strconv.ParseUint(line, 10, 64)
	if err != nil {
		tb.Fatalf("benchmark server process: %s %q: %v", q, line, err)
	}
	return n
}

// startChild starts a child server and returns its address and a client TLS
// configuration that trusts it; the child stops with the benchmark.
func startChild(tb testing.TB, spec childSpec) (string, *tls.Config) {
	c := startChildProcess(tb, spec)
	return c.addr, c.tls
}

// startChildProcess starts a child server that stops with the benchmark.
func startChildProcess(tb testing.TB, spec childSpec) *child {
	tb.Helper()
	spec.CertDir = tb.TempDir()
	if err := harness.WriteCerts(spec.CertDir, "127.0.0.1"); err != nil {
		tb.Fatal(err)
	}
	clientTLS, err := harness.ClientTLS(spec.CertDir)
	if err != nil {
		tb.Fatal(err)
	}
	js, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	tb.Cleanup(func() {
		stdin.Close()
		select {
		case err := <-exited:
			if err != nil {
				tb.Errorf("benchmark server process: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			tb.Errorf("benchmark server process did not stop within 10 s of its stdin closing; killed")
		}
	})
	a := <-lines
	if a == "" {
		tb.Fatal("benchmark server process printed no address")
	}
	return &child{addr: a, tls: clientTLS, stdin: stdin, lines: lines}
}
