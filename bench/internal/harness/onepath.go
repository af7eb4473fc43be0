package harness

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/transport"
)

// The one-path comparison is what an application sees of one bulk transfer:
// a fresh connection per transfer, one stream, a client that hashes every
// byte it reads (SHA-256), over KWIK and over plain quic-go with the same
// windows and TLS. BenchmarkOnePath runs both sides in one process;
// kwikbench serve1/fetch1 run them as separate processes (onepath.sh).

// Transports of the one-path comparison.
const (
	TransportKWIK = "kwik"
	TransportQUIC = "quic-go"
)

// onePathALPN is the application protocol of the plain quic-go side.
const onePathALPN = "kwikbench-onepath"

// OnePathChunk is the size of the application's reads and writes.
const OnePathChunk = 64 << 10

// onePathPattern is what the server sends, OnePathChunk bytes repeated.
var onePathPattern = sync.OnceValue(func() []byte {
	b := make([]byte, OnePathChunk)
	r := rand.NewChaCha8([32]byte{'k', 'w', 'i', 'k'})
	r.Read(b)
	return b
})

// OnePathDigest is the SHA-256 of the size bytes a one-path server sends.
func OnePathDigest(size int64) [sha256.Size]byte {
	h := sha256.New()
	p := onePathPattern()
	for size > 0 {
		n := min(size, int64(len(p)))
		h.Write(p[:n])
		size -= n
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// OnePathServer answers every stream with the number of bytes the client
// asks for (8 bytes, big endian), over one transport.
type OnePathServer struct {
	tr     string
	kwikLn *kwik.Listener
	quicLn *quic.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// ListenOnePath starts a one-path server of transport tr on addr that lets
// each client have maxStreams streams open at once (0: 16).
func ListenOnePath(tr, addr string, tlsConf *tls.Config, maxStreams int) (*OnePathServer, error) {
	s := &OnePathServer{tr: tr}
	if maxStreams == 0 {
		maxStreams = 16
	}
	var err error
	switch tr {
	case TransportKWIK:
		s.kwikLn, err = kwik.Listen(addr, tlsConf, &kwik.Config{MaxIncomingStreams: maxStreams})
	case TransportQUIC:
		c := tlsConf.Clone()
		c.NextProtos = []string{onePathALPN}
		qc := onePathQUICConfig()
		qc.MaxIncomingStreams = int64(maxStreams)
		s.quicLn, err = quic.ListenAddr(addr, c, qc)
	default:
		err = fmt.Errorf("unknown transport %q (want %s or %s)", tr, TransportKWIK, TransportQUIC)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: one-path server: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Go(s.acceptLoop)
	return s, nil
}

// onePathQUICConfig is quic-go's configuration with the windows KWIK gives
// its paths.
func onePathQUICConfig() *quic.Config {
	return transport.QUICConfig(transport.QUICOptions{})
}

// Addr is the server's UDP address.
func (s *OnePathServer) Addr() net.Addr {
	if s.kwikLn != nil {
		return s.kwikLn.Addr()
	}
	return s.quicLn.Addr()
}

// Close stops the server and waits for its goroutines.
func (s *OnePathServer) Close() error {
	s.cancel()
	var err error
	if s.kwikLn != nil {
		err = s.kwikLn.Close()
	} else {
		err = s.quicLn.Close()
	}
	s.wg.Wait()
	return err
}

func (s *OnePathServer) acceptLoop() {
	for {
		var serve func()
		if s.kwikLn != nil {
			sess, err := s.kwikLn.Accept(s.ctx)
			if err != nil {
				return
			}
			serve = func() {
				defer sess.CloseWithError(0, "")
				serveOnePath(s.ctx, sess.AcceptStream)
			}
		} else {
			conn, err := s.quicLn.Accept(s.ctx)
			if err != nil {
				return
			}
			serve = func() {
				defer conn.CloseWithError(0, "")
				serveOnePath(s.ctx, conn.AcceptStream)
			}
		}
		s.wg.Go(serve)
	}
}

// serveOnePath answers the streams of one connection until it ends.
func serveOnePath[S io.ReadWriteCloser](ctx context.Context, accept func(context.Context) (S, error)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		str, err := accept(ctx)
		if err != nil {
			return
		}
		wg.Go(func() {
			defer str.Close()
			var req [8]byte
			if _, err := io.ReadFull(str, req[:]); err != nil {
				return
			}
			size := binary.BigEndian.Uint64(req[:])
			p := onePathPattern()
			for size > 0 {
				n := min(size, uint64(len(p)))
				if _, err := str.Write(p[:n]); err != nil {
					return
				}
				size -= n
			}
		})
	}
}

// FetchOnePath dials a fresh connection of transport tr to addr, asks for
// size bytes on one stream, hashes them as it reads and closes the
// connection. It returns the time from the dial to the last byte and fails
// if the digest is not OnePathDigest(size).
func FetchOnePath(ctx context.Context, tr, addr string, tlsConf *tls.Config, size int64, want [sha256.Size]byte) (time.Duration, error) {
	return FetchStreams(ctx, tr, addr, tlsConf, 1, size, want)
}

// FetchStreams is FetchOnePath over streams streams of one connection at
// once, each asking for size bytes and checked against want. Each stream
// reads into a buffer of its own, as an application's reader would.
func FetchStreams(ctx context.Context, tr, addr string, tlsConf *tls.Config, streams int, size int64, want [sha256.Size]byte) (time.Duration, error) {
	start := time.Now()
	var (
		open    func(context.Context) (io.ReadWriteCloser, error)
		closeFn func()
	)
	switch tr {
	case TransportKWIK:
		sess, err := kwik.Dial(ctx, addr, tlsConf, nil)
		if err != nil {
			return 0, err
		}
		closeFn = func() { sess.CloseWithError(0, "") }
		open = func(ctx context.Context) (io.ReadWriteCloser, error) { return sess.OpenStreamSync(ctx) }
	case TransportQUIC:
		c := tlsConf.Clone()
		c.NextProtos = []string{onePathALPN}
		conn, err := quic.DialAddr(ctx, addr, c, onePathQUICConfig())
		if err != nil {
			return 0, err
		}
		closeFn = func() { conn.CloseWithError(0, "") }
		open = func(ctx context.Context) (io.ReadWriteCloser, error) { return conn.OpenStreamSync(ctx) }
	default:
		return 0, fmt.Errorf("unknown transport %q", tr)
	}
	defer closeFn()
	// Reads honour ctx too: its end closes the connection under them.
	stop := context.AfterFunc(ctx, closeFn)
	defer stop()
	errs := make(chan error, streams)
	var wg sync.WaitGroup
	for range streams {
		wg.Go(func() {
			str, err := open(ctx)
			if err == nil {
				err = fetchStream(str, size, want)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// fetchStream asks str for size bytes and reads and hashes them.
func fetchStream(str io.ReadWriteCloser, size int64, want [sha256.Size]byte) error {
	var req [8]byte
	binary.BigEndian.PutUint64(req[:], uint64(size))
	if _, err := str.Write(req[:]); err != nil {
		return err
	}
	if err := str.Close(); err != nil {
		return err
	}
	h := sha256.New()
	buf := make([]byte, min(max(size, 1), OnePathChunk)) // CopyBuffer refuses an empty one
	n, err := io.CopyBuffer(h, onlyReader{str}, buf)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("read %d bytes, want %d", n, size)
	}
	if got := h.Sum(nil); [sha256.Size]byte(got) != want {
		return errors.New("digest mismatch: the bytes read are not the bytes sent")
	}
	return nil
}

// onlyReader hides everything but Read, so that io.CopyBuffer uses buf.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// CPUTime is the user plus system CPU time this process has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUPerGiB is cpu seconds per GiB of size bytes.
func CPUPerGiB(cpu time.Duration, size int64) float64 {
	return cpu.Seconds() / (float64(size) / (1 << 30))
}
