package integrationtests

import (
	"context"
	"fmt"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/transport"
)

// The transfer benchmarks move the same bytes over plain quic-go and over
// KWIK, on loopback with the same TLS, in one run:
//
//	go test -run '^$' -bench 'Transfer' -benchtime 3x -count 6 ./integrationtests | tee out.txt
//	benchstat -col /transport out.txt
//
// The server writes; the client reads, so KWIK's receive path (lanes,
// presentation layer, Stream.Read) is what is measured against quic-go's.

const transferChunk = 64 << 10

// benchPair is what a benchmark needs of either transport.
type benchPair interface {
	// open returns a client stream whose server side writes size bytes.
	open(ctx context.Context, size int) (io.Reader, error)
	close()
}

func BenchmarkTransfer(b *testing.B) {
	for _, streams := range []int{1, 16} {
		size := 256 << 20 / streams
		for _, tr := range []string{"quic-go", "kwik"} {
			b.Run(fmt.Sprintf("streams=%d/transport=%s", streams, tr), func(b *testing.B) {
				var p benchPair
				if tr == "kwik" {
					p = newKwikPair(b, nil)
				} else {
					p = newQuicPair(b)
				}
				defer p.close()
				benchTransfer(b, p, streams, size)
			})
		}
	}
}

// benchTransfer reads streams × size bytes per operation.
func benchTransfer(b *testing.B, p benchPair, streams, size int) {
	ctx := context.Background()
	b.SetBytes(int64(streams * size))
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		var wg sync.WaitGroup
		errs := make(chan error, streams)
		for range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := p.open(ctx, size)
				if err != nil {
					errs <- err
					return
				}
				buf := make([]byte, transferChunk)
				n := 0
				for {
					m, err := r.Read(buf)
					n += m
					if err == io.EOF {
						break
					}
					if err != nil {
						errs <- err
						return
					}
				}
				if n != size {
					errs <- fmt.Errorf("read %d bytes, want %d", n, size)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(cpu.Seconds()/(float64(b.N*streams*size)/(1<<30)), "cpu-s/GiB")
}

// cpuTime is the CPU time (user and system) of the whole process so far:
// client and server both run here, so cpu-s/GiB is what one GiB costs both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serveWrites answers every stream with size bytes, where size is what the
// client wrote as its request (8 bytes, little endian).
func serveWrites(w io.WriteCloser, r io.Reader) error {
	var req [8]byte
	if _, err := io.ReadFull(r, req[:]); err != nil {
		return err
	}
	size := 0
	for i := range 8 {
		size |= int(req[i]) << (8 * i)
	}
	chunk := payload(1, transferChunk)
	for size > 0 {
		n := min(size, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return err
		}
		size -= n
	}
	return w.Close()
}

func request(size int) []byte {
	var req [8]byte
	for i := range 8 {
		req[i] = byte(size >> (8 * i))
	}
	return req[:]
}

// serveStreams answers every stream accept returns with serveWrites, on
// goroutines counted in wg, until accept fails (the connection closed).
func serveStreams[S io.ReadWriteCloser](wg *sync.WaitGroup, accept func(context.Context) (S, error)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			str, err := accept(context.Background())
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				serveWrites(str, str)
			}()
		}
	}()
}

// openRequest opens a stream and asks for size bytes on it.
func openRequest[S io.ReadWriteCloser](ctx context.Context, open func(context.Context) (S, error), size int) (io.Reader, error) {
	str, err := open(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := str.Write(request(size)); err != nil {
		return nil, err
	}
	return str, str.Close()
}

// kwikPair is a KWIK client and server session on loopback.
type kwikPair struct {
	client, server *kwik.Session
	ln             *kwik.Listener
	wg             sync.WaitGroup
}

func newKwikPair(b *testing.B, conf *kwik.Config) *kwikPair {
	ln, err := kwik.Listen("127.0.0.1:0", testTLS.Server, conf)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p := &kwikPair{ln: ln}
	accepted := make(chan *kwik.Session, 1)
	go func() {
		s, _ := ln.Accept(ctx)
		accepted <- s
	}()
	if p.client, err = kwik.Dial(ctx, ln.Addr().String(), testTLS.Client, conf); err != nil {
		b.Fatal(err)
	}
	p.server = <-accepted
	serveStreams(&p.wg, p.server.AcceptStream)
	return p
}

func (p *kwikPair) open(ctx context.Context, size int) (io.Reader, error) {
	return openRequest(ctx, p.client.OpenStreamSync, size)
}

func (p *kwikPair) close() {
	p.client.CloseWithError(0, "")
	p.server.CloseWithError(0, "")
	p.ln.Close()
	p.wg.Wait()
}

// quicPair is the same over plain quic-go, with quic-go's default windows
// raised as KWIK raises them for its paths.
type quicPair struct {
	client *quic.Conn
	server *quic.Conn
	ln     *quic.Listener
	wg     sync.WaitGroup
}

func newQuicPair(b *testing.B) *quicPair {
	conf := transport.QUICConfig(transport.QUICOptions{})
	conf.MaxIncomingStreams = 1000
	serverTLS := testTLS.Server.Clone()
	serverTLS.NextProtos = []string{"bench"}
	ln, err := quic.ListenAddr("127.0.0.1:0", serverTLS, conf)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p := &quicPair{ln: ln}
	accepted := make(chan *quic.Conn, 1)
	go func() {
		c, _ := ln.Accept(ctx)
		accepted <- c
	}()
	clientTLS := testTLS.Client.Clone()
	clientTLS.NextProtos = []string{"bench"}
	if p.client, err = quic.DialAddr(ctx, ln.Addr().String(), clientTLS, conf); err != nil {
		b.Fatal(err)
	}
	p.server = <-accepted
	serveStreams(&p.wg, p.server.AcceptStream)
	return p
}

func (p *quicPair) open(ctx context.Context, size int) (io.Reader, error) {
	return openRequest(ctx, p.client.OpenStreamSync, size)
}

func (p *quicPair) close() {
	p.client.CloseWithError(0, "")
	p.server.CloseWithError(0, "")
	p.ln.Close()
	p.wg.Wait()
}
