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
	"runtime/pprof"
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
	go func() { // the parent closes our stdin to stop us
		io.Copy(io.Discard, os.Stdin)
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

// startChild starts a child server and returns its address and a client TLS
// configuration that trusts it; the child stops with the benchmark.
func startChild(tb testing.TB, spec childSpec) (string, *tls.Config) {
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
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
		io.Copy(io.Discard, stdout)
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
	a := <-addr
	if a == "" {
		tb.Fatal("benchmark server process printed no address")
	}
	return a, clientTLS
}
